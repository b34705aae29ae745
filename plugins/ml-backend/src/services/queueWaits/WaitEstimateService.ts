import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  NamespaceGpuQuota,
  ParsedWaitEstimateQuery,
  WaitEstimate,
  WaitEstimateResponse,
  WouldBePosition,
  formatWait,
  gpuSizeBucket,
} from '@mlplatform/plugin-ml-common';
import { QueueAdmissionStore } from '../../database/QueueAdmissionStore';
import { ClusterService } from '../kubernetes/ClusterService';
import { QuotaService } from '../kubernetes/QuotaService';
import { PrometheusClient } from '../monitoring/PrometheusClient';
import { observedWait } from './estimate';

/** Kueue's histogram of creation (or requeue) → admission, per ClusterQueue. */
const KUEUE_WAIT_METRIC = 'kueue_admission_wait_time_seconds';

/** Options of {@link WaitEstimateService}. @internal */
export interface WaitEstimateServiceOptions {
  store: QueueAdmissionStore;
  quotas: QuotaService;
  clusters: ClusterService;
  prometheus?: PrometheusClient;
  minSamples: number;
  historyDays: number;
  /** Label naming the cluster on Kueue's series. */
  clusterLabel: string;
  logger: LoggerService;
  now?: () => number;
}

/**
 * How long a Kueue workload of a given shape will wait: quantiles of the
 * admissions the backend recorded for the same ClusterQueue, flavor and
 * request-size bucket; when those are too few, Kueue's own wait histogram
 * for the ClusterQueue in Prometheus; else "not enough history". It never
 * answers with fewer than `minSamples` admissions behind it.
 *
 * @internal
 */
export class WaitEstimateService {
  constructor(private readonly options: WaitEstimateServiceOptions) {}

  async estimate(
    query: ParsedWaitEstimateQuery,
  ): Promise<WaitEstimateResponse> {
    const { quotas, minSamples } = this.options;
    const { cluster, gpus, gpuResource } = query;
    try {
      this.options.clusters.get(cluster);
    } catch (e) {
      throw new InputError(`cluster: ${(e as Error).message}`);
    }
    const state = await quotas.clusterQuotas(cluster);
    if (!state.availability.available) {
      throw new ServiceUnavailableError(
        `cluster ${cluster} did not answer, so its queues cannot be checked: ${state.availability.error}`,
      );
    }
    const entries = state.quotas.filter(q => q.source === 'kueue');
    const clusterQueue = this.clusterQueueOf(query, entries);
    const ofQueue = entries.filter(q => q.clusterQueue === clusterQueue);
    const resources = ofQueue
      .flatMap(q => q.resources)
      .filter(r => r.resource === gpuResource);
    if (!resources.length) {
      throw new InputError(
        `gpuResource: ClusterQueue ${clusterQueue} on ${cluster} grants no ${gpuResource}`,
      );
    }
    const flavors = [...new Set(resources.map(r => r.flavor ?? ''))];
    let flavor = query.flavor;
    if (flavor !== undefined && !flavors.includes(flavor)) {
      throw new InputError(
        `flavor: ClusterQueue ${clusterQueue} has no flavor "${flavor}" for ${gpuResource}; it has ${
          flavors.filter(Boolean).join(', ') || 'none'
        }`,
      );
    }
    const room = (f: string | undefined) =>
      Math.max(
        0,
        ...resources
          .filter(r => (r.flavor ?? '') === (f ?? ''))
          .map(r => r.free + r.borrowable),
      );
    if (flavor === undefined) {
      flavor = [...flavors].sort((a, b) => room(b) - room(a))[0] || undefined;
    }
    const bucket = gpuSizeBucket(gpus);
    const fitsNow = room(flavor) >= gpus;
    const estimate = await this.estimateFor({
      cluster,
      clusterQueue,
      flavor,
      resource: gpuResource,
      bucket,
      fitsNow,
    });
    const position: WouldBePosition = this.positionIn(ofQueue, {
      fitsNow,
      fromVisibilityApi: state.availability.queuePositions === 'available',
    });
    const shape = `${bucket.label}${
      flavor ? ` of ${flavor}` : ''
    } in ${clusterQueue}`;
    return {
      cluster,
      clusterQueue,
      ...(flavor ? { flavor } : {}),
      gpuResource,
      gpus,
      sizeBucket: bucket.label,
      estimate,
      position,
      summary: summarize(shape, estimate, position, minSamples),
    };
  }

  /** The ClusterQueue asked for, checked against the cluster's Kueue quotas. */
  private clusterQueueOf(
    query: ParsedWaitEstimateQuery,
    entries: NamespaceGpuQuota[],
  ): string {
    const known = [
      ...new Set(
        entries.flatMap(q => (q.clusterQueue ? [q.clusterQueue] : [])),
      ),
    ].sort();
    if (query.namespace) {
      const mine = entries.filter(
        q =>
          q.namespace === query.namespace &&
          (!query.queue || q.clusterQueue === query.queue),
      );
      if (!mine.length || !mine[0].clusterQueue) {
        throw new InputError(
          `namespace: ${query.namespace} on ${
            query.cluster
          } has no Kueue LocalQueue${
            query.queue ? ` of ClusterQueue ${query.queue}` : ''
          }; wait estimates are made for Kueue queues only`,
        );
      }
      return mine[0].clusterQueue;
    }
    if (!known.includes(query.queue!)) {
      throw new InputError(
        `queue: unknown ClusterQueue "${query.queue}" on ${
          query.cluster
        }; known: ${
          known.join(', ') || 'none (no Kueue LocalQueue grants GPUs there)'
        }`,
      );
    }
    return query.queue!;
  }

