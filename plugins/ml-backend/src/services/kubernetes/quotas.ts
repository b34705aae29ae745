import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  GPU_RESOURCE_PATTERN,
  GpuResourceQuota,
  NamespaceGpuQuota,
  PendingWorkload,
} from '@mlplatform/plugin-ml-common';
import { parseDeviceCount } from '@mlplatform/plugin-ml-common';

/** The parts of a Kubernetes object this module reads. @internal */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  spec?: any;
  status?: any;
  [key: string]: any;
}

/** The Kueue objects of one cluster, as listed in one refresh. @internal */
export interface KueueSnapshot {
  /** `v1beta2` or `v1beta1`. */
  version: string;
  clusterQueues: KubeObject[];
  localQueues: KubeObject[];
  resourceFlavors: KubeObject[];
  cohorts: KubeObject[];
  workloads: KubeObject[];
}

/** Everything one refresh of one cluster lists. @internal */
export interface ClusterSnapshot {
  namespaces: KubeObject[];
  resourceQuotas: KubeObject[];
  /** core/v1 Events; the source of quota-denied and unschedulable pods. */
  events: KubeObject[];
  kueue?: KueueSnapshot;
}

/** Annotation that names the owning team when no label does. @internal */
export const OWNER_ANNOTATION = 'mlplatform.io/owner';

/**
 * The team owning a namespace, as an entity ref: the `teamLabel` label, else
 * the `mlplatform.io/owner` annotation. A bare name means a Group in the
 * default namespace; a full ref (`group:platform/ml-infra`) is kept.
 *
 * @internal
 */
export function namespaceTeam(
  namespace: KubeObject | undefined,
  teamLabel: string,
): string | undefined {
  const value =
    namespace?.metadata?.labels?.[teamLabel] ??
    namespace?.metadata?.annotations?.[OWNER_ANNOTATION];
  if (!value) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(value, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    return undefined;
  }
}

const GPU_QUOTA_KEY = /^(?:requests\.|limits\.)?(.+)$/;

/** The device resource a ResourceQuota key limits (`requests.X`, `limits.X` or bare `X`). */
function gpuResourceOf(key: string): string | undefined {
  const resource = GPU_QUOTA_KEY.exec(key)![1];
  return GPU_RESOURCE_PATTERN.test(resource) ? resource : undefined;
}

/**
 * GPU resources of one ResourceQuota. For each device resource the tightest
 * of `requests.X`, `limits.X` and bare `X` is the hard limit, and its usage
 * comes from `status.used` under the same key.
 *
 * @internal
 */
export function resourceQuotaGpus(quota: KubeObject): GpuResourceQuota[] {
  const hard: Record<string, unknown> = quota.spec?.hard ?? {};
  const statusHard: Record<string, unknown> = quota.status?.hard ?? {};
  const used: Record<string, unknown> = quota.status?.used ?? {};
  const tightest = new Map<string, { hard: number; used: number }>();
  for (const key of Object.keys({ ...statusHard, ...hard })) {
    const resource = gpuResourceOf(key);
    if (!resource) continue;
    const h = parseDeviceCount(hard[key] ?? statusHard[key]);
    const u = parseDeviceCount(used[key]);
    const current = tightest.get(resource);
    // Tightest = least room left; on a tie, the smaller hard limit.
    if (
      !current ||
      h - u < current.hard - current.used ||
      (h - u === current.hard - current.used && h < current.hard)
    ) {
      tightest.set(resource, { hard: h, used: u });
    }
  }
  return [...tightest.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resource, { hard: h, used: u }]) => ({
      resource,
      hard: h,
      used: u,
      free: Math.max(0, h - u),
      borrowable: 0,
    }));
}

type FlavorResourceKey = string;
const frKey = (flavor: string, resource: string): FlavorResourceKey =>
  `${flavor}\u0000${resource}`;

