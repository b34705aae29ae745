/*
 * The defaulting the real API server applies to the fields our clients read
 * back (a subset of pkg/apis/<group>/v1/defaults.go), so objects round-trip
 * as they would on a cluster.
 */
import { ResourceType } from './resources';
import { applySchemaDefaults, crdSchema } from './crds';

function setIfMissing(o: any, key: string, value: unknown): void {
  if (o && o[key] === undefined) o[key] = value;
}

function containerDefaults(c: any): void {
  if (!c || typeof c !== 'object') return;
  const image: string = c.image ?? '';
  const tagged =
    /:[^/]+$/.test(image.split('@')[0]) && !image.endsWith(':latest');
  setIfMissing(
    c,
    'imagePullPolicy',
    tagged || image.includes('@') ? 'IfNotPresent' : 'Always',
  );
  setIfMissing(c, 'terminationMessagePath', '/dev/termination-log');
  setIfMissing(c, 'terminationMessagePolicy', 'File');
  setIfMissing(c, 'resources', {});
  // requests default to limits for every resource that has only a limit
  const r = c.resources;
  if (r.limits) {
    r.requests = { ...r.limits, ...(r.requests ?? {}) };
  }
  for (const p of c.ports ?? []) setIfMissing(p, 'protocol', 'TCP');
}

export function podSpecDefaults(spec: any): void {
  if (!spec || typeof spec !== 'object') return;
  setIfMissing(spec, 'restartPolicy', 'Always');
  setIfMissing(spec, 'terminationGracePeriodSeconds', 30);
  setIfMissing(spec, 'dnsPolicy', 'ClusterFirst');
  setIfMissing(spec, 'securityContext', {});
  setIfMissing(spec, 'schedulerName', 'default-scheduler');
  for (const c of spec.containers ?? []) containerDefaults(c);
  for (const c of spec.initContainers ?? []) containerDefaults(c);
}

function templateDefaults(tpl: any): void {
  if (!tpl || typeof tpl !== 'object') return;
  setIfMissing(tpl, 'metadata', {});
  podSpecDefaults(tpl.spec);
}

/** Fills in defaults on create (`old` undefined) and update. */
export function applyDefaults(
  t: ResourceType,
  obj: any,
  old: any | undefined,
  version = t.versions[0],
): void {
  if (t.crd) {
    applySchemaDefaults(obj, crdSchema(t, version));
    return;
  }
  const spec = obj.spec;
  switch (t.kind) {
    case 'Namespace':
      obj.metadata.labels = {
        ...(obj.metadata.labels ?? {}),
        'kubernetes.io/metadata.name': obj.metadata.name,
      };
      if (!old) obj.status = { phase: 'Active' };
      setIfMissing(obj, 'spec', { finalizers: ['kubernetes'] });
      break;
    case 'Pod':
      podSpecDefaults(spec);
      if (spec) {
        setIfMissing(spec, 'serviceAccountName', 'default');
        setIfMissing(spec, 'enableServiceLinks', true);
        setIfMissing(spec, 'preemptionPolicy', 'PreemptLowerPriority');
        setIfMissing(spec, 'priority', 0);
      }
      if (!old) obj.status = { phase: 'Pending', qosClass: qosClass(spec) };
      break;
    case 'Service':
      if (spec) {
        setIfMissing(spec, 'type', 'ClusterIP');
        setIfMissing(spec, 'sessionAffinity', 'None');
        if (!old && spec.clusterIP === undefined)
          spec.clusterIP = serviceIp(obj.metadata.name);
        if (spec.clusterIP && spec.clusterIP !== 'None')
          setIfMissing(spec, 'clusterIPs', [spec.clusterIP]);
        setIfMissing(spec, 'ipFamilies', ['IPv4']);
        setIfMissing(spec, 'ipFamilyPolicy', 'SingleStack');
        setIfMissing(spec, 'internalTrafficPolicy', 'Cluster');
        for (const p of spec.ports ?? []) {
          setIfMissing(p, 'protocol', 'TCP');
          setIfMissing(p, 'targetPort', p.port);
        }
      }
      if (!old) obj.status = { loadBalancer: {} };
      break;
    case 'PersistentVolumeClaim':
      if (spec) setIfMissing(spec, 'volumeMode', 'Filesystem');
      if (!old) obj.status = { phase: 'Pending' };
      break;
    case 'ResourceQuota':
      if (!old) obj.status = {};
      break;
    case 'StatefulSet':
      if (spec) {
        setIfMissing(spec, 'replicas', 1);
        setIfMissing(spec, 'podManagementPolicy', 'OrderedReady');
        setIfMissing(spec, 'updateStrategy', {
          type: 'RollingUpdate',
          rollingUpdate: { partition: 0 },
        });
        setIfMissing(spec, 'revisionHistoryLimit', 10);
        setIfMissing(spec, 'persistentVolumeClaimRetentionPolicy', {
          whenDeleted: 'Retain',
          whenScaled: 'Retain',
        });
        templateDefaults(spec.template);
      }
      if (!old) obj.status = { replicas: 0, availableReplicas: 0 };
      break;
    case 'Deployment':
      if (spec) {
        setIfMissing(spec, 'replicas', 1);
        setIfMissing(spec, 'strategy', {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
        });
        setIfMissing(spec, 'revisionHistoryLimit', 10);
        setIfMissing(spec, 'progressDeadlineSeconds', 600);
        templateDefaults(spec.template);
      }
      if (!old) obj.status = {};
      break;
    case 'ReplicaSet':
    case 'DaemonSet':
      if (spec) {
        if (t.kind === 'ReplicaSet') setIfMissing(spec, 'replicas', 1);
        templateDefaults(spec.template);
      }
      if (!old) obj.status = t.kind === 'ReplicaSet' ? { replicas: 0 } : {};
      break;
    case 'Job':
      if (spec) {
        setIfMissing(spec, 'parallelism', 1);
        setIfMissing(spec, 'completions', 1);
        setIfMissing(spec, 'backoffLimit', 6);
        setIfMissing(spec, 'completionMode', 'NonIndexed');
        setIfMissing(spec, 'suspend', false);
        setIfMissing(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
        templateDefaults(spec.template);
        if (!old && !spec.selector && spec.template) {
          // the selector and template labels are generated from the Job's uid
          const uid = obj.metadata.uid;
          spec.selector = {
            matchLabels: { 'batch.kubernetes.io/controller-uid': uid },
          };
          spec.template.metadata.labels = {
            ...(spec.template.metadata.labels ?? {}),
            'batch.kubernetes.io/controller-uid': uid,
            'batch.kubernetes.io/job-name': obj.metadata.name,
            'controller-uid': uid,
            'job-name': obj.metadata.name,
          };
        }
      }
      if (!old) obj.status = {};
      break;
    case 'CronJob':
      if (spec) {
        setIfMissing(spec, 'concurrencyPolicy', 'Allow');
        setIfMissing(spec, 'suspend', false);
        setIfMissing(spec, 'successfulJobsHistoryLimit', 3);
        setIfMissing(spec, 'failedJobsHistoryLimit', 1);
        templateDefaults(spec.jobTemplate?.spec?.template);
      }
      if (!old) obj.status = {};
      break;
    default:
      break;
  }
}

function qosClass(spec: any): string {
  const containers: any[] = spec?.containers ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || String(req[r]) !== String(lim[r]))
        guaranteed = false;
    }
  }
  if (guaranteed) return 'Guaranteed';
  return any ? 'Burstable' : 'BestEffort';
}

function serviceIp(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `10.96.${((h >>> 8) % 254) + 1}.${(h % 254) + 1}`;
}
