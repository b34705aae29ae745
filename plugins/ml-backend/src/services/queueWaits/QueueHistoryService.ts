import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  LabelMatcher,
  ParsedQueueHistoryQuery,
  QueueHistoryFlavor,
  QueueHistoryPoint,
  QueueHistoryResponse,
} from '@mlplatform/plugin-ml-common';
import { QueueAdmissionStore } from '../../database/QueueAdmissionStore';
import { ClusterService } from '../kubernetes/ClusterService';
import { QuotaService } from '../kubernetes/QuotaService';
import { stepFor } from '../monitoring/evaluateHealth';
import { formatLabelMatchers } from '../monitoring/metricsProfiles';
import {
  PrometheusClient,
  PrometheusRangeResult,
} from '../monitoring/PrometheusClient';

/** Options of {@link QueueHistoryService}. @internal */
export interface QueueHistoryServiceOptions {
  prometheus?: PrometheusClient;
  clusters: ClusterService;
  quotas: QuotaService;
  /** Label naming the cluster on series of a Prometheus shared by clusters. */
  clusterLabel: string;
  /** The backend's own admission records, for queues Kueue's metrics miss. */
  recorded?: Pick<QueueAdmissionStore, 'admissionTimes'>;
  now?: () => number;
}

/** GPU resources as Kueue names them in its `resource` label. */
const GPU_RESOURCES = '.*gpu.*|nvidia[.]com/mig-.+';

type Panel = keyof NonNullable<QueueHistoryResponse['errors']>;

/**
 * Points on every step of the window, null where Prometheus has none, so
 * charts span the whole window and show gaps as gaps.
 */
function points(
  values: Array<[number, string]> | undefined,
  start: number,
  end: number,
  step: number,
): QueueHistoryPoint[] {
  const byTime = new Map(
    (values ?? []).map(([t, v]) => {
      const n = Number(v);
      return [t, Number.isFinite(n) ? n : null] as const;
    }),
  );
  const out: QueueHistoryPoint[] = [];
  for (
    let t = Math.floor(start / step) * step;
    t <= Math.ceil(end / step) * step;
    t += step
  ) {
    out.push({ t, v: byTime.get(t) ?? null });
  }
  return out;
}

/**
 * The history of one Kueue ClusterQueue over up to 30 days, from Kueue's
 * own Prometheus metrics: GPU usage against nominal quota per flavor
 * (`kueue_cluster_queue_resource_usage`, `kueue_cluster_queue_nominal_quota`,
 * which Kueue exports with `metrics.enableClusterQueueResources: true`),
 * pending workloads (`kueue_pending_workloads{status}`), admissions
 * (`kueue_admitted_workloads_total`) and preemptions of the queue's
 * workloads (`kueue_evicted_workloads_total{reason="Preempted"}`). Usage and
 * pending are the peak within each step, the quota its latest value,
 * admissions and preemptions the count within each step. Five range
 * queries per answer; `PrometheusClient` coalesces and caches them.
 *
 * @internal
 */
export class QueueHistoryService {
  constructor(private readonly options: QueueHistoryServiceOptions) {}

  get method(): string {
    return 'Kueue metrics in Prometheus: peak kueue_cluster_queue_resource_usage against kueue_cluster_queue_nominal_quota per flavor, peak kueue_pending_workloads, and increases of kueue_admitted_workloads_total and kueue_evicted_workloads_total{reason="Preempted"} per step.';
  }