function usageMap(
  list: unknown,
): Map<FlavorResourceKey, { total: number; borrowed: number }> {
  const map = new Map<FlavorResourceKey, { total: number; borrowed: number }>();
  if (!Array.isArray(list)) return map;
  for (const flavor of list) {
    for (const r of flavor?.resources ?? []) {
      map.set(frKey(flavor.name, r.name), {
        total: parseDeviceCount(r.total),
        borrowed: parseDeviceCount(r.borrowed),
      });
    }
  }
  return map;
}

interface CqGpu {
  flavor: string;
  resource: string;
  nominal: number;
  borrowingLimit?: number;
  lendingLimit?: number;
  used: number;
  reserved: number;
  borrowed: number;
}

interface CqInfo {
  name: string;
  cohort?: string;
  gpus: CqGpu[];
}

function clusterQueueInfo(cq: KubeObject): CqInfo {
  const usage = usageMap(cq.status?.flavorsUsage);
  const reservation = usageMap(cq.status?.flavorsReservation);
  const gpus: CqGpu[] = [];
  for (const group of cq.spec?.resourceGroups ?? []) {
    for (const flavor of group?.flavors ?? []) {
      for (const r of flavor?.resources ?? []) {
        if (!GPU_RESOURCE_PATTERN.test(r?.name)) continue;
        const key = frKey(flavor.name, r.name);
        const used = usage.get(key)?.total ?? 0;
        gpus.push({
          flavor: flavor.name,
          resource: r.name,
          nominal: parseDeviceCount(r.nominalQuota),
          borrowingLimit:
            r.borrowingLimit === undefined || r.borrowingLimit === null
              ? undefined
              : parseDeviceCount(r.borrowingLimit),
          lendingLimit:
            r.lendingLimit === undefined || r.lendingLimit === null
              ? undefined
              : parseDeviceCount(r.lendingLimit),
          used,
          reserved: reservation.get(key)?.total ?? used,
          borrowed: Math.max(
            reservation.get(key)?.borrowed ?? 0,
            usage.get(key)?.borrowed ?? 0,
          ),
        });
      }
    }
  }
  return {
    name: cq.metadata?.name ?? '',
    // v1beta2 renamed spec.cohort to spec.cohortName.
    cohort: cq.spec?.cohortName || cq.spec?.cohort || undefined,
    gpus,
  };
}

/**
 * What a ClusterQueue can lend of one flavor+resource right now: its unused
 * nominal quota, capped by its lending limit.
 */
function lendable(g: CqGpu): number {
  const consumed = Math.max(g.used, g.reserved);
  return Math.max(
    0,
    Math.min(g.lendingLimit ?? g.nominal, g.nominal - consumed),
  );
}

/**
 * Borrowable GPUs of `cq` for one flavor+resource:
 * `min(borrowingLimit − alreadyBorrowed, Σ lendable(other CQs of the cohort) − Σ borrowed by them)`,
 * never below 0, and 0 outside a cohort.
 */
function borrowable(cq: CqInfo, g: CqGpu, all: CqInfo[]): number {
  if (!cq.cohort) return 0;
  let pool = 0;
  for (const other of all) {
    if (other === cq || other.cohort !== cq.cohort) continue;
    for (const o of other.gpus) {
      if (o.flavor !== g.flavor || o.resource !== g.resource) continue;
      pool += lendable(o) - o.borrowed;
    }
  }
  const limit = (g.borrowingLimit ?? Infinity) - g.borrowed;
  return Math.max(0, Math.min(limit, pool));
}

function condition(obj: KubeObject, type: string): any | undefined {
  return (obj.status?.conditions ?? []).find((c: any) => c?.type === type);
}

