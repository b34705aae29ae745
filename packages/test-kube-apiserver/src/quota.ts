/*
 * ResourceQuota admission and the quota controller's status updates
 * (plugin/pkg/admission/resourcequota and pkg/controller/resourcequota):
 * pods are charged for the resources every quota's spec.hard names; a pod
 * that would exceed a quota is rejected with the real Forbidden message.
 * Quota scopes and scopeSelectors are not evaluated.
 */
import { Cluster } from './cluster';
import { ResourceType } from './resources';
import { errors } from './status';
import {
  Quantity,
  addQuantities,
  formatQuantity,
  parseQuantity,
} from './quantity';
import { StoreEvent } from './store';

const COMPUTE = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isTerminal(pod: any): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The pod's effective request/limit of one resource: max(sum of containers, any init container) + overhead. */
function podAmount(
  pod: any,
  kind: 'requests' | 'limits',
  resource: string,
): Quantity | undefined {
  let sum: Quantity | undefined;
  for (const c of pod.spec?.containers ?? []) {
    const v = c.resources?.[kind]?.[resource];
    if (v === undefined) continue;
    const qv = parseQuantity(v);
    sum = sum ? addQuantities(sum, qv) : qv;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const v = c.resources?.[kind]?.[resource];
    if (v === undefined) continue;
    const qv = parseQuantity(v);
    if (!sum || qv.milli > sum.milli) sum = qv;
  }
  const overhead = pod.spec?.overhead?.[resource];
  if (overhead !== undefined && sum)
    sum = addQuantities(sum, parseQuantity(overhead));
  return sum;
}

// stored objects are never mutated (writes store new objects), so a pod's
// parsed charges can be cached by object identity
const charges = new WeakMap<object, Map<string, Quantity | undefined>>();

/** What one pod uses of a quota key (`requests.nvidia.com/gpu`, `cpu`, `pods`, …). */
function usageOf(pod: any, key: string): Quantity | undefined {
  let m = charges.get(pod);
  if (!m) {
    m = new Map();
    charges.set(pod, m);
  }
  if (!m.has(key)) m.set(key, computeUsage(pod, key));
  return m.get(key);
}

function computeUsage(pod: any, key: string): Quantity | undefined {
  if (key === 'pods' || key === 'count/pods')
    return { milli: 1000n, format: 'DecimalSI' };
  if (key.startsWith('requests.'))
    return podAmount(pod, 'requests', key.slice('requests.'.length));
  if (key.startsWith('limits.'))
    return podAmount(pod, 'limits', key.slice('limits.'.length));
  if (COMPUTE.has(key)) return podAmount(pod, 'requests', key);
  return undefined;
}

function tracksPods(key: string): boolean {
  return (
    key === 'pods' ||
    key === 'count/pods' ||
    key.startsWith('requests.') ||
    key.startsWith('limits.') ||
    COMPUTE.has(key)
  );
}

function zeroLike(hard: string): Quantity {
  return { milli: 0n, format: parseQuantity(hard).format };
}

/** Sums what the pods use of every key of the quota's spec.hard. */
function usedBy(
  pods: any[],
  hard: Record<string, string>,
): Record<string, Quantity> {
  const used: Record<string, Quantity> = {};
  for (const key of Object.keys(hard)) {
    if (!tracksPods(key)) continue;
    let total = zeroLike(hard[key]);
    for (const p of pods) {
      const u = usageOf(p, key);
      if (u)
        total = {
          milli: total.milli + u.milli,
          format: total.milli === 0n ? u.format : total.format,
        };
    }
    used[key] = total;
  }
  return used;
}

function type(cluster: Cluster, kind: string): ResourceType {
  return cluster.types.find(t => t.kind === kind)!;
}

