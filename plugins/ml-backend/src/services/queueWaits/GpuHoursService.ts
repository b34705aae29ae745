import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  GpuHoursResponse,
  GpuHoursRow,
  ParsedGpuHoursQuery,
} from '@mlplatform/plugin-ml-common';
import { ClusterService } from '../kubernetes/ClusterService';
import { QuotaService } from '../kubernetes/QuotaService';
import {
  PrometheusClient,
  PrometheusRangeSeries,
} from '../monitoring/PrometheusClient';

const DAY = 86_400;
/** Resolution of the GPU-request subquery: one sample every 5 minutes. */
const STEP = 300;

/** Options of {@link GpuHoursService}. @internal */
export interface GpuHoursServiceOptions {
  prometheus?: PrometheusClient;
  clusters: ClusterService;
  quotas: QuotaService;
  maxDays: number;
  clusterLabel: string;
  now?: () => number;
}

const isoDay = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** Monday of the ISO week of a `YYYY-MM-DD` day. */
function weekOf(day: string): string {
  const t = Date.parse(`${day}T00:00:00Z`) / 1000;
  const weekday = (new Date(t * 1000).getUTCDay() + 6) % 7;
  return isoDay(t - weekday * DAY);
}

/** `nvidia_com_mig_1g_10gb` → `nvidia.com/mig-1g.10gb`, as Kubernetes names it. */
function resourceName(ksm: string): string {
  const mig = /^nvidia_com_mig_(\d+g)_(\d+gb)$/.exec(ksm);
  if (mig) return `nvidia.com/mig-${mig[1]}.${mig[2]}`;
  return ksm === 'nvidia_com_gpu' ? 'nvidia.com/gpu' : ksm;
}

/**
 * GPU-hours per team, cluster and GPU type per day or ISO week (showback),
 * from kube-state-metrics in Prometheus: the GPUs running pods request
 * (`kube_pod_container_resource_requests{resource="nvidia_com_gpu"}` and
 * MIG profiles, pods in phase Running), sampled every 5 minutes and summed
 * over each UTC day; the GPU type is the node's GPU feature discovery label
 * `nvidia.com/gpu.product` (`kube_node_labels`), and the team the
 * namespace's owner as the GPU quota page shows it. Two Prometheus queries
 * per request (one range query for the whole days, one for today so far)
 * plus one for the node labels.
 *
 * @internal
 */
export class GpuHoursService {
  constructor(private readonly options: GpuHoursServiceOptions) {}

  get method(): string {
    return 'GPUs requested by Running pods (kube-state-metrics kube_pod_container_resource_requests), sampled every 5 min and summed per UTC day; GPU type from the node label nvidia.com/gpu.product; team from the namespace owner.';
  }

