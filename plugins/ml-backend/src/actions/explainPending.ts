import {
  availableGpus,
  describePendingReason,
  GpuResourceQuota,
  NamespaceGpuQuota,
  PendingWorkload,
} from '@mlplatform/plugin-ml-common';

/**
 * What one requested GPU resource meets in the quota the workload waits in.
 *
 * @internal
 */
export interface PendingResourceCheck {
  resource: string;
  /** Devices the workload asks for. */
  requested: number;
  /** The flavor with the most room (Kueue), when the quota has flavors. */
  flavor?: string;
  /** Free in the quota now, `hard - used`. */
  free: number;
  /** What the cohort can lend now (0 for ResourceQuotas). */
  borrowable: number;
  /** Per flavor, as the quota reports it; empty when no quota provides the resource. */
  quota: GpuResourceQuota[];
}

/**
 * One pending workload and why it waits, in the terms of its quota.
 *
 * @internal
 */
export interface PendingExplanation {
  kind: PendingWorkload['kind'];
  name: string;
  namespace: string;
  cluster: string;
  /** Kueue LocalQueue. */
  queue?: string;
  /** Where the GPUs come from: the ResourceQuota or the ClusterQueue. */
  quota: {
    source: NamespaceGpuQuota['source'];
    name: string;
    clusterQueue?: string;
    cohort?: string;
  };
  /** Kueue's condition (e.g. `QuotaReserved=False`) or the event reason. */
  reason: string;
  /** Kueue's or the quota event's own message. */
  message: string;
  since?: string;
  /** Kueue's QuotaReserved condition reason, e.g. `Pending`. */
  kueueReason?: string;
  /** 0-based place in its ClusterQueue (workloads ahead), when Kueue's visibility API answered. */
  positionInClusterQueue?: number;
  positionInLocalQueue?: number;
  /** Why it waits in plain words (ml-common's `describePendingReason`). */
  plainReason: string;
  requested: Record<string, number>;
  resources: PendingResourceCheck[];
  /** One plain-language sentence. */
  explanation: string;
}

/** "; 3 workloads are ahead of it in team-cq" when the position is known. */
function ahead(p: PendingWorkload, q: NamespaceGpuQuota): string {
  const n = p.positionInClusterQueue;
  if (n === undefined) return '';
  const queue = q.clusterQueue ?? q.name;
  return n === 0
    ? ` It is next in line in ${queue}.`
    : ` ${n} workload${n === 1 ? ' is' : 's are'} ahead of it in ${queue}.`;
}

function sentence(
  p: PendingWorkload,
  q: NamespaceGpuQuota,
  checks: PendingResourceCheck[],
): string {
  return `${quotaSentence(p, q, checks)}${ahead(p, q)}`;
}

function quotaSentence(
  p: PendingWorkload,
  q: NamespaceGpuQuota,
  checks: PendingResourceCheck[],
): string {
  if (!checks.length) {
    return `${p.name} asks for no GPUs, so GPU quota is not why it waits; ${p.reason}: ${p.message}.`;
  }
  const asks = checks.map(c => `${c.requested} ${c.resource}`).join(' and ');
  const holder =
    q.source === 'kueue'
      ? `the ${q.clusterQueue ?? q.name} ClusterQueue`
      : `ResourceQuota ${q.name} in ${q.namespace}`;
  const parts = checks.map(c => {
    if (!c.quota.length) return `provides no ${c.resource}`;
    const flavor = c.flavor ? ` (flavor ${c.flavor})` : '';
    if (q.source !== 'kueue') {
      return `has ${c.free} ${c.resource} free${flavor} and cannot borrow`;
    }
    const cohort = q.cohort
      ? `can borrow ${c.borrowable} from cohort ${q.cohort}`
      : 'is in no cohort to borrow from';
    return `has ${c.free} ${c.resource} free${flavor} and ${cohort}`;
  });
  const short = checks.filter(c => c.free + c.borrowable < c.requested);
  const verdict = short.length
    ? `so it waits until ${short
        .map(
          c =>
            `${c.requested - c.free - c.borrowable} more ${c.resource} ${
              c.requested - c.free - c.borrowable === 1 ? 'is' : 'are'
            } released`,
        )
        .join(' and ')}`
    : `so it fits now and should be admitted on the next attempt (${p.reason}: ${p.message})`;
  const unprovided = checks.filter(c => !c.quota.length);
  if (unprovided.length) {
    return `${p.name} asks for ${asks}, but ${holder} ${parts.join(
      '; ',
    )}, so it cannot run there until the quota covers ${unprovided
      .map(c => c.resource)
      .join(' and ')}.`;
  }
  return `${p.name} asks for ${asks}; ${holder} ${parts.join(
    '; ',
  )}, ${verdict}.`;
}

/**
 * Explains every pending workload in the given quotas (those of one
 * namespace): what it asks for, what its quota has free and can borrow per
 * requested resource (the same `availableGpus` the notebook create check
 * uses), and a sentence saying why it waits.
 *
 * @internal
 */
export function explainPendingWorkloads(
  cluster: string,
  quotas: NamespaceGpuQuota[],
  workload?: string,
): PendingExplanation[] {
  const result: PendingExplanation[] = [];
  for (const q of quotas) {
    for (const p of q.pending) {
      if (workload && p.name !== workload) continue;
      const checks: PendingResourceCheck[] = Object.entries(p.gpus).map(
        ([resource, requested]) => {
          const availability = availableGpus([q], resource);
          return {
            resource,
            requested,
            ...(availability?.flavor ? { flavor: availability.flavor } : {}),
            free: availability?.free ?? 0,
            borrowable: availability?.borrowable ?? 0,
            quota: q.resources.filter(r => r.resource === resource),
          };
        },
      );
      result.push({
        kind: p.kind,
        name: p.name,
        namespace: p.namespace,
        cluster,
        ...(p.queue ? { queue: p.queue } : {}),
        quota: {
          source: q.source,
          name: q.name,
          ...(q.clusterQueue ? { clusterQueue: q.clusterQueue } : {}),
          ...(q.cohort ? { cohort: q.cohort } : {}),
        },
        reason: p.reason,
        message: p.message,
        ...(p.since ? { since: p.since } : {}),
        ...(p.kueueReason ? { kueueReason: p.kueueReason } : {}),
        ...(p.positionInClusterQueue !== undefined
          ? { positionInClusterQueue: p.positionInClusterQueue }
          : {}),
        ...(p.positionInLocalQueue !== undefined
          ? { positionInLocalQueue: p.positionInLocalQueue }
          : {}),
        plainReason:
          p.explanation ??
          describePendingReason({
            kind: p.kind,
            reason: p.kueueReason ?? p.reason,
            message: p.message,
            positionInClusterQueue: p.positionInClusterQueue,
            positionInLocalQueue: p.positionInLocalQueue,
          }),
        requested: p.gpus,
        resources: checks,
        explanation: sentence(p, q, checks),
      });
    }
  }
  return result;
}