/** Registers quota admission for pods and keeps every quota's status up to date. */
export function installQuota(cluster: Cluster): void {
  const podType = type(cluster, 'Pod');
  const rqType = type(cluster, 'ResourceQuota');

  cluster.addAdmission((op, t, pod) => {
    if (t !== podType || op !== 'create') return;
    const ns = pod.metadata.namespace;
    const quotas = cluster.store.list(rqType, ns);
    if (!quotas.length) return;
    const live = cluster.store.list(podType, ns).filter(p => !isTerminal(p));
    for (const quota of [...quotas].sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    )) {
      const hard: Record<string, string> = quota.spec?.hard ?? {};
      // compute resources a quota tracks must be specified by every container
      const missing: string[] = [];
      for (const key of Object.keys(hard).sort()) {
        const base = key.replace(/^(requests|limits)\./, '');
        if (!COMPUTE.has(base)) continue;
        const kind = key.startsWith('limits.') ? 'limits' : 'requests';
        const lacking = (pod.spec?.containers ?? [])
          .filter((c: any) => c.resources?.[kind]?.[base] === undefined)
          .map((c: any) => c.name);
        if (lacking.length)
          missing.push(`${kind}.${base} for: ${lacking.join(',')}`);
      }
      if (missing.length) {
        throw errors.forbidden(
          { group: '', resource: 'pods', name: pod.metadata.name },
          `failed quota: ${quota.metadata.name}: must specify ${missing.join(
            '; ',
          )}`,
        );
      }
      const used = usedBy(live, hard);
      const exceeded = Object.keys(used)
        .sort()
        .filter(k => {
          const req = usageOf(pod, k);
          return (
            req &&
            req.milli > 0n &&
            used[k].milli + req.milli > parseQuantity(hard[k]).milli
          );
        });
      if (exceeded.length) {
        const fmt = (f: (k: string) => string) =>
          exceeded.map(k => `${k}=${f(k)}`).join(',');
        throw errors.forbidden(
          { group: '', resource: 'pods', name: pod.metadata.name },
          `exceeded quota: ${quota.metadata.name}, requested: ${fmt(k =>
            formatQuantity(usageOf(pod, k)!),
          )}, used: ${fmt(k => formatQuantity(used[k]))}, limited: ${fmt(k =>
            formatQuantity(parseQuantity(hard[k])),
          )}`,
        );
      }
    }
  });

  const refresh = (ns: string) => {
    const live = cluster.store.list(podType, ns).filter(p => !isTerminal(p));
    for (const quota of cluster.store.list(rqType, ns)) {
      const hard: Record<string, string> = quota.spec?.hard ?? {};
      const used = usedBy(live, hard);
      const status = {
        hard: Object.fromEntries(
          Object.entries(hard).map(([k, v]) => [
            k,
            formatQuantity(parseQuantity(v)),
          ]),
        ),
        used: Object.fromEntries(
          Object.entries(used).map(([k, v]) => [k, formatQuantity(v)]),
        ),
      };
      if (JSON.stringify(status) === JSON.stringify(quota.status ?? {}))
        continue;
      cluster.update(
        rqType,
        'v1',
        ns,
        quota.metadata.name,
        { ...quota, status },
        { status: true },
      );
    }
  };
  // what each pod is charged for; an update that changes none of it needs no refresh
  const chargeOf = (pod: any) =>
    isTerminal(pod)
      ? 'terminal'
      : JSON.stringify([
          pod.spec?.containers?.map((c: any) => c.resources),
          pod.spec?.initContainers?.map((c: any) => c.resources),
          pod.spec?.overhead,
        ]);
  const lastCharge = new Map<string, string>();
  cluster.addController((e: StoreEvent) => {
    if (e.resource === podType) {
      const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
      if (e.type === 'DELETED') lastCharge.delete(key);
      else {
        const charge = chargeOf(e.object);
        const unchanged =
          e.type === 'MODIFIED' && lastCharge.get(key) === charge;
        lastCharge.set(key, charge);
        if (unchanged) return;
      }
    }
    if (
      e.resource === podType ||
      (e.resource === rqType && e.type !== 'DELETED')
    ) {
      refresh(e.object.metadata.namespace);
    }
  });
}