/** Requested GPUs of a Kueue Workload: Σ podSets count × Σ containers' requests. */
export function workloadGpus(workload: KubeObject): Record<string, number> {
  const gpus: Record<string, number> = {};
  for (const podSet of workload.spec?.podSets ?? []) {
    const count = parseDeviceCount(podSet?.count ?? 1) || 0;
    for (const c of podSet?.template?.spec?.containers ?? []) {
      const requests = {
        ...(c?.resources?.limits ?? {}),
        ...(c?.resources?.requests ?? {}),
      };
      for (const [name, value] of Object.entries(requests)) {
        if (!GPU_RESOURCE_PATTERN.test(name)) continue;
        gpus[name] = (gpus[name] ?? 0) + parseDeviceCount(value) * count;
      }
    }
  }
  return gpus;
}

/**
 * A Workload not (yet) admitted, with Kueue's reason; undefined when it is
 * admitted or finished.
 *
 * @internal
 */
export function pendingWorkload(
  workload: KubeObject,
): PendingWorkload | undefined {
  if (condition(workload, 'Admitted')?.status === 'True') return undefined;
  if (condition(workload, 'Finished')?.status === 'True') return undefined;
  const quotaReserved = condition(workload, 'QuotaReserved');
  const admitted = condition(workload, 'Admitted');
  const cond =
    quotaReserved?.status === 'False' || !admitted ? quotaReserved : admitted;
  return {
    kind: 'Workload',
    name: workload.metadata?.name ?? '',
    namespace: workload.metadata?.namespace ?? '',
    queue: workload.spec?.queueName,
    gpus: workloadGpus(workload),
    reason: cond ? `${cond.type}=${cond.status}` : 'Pending',
    ...(cond?.reason ? { kueueReason: cond.reason } : {}),
    message: cond?.message ?? 'waiting for Kueue to reserve quota',
    ...(cond?.lastTransitionTime || workload.metadata?.creationTimestamp
      ? {
          since:
            cond?.lastTransitionTime ?? workload.metadata?.creationTimestamp,
        }
      : {}),
  };
}

const QUOTA_DENIED = /pods? "([^"]+)" is forbidden: exceeded quota: ([^,\s]+)/;

/**
 * Pods that could not run because of GPUs, from core/v1 Events: a
 * ResourceQuota rejects the pod at admission, so the pod never exists and
 * only its controller's `FailedCreate` event says why; a pod the scheduler
 * cannot place has a `FailedScheduling` event. Only events that mention a GPU
 * resource count; the latest event per pod wins.
 *
 * @internal
 */