  async gpuHours(query: ParsedGpuHoursQuery): Promise<GpuHoursResponse> {
    const { prometheus, maxDays, clusters } = this.options;
    if (query.days > maxDays) {
      throw new InputError(
        `days: ${query.days} is beyond the configured maximum of ${maxDays} (ml.gpuHours.maxDays)`,
      );
    }
    if (query.cluster) {
      try {
        clusters.get(query.cluster);
      } catch (e) {
        throw new InputError(`cluster: ${(e as Error).message}`);
      }
    }
    if (!prometheus) {
      throw new ServiceUnavailableError(
        'GPU-hours come from Prometheus, and ml.prometheus is not configured',
      );
    }
    // Whole minutes: requests within a minute share the client's cached answers.
    const now = Math.floor((this.options.now?.() ?? Date.now()) / 60_000) * 60;
    const today = Math.floor(now / DAY) * DAY;
    const first = today - (query.days - 1) * DAY;
    const cl = this.options.clusterLabel;
    // Ranges end 1 s short of a whole day: the steps of a subquery include
    // both ends of a closed range in Prometheus 2, so a day counts 288 steps.
    const requests = (range: string) =>
      `sum by (${cl}, namespace, node, resource) (sum_over_time((kube_pod_container_resource_requests{resource=~"nvidia_com_(gpu|mig_.+)"} and on (${cl}, namespace, pod) (kube_pod_status_phase{phase="Running"} == 1))[${range}:${STEP}s])) * ${STEP} / 3600`;
    const sinceMidnight = Math.max(STEP, now - today);
    const [days, todaySoFar, nodes] = await Promise.all([
      query.days > 1
        ? prometheus.queryRange(
            requests(`${DAY - 1}s`),
            first + DAY,
            today,
            DAY,
          )
        : Promise.resolve({ resultType: 'matrix' as const, result: [] }),
      prometheus.query(
        requests(`${Math.floor(sinceMidnight / STEP) * STEP}s`),
        now,
      ),
      prometheus.query(
        `max by (${cl}, node, label_nvidia_com_gpu_product) (last_over_time(kube_node_labels{label_nvidia_com_gpu_product!=""}[${query.days}d]))`,
        now,
      ),
    ]);
    const product = new Map<string, string>();
    if (nodes.resultType === 'vector') {
      for (const s of nodes.result) {
        product.set(
          `${s.metric[cl] ?? ''}/${s.metric.node ?? ''}`,
          s.metric.label_nvidia_com_gpu_product,
        );
      }
    }
    const series: PrometheusRangeSeries[] = [
      // A point at midnight closes the day before it.
      ...days.result.map(s => ({
        metric: s.metric,
        values: s.values.map(([t, v]) => [t - DAY, v] as [number, string]),
      })),
      ...(todaySoFar.resultType === 'vector'
        ? todaySoFar.result.map(s => ({
            metric: s.metric,
            values: [[today, s.value[1]] as [number, string]],
          }))
        : []),
    ];
    const rows = await this.toRows(series, product, query);
    return {
      granularity: query.granularity,
      from: isoDay(first),
      to: isoDay(today),
      rows,
      method: this.method,
    };
  }

  private async toRows(
    series: PrometheusRangeSeries[],
    product: Map<string, string>,
    query: ParsedGpuHoursQuery,
  ): Promise<GpuHoursRow[]> {
    const { clusters, quotas, clusterLabel } = this.options;
    const configured = clusters.names();
    const teams = new Map<string, (namespace: string) => string | undefined>();
    const teamFn = async (cluster: string) => {
      let fn = teams.get(cluster);
      if (!fn) {
        if (configured.includes(cluster)) {
          const state = await quotas.clusterQuotas(cluster);
          fn = ns => quotas.teamOf(state, ns);
        } else {
          fn = () => undefined;
        }
        teams.set(cluster, fn);
      }
      return fn;
    };
    const sums = new Map<string, GpuHoursRow>();
    for (const s of series) {
      const labelled = s.metric[clusterLabel] ?? '';
      // One configured cluster and unlabelled series: a single-cluster Prometheus.
      const cluster =
        labelled || (configured.length === 1 ? configured[0] : '(unlabelled)');
      if (query.cluster && cluster !== query.cluster) continue;
      const namespace = s.metric.namespace ?? '';
      const team = (await teamFn(cluster))(namespace);
      if (query.team && team !== query.team) continue;
      const resource = resourceName(s.metric.resource ?? '');
      const gpu = product.get(`${labelled}/${s.metric.node ?? ''}`);
      const gpuType = resource.startsWith('nvidia.com/mig-')
        ? `${gpu ? `${gpu} ` : ''}${resource.slice('nvidia.com/'.length)}`
        : gpu ?? resource;
      for (const [t, v] of s.values) {
        const hours = Number(v);
        if (!Number.isFinite(hours) || hours <= 0) continue;
        const day = isoDay(t);
        const period = query.granularity === 'week' ? weekOf(day) : day;
        const key = [period, cluster, namespace, gpuType].join('\u0000');
        const row = sums.get(key) ?? {
          period,
          cluster,
          namespace,
          ...(team ? { team } : {}),
          gpuType,
          gpuHours: 0,
        };
        row.gpuHours += hours;
        sums.set(key, row);
      }
    }
    return [...sums.values()]
      .map(r => ({ ...r, gpuHours: Math.round(r.gpuHours * 1000) / 1000 }))
      .sort(
        (a, b) =>
          a.period.localeCompare(b.period) ||
          a.cluster.localeCompare(b.cluster) ||
          (a.team ?? '').localeCompare(b.team ?? '') ||
          a.namespace.localeCompare(b.namespace) ||
          a.gpuType.localeCompare(b.gpuType),
      );
  }
}