  async history(query: ParsedQueueHistoryQuery): Promise<QueueHistoryResponse> {
    const { prometheus, clusters, quotas, clusterLabel } = this.options;
    const { cluster, queue, days } = query;
    try {
      clusters.get(cluster);
    } catch (e) {
      throw new InputError(`cluster: ${(e as Error).message}`);
    }
    const state = await quotas.clusterQuotas(cluster);
    if (!state.availability.available) {
      throw new ServiceUnavailableError(
        `cluster ${cluster} did not answer, so its queues cannot be checked: ${state.availability.error}`,
      );
    }
    const known = [
      ...new Set(
        state.quotas.flatMap(q =>
          q.source === 'kueue' && q.clusterQueue ? [q.clusterQueue] : [],
        ),
      ),
    ].sort();
    if (!known.includes(queue)) {
      throw new InputError(
        `queue: unknown ClusterQueue "${queue}" on ${cluster}; known: ${
          known.join(', ') || 'none (no Kueue LocalQueue grants GPUs there)'
        }`,
      );
    }
    if (!prometheus) {
      throw new ServiceUnavailableError(
        'Queue history comes from Prometheus, and ml.prometheus is not configured',
      );
    }

    const matchers: LabelMatcher[] = [
      { name: 'cluster_queue', op: '=', value: queue },
    ];
    // A Prometheus shared by several clusters tells them apart by a label;
    // with one cluster configured its series may carry none.
    if (clusters.names().length > 1) {
      matchers.push({ name: clusterLabel, op: '=', value: cluster });
    }
    const selector = formatLabelMatchers(matchers);
    const windowSeconds = days * 86_400;
    const step = stepFor(windowSeconds);
    const end = Math.floor((this.options.now?.() ?? Date.now()) / 1000);
    const start = end - windowSeconds;
    const range = `${step}s`;
    const queries: Record<Panel, string> = {
      usage: `max by (flavor, resource) (max_over_time(kueue_cluster_queue_resource_usage{${selector}, resource=~"${GPU_RESOURCES}"}[${range}]))`,
      nominalQuota: `max by (flavor, resource) (last_over_time(kueue_cluster_queue_nominal_quota{${selector}, resource=~"${GPU_RESOURCES}"}[${range}]))`,
      pending: `sum by (status) (max_over_time(kueue_pending_workloads{${selector}}[${range}]))`,
      admissions: `sum(increase(kueue_admitted_workloads_total{${selector}}[${range}]))`,
      // Kueue creates the eviction series at the first eviction: before it,
      // zero wherever the queue's admissions counter exists.
      preemptions: `sum(increase(kueue_evicted_workloads_total{${selector}, reason="Preempted"}[${range}])) or 0 * sum(kueue_admitted_workloads_total{${selector}})`,
    };
    const panels = Object.keys(queries) as Panel[];
    const settled = await Promise.allSettled(
      panels.map(p => prometheus.queryRange(queries[p], start, end, step)),
    );
    const results: Partial<Record<Panel, PrometheusRangeResult>> = {};
    const errors: Partial<Record<Panel, string>> = {};
    settled.forEach((r, i) => {
      if (r.status === 'fulfilled') results[panels[i]] = r.value;
      else errors[panels[i]] = (r.reason as Error).message;
    });
    if (Object.keys(errors).length === panels.length) {
      throw new ServiceUnavailableError(
        `Prometheus at ${prometheus.host} could not answer: ${errors.usage}`,
      );
    }
    const line = (
      result: PrometheusRangeResult | undefined,
      match: (metric: Record<string, string>) => boolean = () => true,
    ) =>
      points(
        result?.result.find(s => match(s.metric))?.values,
        start,
        end,
        step,
      );

    let admissions = line(results.admissions);
    let admissionsSource: QueueHistoryResponse['admissionsSource'] =
      'kueue-metrics';
    if (this.options.recorded && admissions.every(p => p.v === null)) {
      // Each point counts the admissions of the step it ends, as increase() does.
      const times = await this.options.recorded.admissionTimes({
        cluster,
        clusterQueue: queue,
        since: (start - step) * 1000,
      });
      admissions = admissions.map(p => ({
        t: p.t,
        v: times.filter(ms => ms > (p.t - step) * 1000 && ms <= p.t * 1000)
          .length,
      }));
      admissionsSource = 'recorded';
      delete errors.admissions;
    }

    const keys = new Map<string, { flavor: string; resource: string }>();
    for (const r of [results.usage, results.nominalQuota]) {
      for (const s of r?.result ?? []) {
        const flavor = s.metric.flavor ?? '';
        const resource = s.metric.resource ?? '';
        keys.set(`${flavor}\u0000${resource}`, { flavor, resource });
      }
    }
    const flavors: QueueHistoryFlavor[] = [...keys.values()]
      .sort(
        (a, b) =>
          a.flavor.localeCompare(b.flavor) ||
          a.resource.localeCompare(b.resource),
      )
      .map(({ flavor, resource }) => {
        const same = (m: Record<string, string>) =>
          (m.flavor ?? '') === flavor && (m.resource ?? '') === resource;
        return {
          flavor,
          resource,
          usage: line(results.usage, same),
          nominalQuota: line(results.nominalQuota, same),
        };
      });
    return {
      cluster,
      queue,
      days,
      stepSeconds: step,
      flavors,
      pending: {
        active: line(results.pending, m => m.status === 'active'),
        inadmissible: line(results.pending, m => m.status === 'inadmissible'),
      },
      admissions,
      admissionsSource,
      preemptions: line(results.preemptions),
      ...(Object.keys(errors).length ? { errors } : {}),
      method: this.method,
    };
  }
}
