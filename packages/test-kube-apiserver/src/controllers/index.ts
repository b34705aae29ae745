/*
 * SIMULATED controllers — test behaviour, not Kubernetes behaviour in full:
 * - "kubelet": binds new pods to node `test-node-1` and marks them Running and
 *   Ready. The annotation `kube-apiserver.test/phase` (Pending, Running,
 *   Succeeded, Failed) pins a pod's phase; `kube-apiserver.test/message` sets
 *   the reason message (Pending pods get PodScheduled=False/Unschedulable).
 * - StatefulSet: pods `<name>-0..N-1` in order, status counts, scale down,
 *   FailedCreate Warning events when admission (quota) rejects a pod.
 * - Job: one pod per Job unless suspended or finished (a Complete or Failed
 *   condition, e.g. from a seed); status.active/succeeded/failed.
 * - Argo Workflow: a new Workflow (no status.phase) goes Pending, then Running
 *   and Succeeded after WORKFLOW_STEP_MS each; `kube-apiserver.test/phase`
 *   (Running, Failed, Error) pins where it ends and `kube-apiserver.test/message`
 *   its message. A `workflowTemplateRef` to a missing WorkflowTemplate ends in
 *   Error with Argo's message. No pods, nodes or CronWorkflow scheduling.
 * - Kubeflow Notebook: a StatefulSet (replicas 0 when annotated
 *   `kubeflow-resource-stopped`) and a Service; status mirrored from the pod.
 * Kueue is not simulated: ClusterQueue/Workload status comes from seeds and
 * tests through the /status subresource.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Cluster, clone } from './cluster';
import { ResourceType, apiVersionOf } from './resources';
import { StatusError } from './status';
import { StoreEvent } from './store';

export const PHASE_ANNOTATION = 'kube-apiserver.test/phase';
export const MESSAGE_ANNOTATION = 'kube-apiserver.test/message';
const NODE = 'test-node-1';
/** Time a simulated Workflow spends in Pending and then in Running. */
export const WORKFLOW_STEP_MS = 300;

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function ownerRef(t: ResourceType, owner: any) {
  return {
    apiVersion: apiVersionOf(t),
    kind: t.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

function ownedBy(o: any, owner: any): boolean {
  return (o.metadata.ownerReferences ?? []).some(
    (r: any) => r.uid === owner.metadata.uid && r.controller,
  );
}

function hash(o: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(o))
    .digest('hex')
    .slice(0, 10);
}

export function installControllers(cluster: Cluster): void {
  const T = (kind: string) => cluster.types.find(t => t.kind === kind);
  const podT = T('Pod')!;
  const stsT = T('StatefulSet')!;
  const svcT = T('Service')!;
  const jobT = T('Job')!;
  const evT = T('Event')!;
  const pvcT = T('PersistentVolumeClaim')!;
  const nbT = T('Notebook');
  const wfT = T('Workflow');
  const wftmplT = T('WorkflowTemplate');

  const series = new Map<string, string>();
  const record = (
    involved: any,
    it: ResourceType,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
  ) => {
    const ns = involved.metadata.namespace;
    // repeats of an event are counted on the first one, like the event recorder's aggregation
    const seriesKey = `${involved.metadata.uid}|${reason}|${message}`;
    const seen = series.get(seriesKey);
    const existing = seen ? cluster.store.get(evT, ns, seen) : undefined;
    if (existing) {
      cluster.update(evT, 'v1', ns, existing.metadata.name, {
        ...existing,
        count: (existing.count ?? 1) + 1,
        lastTimestamp: now(),
      });
      return;
    }
    const ts = now();
    const created = cluster.create(evT, 'v1', ns, {
      metadata: {
        name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace: ns,
      },
      involvedObject: {
        kind: it.kind,
        namespace: ns,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: apiVersionOf(it),
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
    series.set(seriesKey, created.object.metadata.name);
  };

  const podStatus = (pod: any) => {
    const phase: string =
      pod.metadata.annotations?.[PHASE_ANNOTATION] ?? 'Running';
    const message: string | undefined =
      pod.metadata.annotations?.[MESSAGE_ANNOTATION];
    const ts = pod.status?.startTime ?? now();
    const containers: any[] = pod.spec?.containers ?? [];
    if (phase === 'Pending') {
      return {
        phase,
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            lastProbeTime: null,
            lastTransitionTime: ts,
            reason: 'Unschedulable',
            message:
              message ?? `0/1 nodes are available: 1 Insufficient resources.`,
          },
        ],
        qosClass: pod.status?.qosClass,
      };
    }
    const running = phase === 'Running';
    const state = running
      ? { running: { startedAt: ts } }
      : {
          terminated: {
            exitCode: phase === 'Succeeded' ? 0 : 1,
            reason: phase === 'Succeeded' ? 'Completed' : 'Error',
            startedAt: ts,
            finishedAt: now(),
            ...(message ? { message } : {}),
          },
        };
    const cond = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: ts,
    });
    return {
      phase,
      conditions: [
        cond('PodReadyToStartContainers', running),
        cond('Initialized', true),
        cond('Ready', running),
        cond('ContainersReady', running),
        cond('PodScheduled', true),
      ],
      hostIP: '10.0.0.11',
      hostIPs: [{ ip: '10.0.0.11' }],
      podIP:
        pod.status?.podIP ??
        `10.244.0.${(parseInt(hash(pod.metadata.uid), 16) % 250) + 2}`,
      startTime: ts,
      containerStatuses: containers.map(c => ({
        name: c.name,
        state,
        ready: running,
        restartCount: 0,
        image: c.image,
        imageID: `${c.image}@sha256:${hash(c.image)}${hash(c.image)}`,
        containerID: `containerd://${hash(pod.metadata.uid + c.name)}`,
        started: running,
      })),
      qosClass: pod.status?.qosClass,
    };
  };

  // "kubelet": pods get scheduled and run
  const kubelet = (pod: any) => {
    const pinned = pod.metadata.annotations?.[PHASE_ANNOTATION];
    const want = pinned ?? 'Running';
    if (
      pod.status?.phase === want &&
      (want !== 'Running' || pod.spec?.nodeName)
    )
      return;
    if (!pinned && pod.status?.phase && pod.status.phase !== 'Pending') return;
    let current = pod;
    if (want !== 'Pending' && !pod.spec?.nodeName) {
      record(
        pod,
        podT,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${NODE}`,
        'default-scheduler',
      );
      current = cluster.update(
        podT,
        'v1',
        pod.metadata.namespace,
        pod.metadata.name,
        { ...pod, spec: { ...pod.spec, nodeName: NODE } },
      ).object;
    }
    cluster.update(
      podT,
      'v1',
      pod.metadata.namespace,
      pod.metadata.name,
      { ...current, status: podStatus(current) },
      { status: true },
    );
  };

  const isReady = (p: any) =>
    p.status?.phase === 'Running' &&
    (p.status?.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    );

  const reconcileStatefulSet = (sts: any) => {
    const ns = sts.metadata.namespace;
    const replicas: number = sts.spec?.replicas ?? 1;
    const revision = `${sts.metadata.name}-${hash(sts.spec?.template).slice(
      0,
      10,
    )}`;
    const pods = () =>
      cluster.store.list(podT, ns).filter(p => ownedBy(p, sts));
    for (const p of pods()) {
      const ordinal = Number(
        p.metadata.name.slice(sts.metadata.name.length + 1),
      );
      if (ordinal >= replicas) {
        cluster.delete(podT, ns, p.metadata.name);
        record(
          sts,
          stsT,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
          'statefulset-controller',
        );
      }
    }
    for (let i = 0; i < replicas; i++) {
      const name = `${sts.metadata.name}-${i}`;
      if (cluster.store.get(podT, ns, name)) continue;
      const tpl = clone(sts.spec?.template ?? {});
      const volumes = [...(tpl.spec?.volumes ?? [])];
      for (const claim of sts.spec?.volumeClaimTemplates ?? []) {
        const claimName = `${claim.metadata.name}-${name}`;
        if (!cluster.store.get(pvcT, ns, claimName)) {
          const pvc = cluster.create(pvcT, 'v1', ns, {
            metadata: {
              name: claimName,
              namespace: ns,
              labels: { ...(sts.spec?.selector?.matchLabels ?? {}) },
            },
            spec: { ...claim.spec },
          }).object;
          cluster.update(
            pvcT,
            'v1',
            ns,
            claimName,
            {
              ...pvc,
              status: {
                phase: 'Bound',
                accessModes: claim.spec?.accessModes,
                capacity: claim.spec?.resources?.requests,
              },
            },
            { status: true },
          );
        }
        if (!volumes.some((v: any) => v.name === claim.metadata.name)) {
          volumes.push({
            name: claim.metadata.name,
            persistentVolumeClaim: { claimName },
          });
        }
      }
      const pod = {
        metadata: {
          ...tpl.metadata,
          name,
          namespace: ns,
          labels: {
            ...(tpl.metadata?.labels ?? {}),
            'apps.kubernetes.io/pod-index': String(i),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
          },
          ownerReferences: [ownerRef(stsT, sts)],
        },
        spec: {
          ...tpl.spec,
          ...(volumes.length ? { volumes } : {}),
          hostname: name,
          ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}),
        },
      };
      try {
        cluster.create(podT, 'v1', ns, pod);
        record(
          sts,
          stsT,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
          'statefulset-controller',
        );
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        record(
          sts,
          stsT,
          'Warning',
          'FailedCreate',
          `create Pod ${name} in StatefulSet ${sts.metadata.name} failed error: ${e.message}`,
          'statefulset-controller',
        );
        break; // OrderedReady: the next ordinal waits for this one
      }
      if (
        sts.spec?.podManagementPolicy !== 'Parallel' &&
        !isReady(cluster.store.get(podT, ns, name))
      )
        break;
    }
    const current = cluster.store.get(stsT, ns, sts.metadata.name);
    if (!current) return;
    const owned = pods();
    const ready = owned.filter(isReady).length;
    const status: any = {
      observedGeneration: current.metadata.generation,
      replicas: owned.length,
      readyReplicas: ready,
      currentReplicas: owned.length,
      updatedReplicas: owned.length,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
      availableReplicas: ready,
    };
    if (!ready) delete status.readyReplicas;
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        stsT,
        'v1',
        ns,
        current.metadata.name,
        { ...current, status },
        { status: true },
      );
    }
  };

  const reconcileJob = (job: any) => {
    const finished = (job.status?.conditions ?? []).some(
      (c: any) =>
        ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
    );
    if (finished) return;
    const ns = job.metadata.namespace;
    const pods = cluster.store.list(podT, ns).filter(p => ownedBy(p, job));
    const completions = job.spec?.completions ?? 1;
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter(p => p.status?.phase === 'Failed').length;
    const complete = succeeded >= completions;
    if (
      !job.spec?.suspend &&
      !complete &&
      pods.filter(p => !['Succeeded', 'Failed'].includes(p.status?.phase))
        .length === 0 &&
      failed <= (job.spec?.backoffLimit ?? 6)
    ) {
      const tpl = clone(job.spec?.template ?? {});
      try {
        const created = cluster.create(podT, 'v1', ns, {
          metadata: {
            ...tpl.metadata,
            generateName: `${job.metadata.name}-`,
            namespace: ns,
            ownerReferences: [ownerRef(jobT, job)],
          },
          spec: tpl.spec,
        });
        record(
          job,
          jobT,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.object.metadata.name}`,
          'job-controller',
        );
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        record(
          job,
          jobT,
          'Warning',
          'FailedCreate',
          `Error creating: ${e.message}`,
          'job-controller',
        );
      }
    }
    const current = cluster.store.get(jobT, ns, job.metadata.name);
    if (!current) return;
    const all = cluster.store.list(podT, ns).filter(p => ownedBy(p, job));
    const active = all.filter(
      p => !['Succeeded', 'Failed'].includes(p.status?.phase),
    ).length;
    const status: any = { ...(current.status ?? {}) };
    if (!status.startTime && !job.spec?.suspend) status.startTime = now();
    if (active) status.active = active;
    else delete status.active;
    status.ready = all.filter(isReady).length;
    if (succeeded) status.succeeded = succeeded;
    if (failed) status.failed = failed;
    status.terminating = 0;
    status.uncountedTerminatedPods = {};
    if (
      complete &&
      !(status.conditions ?? []).some((c: any) => c.type === 'Complete')
    ) {
      const ts = now();
      status.completionTime = ts;
      status.conditions = [
        ...(status.conditions ?? []),
        {
          type: 'SuccessCriteriaMet',
          status: 'True',
          lastProbeTime: ts,
          lastTransitionTime: ts,
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
        {
          type: 'Complete',
          status: 'True',
          lastProbeTime: ts,
          lastTransitionTime: ts,
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
      ];
    }
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        jobT,
        'v1',
        ns,
        current.metadata.name,
        { ...current, status },
        { status: true },
      );
    }
  };

  const reconcileNotebook = (nb: any) => {
    if (!nbT) return;
    const ns = nb.metadata.namespace;
    const name = nb.metadata.name;
    const stopped =
      nb.metadata.annotations?.['kubeflow-resource-stopped'] !== undefined;
    const tpl = clone(nb.spec?.template ?? {});
    const labels = { statefulset: name, 'notebook-name': name };
    const desired = {
      metadata: {
        name,
        namespace: ns,
        labels: { ...labels },
        ownerReferences: [ownerRef(nbT, nb)],
      },
      spec: {
        replicas: stopped ? 0 : 1,
        selector: { matchLabels: { statefulset: name } },
        serviceName: '',
        template: {
          metadata: {
            ...(tpl.metadata ?? {}),
            labels: { ...(tpl.metadata?.labels ?? {}), ...labels },
          },
          spec: tpl.spec,
        },
      },
    };
    const sts = cluster.store.get(stsT, ns, name);
    if (!sts) cluster.create(stsT, 'v1', ns, desired);
    else if (
      sts.spec.replicas !== desired.spec.replicas ||
      JSON.stringify(sts.spec.template.spec) !==
        JSON.stringify({
          ...sts.spec.template.spec,
          ...desired.spec.template.spec,
        })
    ) {
      cluster.update(stsT, 'v1', ns, name, {
        ...sts,
        spec: {
          ...sts.spec,
          replicas: desired.spec.replicas,
          template: {
            ...sts.spec.template,
            spec: { ...sts.spec.template.spec, ...desired.spec.template.spec },
          },
        },
      });
    }
    if (!cluster.store.get(svcT, ns, name)) {
      cluster.create(svcT, 'v1', ns, {
        metadata: { name, namespace: ns, ownerReferences: [ownerRef(nbT, nb)] },
        spec: {
          type: 'ClusterIP',
          selector: { statefulset: name },
          ports: [
            {
              name: `http-${name}`,
              port: 80,
              targetPort: 8888,
              protocol: 'TCP',
            },
          ],
        },
      });
    }
    const current = cluster.store.get(nbT, ns, name);
    if (!current) return;
    const pod = cluster.store.get(podT, ns, `${name}-0`);
    const stsNow = cluster.store.get(stsT, ns, name);
    const status: any = {
      conditions: (pod?.status?.conditions ?? []).map((c: any) => ({
        type: c.type,
        status: c.status,
        lastProbeTime: c.lastProbeTime ?? c.lastTransitionTime,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
      readyReplicas: stsNow?.status?.readyReplicas ?? 0,
      containerState:
        pod?.status?.containerStatuses?.find((c: any) => c.name === name)
          ?.state ??
        pod?.status?.containerStatuses?.[0]?.state ??
        {},
    };
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        nbT,
        current.apiVersion.split('/')[1],
        ns,
        name,
        { ...current, status },
        { status: true },
      );
    }
  };

  // Argo's workflow controller, reduced to its phases
  const setWorkflowPhase = (
    ns: string,
    name: string,
    uid: string,
    phase: string,
    message?: string,
  ) => {
    const current = wfT && cluster.store.get(wfT, ns, name);
    if (!current || current.metadata.uid !== uid) return;
    const done = !['Pending', 'Running'].includes(phase);
    const status: any = {
      ...(current.status ?? {}),
      phase,
      startedAt: current.status?.startedAt ?? now(),
      ...(done ? { finishedAt: now() } : {}),
      progress: phase === 'Succeeded' ? '1/1' : '0/1',
    };
    if (message) status.message = message;
    else delete status.message;
    cluster.update(wfT!, 'v1alpha1', ns, name, {
      ...current,
      metadata: {
        ...current.metadata,
        labels: {
          ...(current.metadata.labels ?? {}),
          'workflows.argoproj.io/phase': phase,
          ...(done ? { 'workflows.argoproj.io/completed': 'true' } : {}),
        },
      },
      status,
    });
  };

  const startWorkflow = (wf: any) => {
    const { namespace: ns, name, uid } = wf.metadata;
    const ref = wf.spec?.workflowTemplateRef;
    if (
      ref?.name &&
      !ref.clusterScope &&
      !cluster.store.get(wftmplT!, ns, ref.name)
    ) {
      setWorkflowPhase(
        ns,
        name,
        uid,
        'Error',
        `workflowtemplates.argoproj.io "${ref.name}" not found`,
      );
      return;
    }
    const pinned: string | undefined =
      wf.metadata.annotations?.[PHASE_ANNOTATION];
    const message: string | undefined =
      wf.metadata.annotations?.[MESSAGE_ANNOTATION];
    setWorkflowPhase(ns, name, uid, 'Pending');
    cluster.later(WORKFLOW_STEP_MS, () => {
      setWorkflowPhase(ns, name, uid, 'Running');
      if (pinned === 'Running') return;
      cluster.later(WORKFLOW_STEP_MS, () =>
        setWorkflowPhase(
          ns,
          name,
          uid,
          pinned ?? 'Succeeded',
          pinned && pinned !== 'Succeeded'
            ? message ?? 'child failed'
            : undefined,
        ),
      );
    });
  };

  const ownerOf = (o: any, t: ResourceType | undefined) => {
    if (!t) return undefined;
    const ref = (o.metadata.ownerReferences ?? []).find(
      (r: any) => r.controller && r.kind === t.kind,
    );
    if (!ref) return undefined;
    const owner = cluster.store.get(t, o.metadata.namespace, ref.name);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  };

  cluster.addController((e: StoreEvent) => {
    const o = e.object;
    const ns = o.metadata.namespace;
    if (e.resource === podT) {
      if (e.type !== 'DELETED') {
        const live = cluster.store.get(podT, ns, o.metadata.name);
        if (live) kubelet(live);
      }
      const sts = ownerOf(o, stsT);
      if (sts) {
        reconcileStatefulSet(sts);
        const nb = ownerOf(sts, nbT);
        if (nb) reconcileNotebook(nb);
      }
      const job = ownerOf(o, jobT);
      if (job) reconcileJob(job);
      if (e.type === 'DELETED') {
        // a freed quota lets waiting StatefulSets try again, as their controller's retries do
        for (const s of cluster.store.list(stsT, ns)) {
          if ((s.status?.replicas ?? 0) < (s.spec?.replicas ?? 1))
            reconcileStatefulSet(s);
        }
      }
    } else if (e.resource === stsT && e.type !== 'DELETED') {
      const sts = cluster.store.get(stsT, ns, o.metadata.name);
      if (sts) reconcileStatefulSet(sts);
      const nb = ownerOf(o, nbT);
      if (nb) reconcileNotebook(nb);
    } else if (e.resource === jobT && e.type !== 'DELETED') {
      const job = cluster.store.get(jobT, ns, o.metadata.name);
      if (job) reconcileJob(job);
    } else if (wfT && e.resource === wfT && e.type === 'ADDED') {
      const wf = cluster.store.get(wfT, ns, o.metadata.name);
      if (wf && !wf.status?.phase) startWorkflow(wf);
    } else if (nbT && e.resource === nbT && e.type !== 'DELETED') {
      const nb = cluster.store.get(nbT, ns, o.metadata.name);
      if (nb) reconcileNotebook(nb);
    } else if (e.resource.kind === 'ResourceQuota' && e.type !== 'ADDED') {
      for (const s of cluster.store.list(stsT, ns)) {
        if ((s.status?.replicas ?? 0) < (s.spec?.replicas ?? 1))
          reconcileStatefulSet(s);
      }
    }
  });
}