export function pendingPodsFromEvents(
  events: KubeObject[],
): Array<PendingWorkload & { quota?: string }> {
  const latest = new Map<
    string,
    PendingWorkload & { quota?: string; at: string }
  >();
  for (const e of events) {
    const message: string = e.message ?? e.note ?? '';
    const reason: string = e.reason ?? '';
    if (reason !== 'FailedCreate' && reason !== 'FailedScheduling') continue;
    if (!/nvidia\.com\//.test(message)) continue;
    const namespace =
      e.involvedObject?.namespace ?? e.metadata?.namespace ?? '';
    let name: string | undefined;
    let quota: string | undefined;
    const gpus: Record<string, number> = {};
    if (reason === 'FailedCreate') {
      const m = QUOTA_DENIED.exec(message);
      if (!m) continue;
      name = m[1];
      quota = m[2];
      const requested = /requested: ([^\s]+)/.exec(message)?.[1] ?? '';
      for (const part of requested.split(',')) {
        const [key, value] = part.split('=');
        const resource = key?.replace(/^(requests|limits)\./, '');
        if (resource && GPU_RESOURCE_PATTERN.test(resource)) {
          gpus[resource] = Math.max(
            gpus[resource] ?? 0,
            parseDeviceCount(value),
          );
        }
      }
    } else {
      if (e.involvedObject?.kind !== 'Pod') continue;
      name = e.involvedObject?.name;
    }
    if (!name) continue;
    const at =
      e.lastTimestamp ??
      e.eventTime ??
      e.firstTimestamp ??
      e.metadata?.creationTimestamp ??
      '';
    const key = `${namespace}/${name}`;
    const prev = latest.get(key);
    if (prev && prev.at > at) continue;
    latest.set(key, {
      kind: 'Pod',
      name,
      namespace,
      gpus,
      reason,
      message,
      ...(quota ? { quota } : {}),
      ...(e.firstTimestamp || e.eventTime
        ? { since: e.firstTimestamp ?? e.eventTime }
        : {}),
      at,
    });
  }
  return [...latest.values()].map(({ at: _at, ...rest }) => rest);
}

/**
 * The GPU quotas of every namespace of one cluster: one entry per
 * ResourceQuota with GPU keys and one per Kueue LocalQueue whose
 * ClusterQueue covers a GPU resource.
 *
 * @internal
 */
export function computeClusterQuotas(
  cluster: string,
  snapshot: ClusterSnapshot,
  teamLabel: string,
): NamespaceGpuQuota[] {
  const namespaces = new Map(
    snapshot.namespaces.map(ns => [ns.metadata?.name ?? '', ns]),
  );
  const teamOf = (ns: string) => namespaceTeam(namespaces.get(ns), teamLabel);
  const result: NamespaceGpuQuota[] = [];

  const pendingPods = pendingPodsFromEvents(snapshot.events);
  const rqEntries = new Map<string, NamespaceGpuQuota[]>();
  for (const rq of snapshot.resourceQuotas) {
    const resources = resourceQuotaGpus(rq);
    if (!resources.length) continue;
    const namespace = rq.metadata?.namespace ?? '';
    const team = teamOf(namespace);
    const entry: NamespaceGpuQuota = {
      cluster,
      namespace,
      ...(team ? { team } : {}),
      source: 'resourcequota',
      name: rq.metadata?.name ?? '',
      resources,
      pending: [],
    };
    result.push(entry);
    rqEntries.set(namespace, [...(rqEntries.get(namespace) ?? []), entry]);
  }
  for (const { quota, ...pod } of pendingPods) {
    const entries = rqEntries.get(pod.namespace);
    if (!entries) continue;
    const target = entries.find(e => e.name === quota) ?? entries[0];
    target.pending.push(pod);
  }

  if (snapshot.kueue) {
    const cqs = snapshot.kueue.clusterQueues.map(clusterQueueInfo);
    const cqByName = new Map(cqs.map(cq => [cq.name, cq]));
    const pendingByQueue = new Map<string, PendingWorkload[]>();
    for (const wl of snapshot.kueue.workloads) {
      const pending = pendingWorkload(wl);
      if (!pending?.queue) continue;
      const key = `${pending.namespace}/${pending.queue}`;
      pendingByQueue.set(key, [...(pendingByQueue.get(key) ?? []), pending]);
    }
    for (const lq of snapshot.kueue.localQueues) {
      const cq = cqByName.get(lq.spec?.clusterQueue);
      if (!cq || !cq.gpus.length) continue;
      const namespace = lq.metadata?.namespace ?? '';
      const team = teamOf(namespace);
      result.push({
        cluster,
        namespace,
        ...(team ? { team } : {}),
        source: 'kueue',
        name: cq.name,
        clusterQueue: cq.name,
        localQueue: lq.metadata?.name,
        ...(cq.cohort ? { cohort: cq.cohort } : {}),
        resources: cq.gpus.map(g => ({
          resource: g.resource,
          flavor: g.flavor,
          hard: g.nominal,
          used: g.used,
          reserved: g.reserved,
          free: Math.max(0, g.nominal - g.used),
          borrowable: borrowable(cq, g, cqs),
          ...(g.borrowingLimit !== undefined
            ? { borrowingLimit: g.borrowingLimit }
            : {}),
        })),
        pending: pendingByQueue.get(`${namespace}/${lq.metadata?.name}`) ?? [],
      });
    }
  }
  return result.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.source.localeCompare(b.source) ||
      a.name.localeCompare(b.name),
  );
}
