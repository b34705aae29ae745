import {
  ClusterAvailability,
  NamespaceGpuQuota,
  describePendingReason,
} from '@mlplatform/plugin-ml-common';
import { ClusterService } from './ClusterService';
import { KubeApiError } from './KubeClient';

/** Kueue's visibility API group (an aggregated API, not a CRD). @internal */
export const VISIBILITY_GROUP = 'visibility.kueue.x-k8s.io';

/** Where one pending Workload stands, keyed `namespace/name`. @internal */
export interface QueuePosition {
  positionInClusterQueue: number;
  positionInLocalQueue: number;
}

/** What one refresh learnt from the visibility API. @internal */
export interface QueuePositions {
  state: NonNullable<ClusterAvailability['queuePositions']>;
  positions: Map<string, QueuePosition>;
  /** Why positions are missing, for the cluster's notes. */
  note?: string;
}

interface PendingWorkloadsSummary {
  items?: Array<{
    metadata?: { name?: string; namespace?: string };
    positionInClusterQueue?: number;
    positionInLocalQueue?: number;
  }>;
}

/**
 * Reads the positions of pending Workloads from Kueue's visibility API, one
 * GET per ClusterQueue that has pending workloads (Kueue's default page of
 * 1000 is enough for a queue anyone reads). A 403 (or any other failure)
 * stops the round: the API is refused for the whole cluster; a 404 from
 * every queue means the API is absent. The note says so, and the quota view
 * stays as it was, without positions.
 *
 * @internal
 */
export async function readQueuePositions(
  clusters: ClusterService,
  cluster: string,
  clusterQueues: string[],
): Promise<QueuePositions> {
  const positions = new Map<string, QueuePosition>();
  let notFound = 0;
  for (const cq of clusterQueues) {
    try {
      const summary = await clusters
        .client(cluster)
        .request<PendingWorkloadsSummary>(
          'GET',
          `/apis/${VISIBILITY_GROUP}/v1beta1/clusterqueues/${encodeURIComponent(
            cq,
          )}/pendingworkloads`,
          {
            verb: 'get',
            resource: `clusterqueues/pendingworkloads.${VISIBILITY_GROUP}`,
            object: cq,
          },
        );
      for (const item of summary.items ?? []) {
        const { name, namespace } = item.metadata ?? {};
        if (!name || !namespace) continue;
        positions.set(`${namespace}/${name}`, {
          positionInClusterQueue: item.positionInClusterQueue ?? 0,
          positionInLocalQueue: item.positionInLocalQueue ?? 0,
        });
      }
    } catch (e) {
      const status = e instanceof KubeApiError ? e.status : undefined;
      if (status === 404) {
        // a queue Kueue does not know (yet) answers 404 too; only when
        // every queue does is the API itself missing
        notFound++;
        continue;
      }
      if (status === 403) {
        return {
          state: 'forbidden',
          positions,
          note: `Queue positions are not shown: the portal may not read Kueue's visibility API on ${cluster} (403); grant it get on clusterqueues/pendingworkloads in ${VISIBILITY_GROUP}.`,
        };
      }
      return {
        state: 'unavailable',
        positions,
        note: `Queue positions are not shown: Kueue's visibility API on ${cluster} did not answer (${
          (e as Error).message
        }).`,
      };
    }
  }
  if (notFound && notFound === clusterQueues.length) {
    return {
      state: 'absent',
      positions,
      note: `Queue positions are not shown: Kueue's visibility API (${VISIBILITY_GROUP}) is not served on ${cluster}.`,
    };
  }
  return { state: 'available', positions };
}

/** The ClusterQueues that have pending Kueue workloads, each once. @internal */
export function clusterQueuesWithPending(
  quotas: NamespaceGpuQuota[],
): string[] {
  const names = new Set<string>();
  for (const q of quotas) {
    if (q.source !== 'kueue' || !q.clusterQueue) continue;
    if (q.pending.some(p => p.kind === 'Workload')) names.add(q.clusterQueue);
  }
  return [...names].sort();
}

/**
 * The quotas with each pending workload's queue position (when known) and
 * its plain-words explanation; pending workloads are ordered by position,
 * unknown ones last in their old order.
 *
 * @internal
 */
export function withPositions(
  quotas: NamespaceGpuQuota[],
  positions: Map<string, QueuePosition> | undefined,
): NamespaceGpuQuota[] {
  return quotas.map(q => {
    const pending = q.pending.map(p => {
      const position =
        p.kind === 'Workload'
          ? positions?.get(`${p.namespace}/${p.name}`)
          : undefined;
      const out = {
        ...p,
        ...(q.source === 'kueue' && q.clusterQueue
          ? { clusterQueue: q.clusterQueue }
          : {}),
        ...(position ?? {}),
      };
      return {
        ...out,
        explanation: describePendingReason({
          kind: p.kind,
          reason: p.kueueReason ?? p.reason,
          message: p.message,
          positionInClusterQueue: out.positionInClusterQueue,
          positionInLocalQueue: out.positionInLocalQueue,
        }),
      };
    });
    const rank = (p: (typeof pending)[number]) =>
      p.positionInClusterQueue ?? Number.MAX_SAFE_INTEGER;
    return {
      ...q,
      pending: pending
        .map((p, i) => ({ p, i }))
        .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
        .map(({ p }) => p),
    };
  });
}
