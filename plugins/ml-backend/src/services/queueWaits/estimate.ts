import { gpuSizeBucket } from '@mlplatform/plugin-ml-common';
import { QueueAdmissionStore } from '../../database/QueueAdmissionStore';

/**
 * Quantile `q` (0..1) of sorted values, interpolated between the two
 * nearest ranks (Hyndman & Fan type 7, as numpy and R default).
 *
 * @internal
 */
export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** p50 and p90 of some waits, or undefined below `minSamples`. @internal */
export function waitQuantiles(
  waits: number[],
  minSamples: number,
): { p50: number; p90: number; samples: number } | undefined {
  if (waits.length < Math.max(1, minSamples)) return undefined;
  const sorted = [...waits].sort((a, b) => a - b);
  return {
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    samples: sorted.length,
  };
}

/** The shape of a workload whose wait is estimated. @internal */
export interface WaitShape {
  cluster: string;
  clusterQueue: string;
  /** Undefined: every flavor of the queue. */
  flavor?: string;
  resource: string;
  gpus: number;
}

/** A recorded wait this long or longer means the workload had to queue. @internal */
export const QUEUED_SECONDS = 60;

/**
 * The estimate from recorded admissions alone: the waits of the same
 * ClusterQueue, flavor and size bucket admitted in the `historyDays` before
 * `now`, as p50 / p90, or only the count when below `minSamples`. With
 * `roomNow` known, only the admissions in the same situation count: those
 * that started within a minute when the quota has room now, those that
 * queued when it has not; when that subset is below `minSamples`, all of
 * them (`conditioned: false`). The route and bench/waits.ts both estimate
 * with this.
 *
 * @internal
 */
export async function observedWait(
  store: QueueAdmissionStore,
  shape: WaitShape,
  options: {
    minSamples: number;
    historyDays: number;
    now: number;
    roomNow?: boolean;
  },
): Promise<{
  samples: number;
  conditioned: boolean;
  quantiles?: { p50: number; p90: number };
}> {
  const bucket = gpuSizeBucket(shape.gpus);
  const all = await store.waits({
    cluster: shape.cluster,
    clusterQueue: shape.clusterQueue,
    resource: shape.resource,
    flavor: shape.flavor,
    minGpus: bucket.min,
    maxGpus: bucket.max,
    since: options.now - options.historyDays * 86_400_000,
  });
  if (options.roomNow !== undefined) {
    const alike = all.filter(w => w < QUEUED_SECONDS === options.roomNow);
    const q = waitQuantiles(alike, options.minSamples);
    if (q) {
      return {
        samples: alike.length,
        conditioned: true,
        quantiles: { p50: q.p50, p90: q.p90 },
      };
    }
  }
  const q = waitQuantiles(all, options.minSamples);
  return {
    samples: all.length,
    conditioned: false,
    ...(q ? { quantiles: { p50: q.p50, p90: q.p90 } } : {}),
  };
}