  private positionIn(
    ofQueue: NamespaceGpuQuota[],
    flags: { fitsNow: boolean; fromVisibilityApi: boolean },
  ): WouldBePosition {
    const pending = new Set(
      ofQueue.flatMap(q =>
        q.pending
          .filter(p => p.kind === 'Workload')
          .map(p => `${p.namespace}/${p.name}`),
      ),
    );
    return {
      pendingAhead: pending.size,
      positionInClusterQueue: pending.size,
      ...flags,
    };
  }

  private async estimateFor(shape: {
    cluster: string;
    clusterQueue: string;
    flavor?: string;
    resource: string;
    bucket: ReturnType<typeof gpuSizeBucket>;
    fitsNow: boolean;
  }): Promise<WaitEstimate> {
    const { store, minSamples, historyDays } = this.options;
    const now = this.options.now?.() ?? Date.now();
    const observed = await observedWait(
      store,
      { ...shape, gpus: shape.bucket.min },
      // Whether there is room now splits the history best (bench/waits.ts).
      { minSamples, historyDays, now, roomNow: shape.fitsNow },
    );
    if (observed.quantiles) {
      return {
        status: 'estimated',
        p50Seconds: observed.quantiles.p50,
        p90Seconds: observed.quantiles.p90,
        samples: observed.samples,
        source: 'observed',
        windowDays: historyDays,
        ...(observed.conditioned
          ? { situation: shape.fitsNow ? 'room-now' : 'must-queue' }
          : {}),
      } as WaitEstimate;
    }
    const waits = { length: observed.samples };
    const fromKueue = await this.fromPrometheus(shape, now);
    if (fromKueue && fromKueue.samples >= minSamples) return fromKueue;
    return {
      status: 'insufficient',
      samples: waits.length,
      minSamples,
      reason: `${waits.length} admission${
        waits.length === 1 ? '' : 's'
      } of this shape observed in the last ${historyDays} days${
        fromKueue
          ? ` and ${Math.round(fromKueue.samples)} in Kueue's metrics`
          : ''
      }; an estimate needs at least ${minSamples}`,
    };
  }

  /** Kueue's admission-wait histogram of the ClusterQueue, all sizes together. */
  private async fromPrometheus(
    shape: { cluster: string; clusterQueue: string },
    now: number,
  ): Promise<Extract<WaitEstimate, { status: 'estimated' }> | undefined> {
    const { prometheus, historyDays, clusterLabel, logger } = this.options;
    if (!prometheus) return undefined;
    // Series without the cluster label come from a single-cluster Prometheus.
    const sel = `{cluster_queue=${JSON.stringify(
      shape.clusterQueue,
    )},${clusterLabel}=~${JSON.stringify(`${regexLiteral(shape.cluster)}|`)}}`;
    const range = `[${historyDays}d]`;
    const q = (p: number) =>
      `histogram_quantile(${p}, sum by (le) (increase(${KUEUE_WAIT_METRIC}_bucket${sel}${range})))`;
    // Whole minutes: estimates within a minute share the cached answers.
    const time = Math.floor(now / 60_000) * 60;
    try {
      const [count, p50, p90] = await Promise.all([
        prometheus.query(
          `sum(increase(${KUEUE_WAIT_METRIC}_count${sel}${range}))`,
          time,
        ),
        prometheus.query(q(0.5), time),
        prometheus.query(q(0.9), time),
      ]);
      const value = (r: typeof count) =>
        r.resultType === 'vector' && r.result.length
          ? Number(r.result[0].value[1])
          : NaN;
      const samples = value(count);
      if (!Number.isFinite(samples) || samples <= 0) return undefined;
      const [v50, v90] = [value(p50), value(p90)];
      if (!Number.isFinite(v50) || !Number.isFinite(v90)) {
        return undefined;
      }
      return {
        status: 'estimated',
        p50Seconds: v50,
        p90Seconds: v90,
        samples: Math.round(samples),
        source: 'prometheus',
        windowDays: historyDays,
      };
    } catch (e) {
      logger.warn(
        `Kueue wait histogram of ${shape.clusterQueue} unavailable: ${
          (e as Error).message
        }`,
      );
      return undefined;
    }
  }
}

/** A string matched literally inside a PromQL regex (cluster names may hold dots). */
function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function situationWords(situation?: 'room-now' | 'must-queue'): string {
  if (situation === 'room-now') return ' that found room';
  if (situation === 'must-queue') return ' that had to queue';
  return '';
}

function summarize(
  shape: string,
  estimate: WaitEstimate,
  position: WouldBePosition,
  minSamples: number,
): string {
  let place: string;
  if (!position.fitsNow) {
    place = `It would be number ${
      position.positionInClusterQueue + 1
    } in the queue (${
      position.pendingAhead
    } waiting ahead at the same priority).`;
  } else if (position.pendingAhead) {
    place = `The quota has room for it now; ${position.pendingAhead} workload(s) already wait in the queue.`;
  } else {
    place = 'The quota has room for it now and nothing waits ahead of it.';
  }
  if (estimate.status === 'insufficient') {
    return `Not enough history to estimate the wait of ${shape}: ${estimate.reason}. ${place}`;
  }
  const from =
    estimate.source === 'observed'
      ? `${estimate.samples} admissions of this shape${situationWords(
          estimate.situation,
        )}} in the last ${estimate.windowDays} days`
      : `Kueue's wait metrics for the whole queue (${estimate.samples} admissions in ${estimate.windowDays} days, all sizes)`;
  const few =
    estimate.samples < minSamples * 3 ? ' (few samples: treat as rough)' : '';
  return `${shape}: typically starts after ${formatWait(
    estimate.p50Seconds,
  )}; 9 in 10 within ${formatWait(
    estimate.p90Seconds,
  )}, from ${from}${few}. ${place}`;
}
