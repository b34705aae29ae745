import {
  MlOverviewGpus,
  MlOverviewOwner,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';

/**
 * GPUs per team and cluster: every quota of the team on the cluster summed,
 * all GPU resources and flavors together (a MIG slice counts as one), with
 * the GPUs that waiting workloads ask for. A Kueue ClusterQueue shared by
 * several namespaces of one team counts once per team. Busiest first: most
 * pending demand, then most used.
 *
 * @internal
 */
export function gpuRows(
  quotas: NamespaceGpuQuota[],
  owner: (ref: string) => MlOverviewOwner,
): MlOverviewGpus[] {
  const rows = new Map<string, MlOverviewGpus>();
  const counted = new Set<string>();
  for (const q of quotas) {
    const key = `${q.cluster}\u0000${q.team ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        cluster: q.cluster,
        ...(q.team ? { team: owner(q.team) } : {}),
        hard: 0,
        used: 0,
        free: 0,
        pendingDemand: 0,
        pendingWorkloads: 0,
      };
      rows.set(key, row);
    }
    const quotaKey = `${key}\u0000${q.source}\u0000${
      q.source === 'kueue'
        ? q.clusterQueue ?? q.name
        : `${q.namespace}/${q.name}`
    }`;
    if (!counted.has(quotaKey)) {
      counted.add(quotaKey);
      for (const r of q.resources) {
        row.hard += r.hard;
        row.used += r.used;
        row.free += r.free;
      }
    }
    for (const p of q.pending) {
      row.pendingWorkloads += 1;
      row.pendingDemand += Object.values(p.gpus).reduce((a, b) => a + b, 0);
    }
  }
  return [...rows.values()].sort(
    (a, b) =>
      b.pendingDemand - a.pendingDemand ||
      b.used - a.used ||
      a.cluster.localeCompare(b.cluster) ||
      (a.team?.name ?? '').localeCompare(b.team?.name ?? ''),
  );
}
