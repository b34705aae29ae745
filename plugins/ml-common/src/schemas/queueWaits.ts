import { z } from 'zod';
import { GPU_RESOURCE_PATTERN } from '../kubernetesApi';
import { gpuQuotasQuerySchema } from './kubernetes';
import { clusterName, dnsLabel, dnsSubdomain } from './patterns';

/*
 * How long a Kueue workload waits for GPUs (`GET /api/ml/quotas/wait-estimate`)
 * and how many GPU-hours each team used (`GET /api/ml/quotas/gpu-hours`).
 * The route, the MCP tools and the forms parse with these schemas.
 */

/**
 * Most GPUs a wait estimate may be asked for: a large multi-node training
 * job, not a typo. More is refused as absurd rather than answered with
 * "not enough history".
 *
 * @public
 */
export const MAX_ESTIMATE_GPUS = 1024;

/**
 * Request sizes whose waits are pooled: a 1-GPU notebook and a 16-GPU job
 * wait differently in the same queue, but 3 and 4 GPUs wait alike.
 * `max` is inclusive; the last bucket has none.
 *
 * @public
 */
export const GPU_SIZE_BUCKETS: ReadonlyArray<{
  label: string;
  min: number;
  max?: number;
}> = [
  { label: '1 GPU', min: 1, max: 1 },
  { label: '2 GPUs', min: 2, max: 2 },
  { label: '3-4 GPUs', min: 3, max: 4 },
  { label: '5-8 GPUs', min: 5, max: 8 },
  { label: '9-16 GPUs', min: 9, max: 16 },
  { label: '17+ GPUs', min: 17 },
];

/** The size bucket of a request of `gpus` devices (at least 1). @public */
export function gpuSizeBucket(gpus: number): (typeof GPU_SIZE_BUCKETS)[number] {
  return (
    GPU_SIZE_BUCKETS.find(b => gpus >= b.min && (b.max ?? Infinity) >= gpus) ??
    GPU_SIZE_BUCKETS[0]
  );
}

/**
 * Query of `GET /api/ml/quotas/wait-estimate` (and the MCP tools): the
 * shape of a workload not submitted yet. `queue` names the Kueue
 * ClusterQueue; `namespace` instead finds it through the namespace's
 * LocalQueue, as the notebook form knows only the namespace.
 *
 * @public
 */
export const waitEstimateQuerySchema = z
  .object({
    cluster: clusterName(),
    /** Kueue ClusterQueue. */
    queue: dnsSubdomain('ClusterQueue name').optional(),
    namespace: dnsLabel().optional(),
    gpus: z.coerce
      .number()
      .int('must be a whole number of GPUs')
      .min(
        1,
        'must be at least 1 (a workload without GPUs does not wait for them)',
      )
      .max(
        MAX_ESTIMATE_GPUS,
        `must be at most ${MAX_ESTIMATE_GPUS} (larger requests are not estimated)`,
      ),
    gpuResource: z
      .string()
      .regex(
        GPU_RESOURCE_PATTERN,
        'must be nvidia.com/gpu or nvidia.com/mig-<profile>',
      )
      .default('nvidia.com/gpu'),
    /** Kueue ResourceFlavor; the quota's flavor with most room when absent. */
    flavor: dnsSubdomain('ResourceFlavor name').optional(),
  })
  .strict()
  .refine(q => q.queue || q.namespace, {
    message:
      'name the ClusterQueue (queue) or the namespace whose LocalQueue to use',
    path: ['queue'],
  });

/** Wait-estimate query as a caller writes it. @public */
export type WaitEstimateQuery = Omit<
  z.input<typeof waitEstimateQuerySchema>,
  'gpus'
> & { gpus: number };

/** Wait-estimate query, parsed. @public */
export type ParsedWaitEstimateQuery = z.output<typeof waitEstimateQuerySchema>;

/**
 * A wait estimate, or the honest lack of one. `samples` is always the
 * number of admissions behind the answer.
 *
 * @public
 */
export type WaitEstimate =
  | {
      status: 'estimated';
      /** Median wait from creation to admission, seconds. */
      p50Seconds: number;
      /** 9 in 10 similar workloads were admitted within this, seconds. */
      p90Seconds: number;
      samples: number;
      /**
       * `observed`: admissions of the same ClusterQueue, flavor and size
       * bucket the backend recorded; `prometheus`: Kueue's
       * `kueue_admission_wait_time_seconds` of the ClusterQueue, every size
       * and flavor together.
       */
      source: 'observed' | 'prometheus';
      /** Days of history the samples come from. */
      windowDays: number;
      /**
       * Which admissions the samples are: `room-now`, those that started
       * within a minute (the quota has room now); `must-queue`, those that
       * had to queue (it has none); absent, all of the shape (too few of
       * either).
       */
      situation?: 'room-now' | 'must-queue';
    }
  | {
      status: 'insufficient';
      /** Admissions of this shape seen; fewer than `minSamples`. */
      samples: number;
      minSamples: number;
      reason: string;
    };

/**
 * Where a workload of this shape would stand if submitted now, from the
 * pending workloads of its ClusterQueue.
 *
 * @public
 */
export interface WouldBePosition {
  /** Workloads already pending in the ClusterQueue. */
  pendingAhead: number;
  /** 0-based place it would take at the same priority (behind all of them). */
  positionInClusterQueue: number;
  /** Whether the quota has room for it now (free + borrowable of the flavor). */
  fitsNow: boolean;
  /** Whether the positions came from Kueue's visibility API. */
  fromVisibilityApi: boolean;
}

/**
 * Response of `GET /api/ml/quotas/wait-estimate`.
 *
 * @public
 */
export interface WaitEstimateResponse {
  cluster: string;
  clusterQueue: string;
  /** The flavor estimated for; absent when the queue has none for the resource. */
  flavor?: string;
  gpuResource: string;
  gpus: number;
  /** Label of the request-size bucket, e.g. `3-4 GPUs`. */
  sizeBucket: string;
  estimate: WaitEstimate;
  position?: WouldBePosition;
  /** The answer in one plain sentence, as the UI and MCP tools show it. */
  summary: string;
}

/** Longest window a GPU-hours request may ask for, unless configured otherwise. @public */
export const DEFAULT_GPU_HOURS_MAX_DAYS = 90;

/**
 * Query of `GET /api/ml/quotas/gpu-hours` (and `ml:gpu-hours`): the last
 * `days` whole UTC days, per day or per ISO week. The configured
 * `ml.gpuHours.maxDays` caps `days` further.
 *
 * @public
 */
export const gpuHoursQuerySchema = z
  .object({
    days: z.coerce
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1')
      .max(366, 'must be at most 366')
      .default(7),
    granularity: z.enum(['day', 'week']).default('day'),
    cluster: clusterName().optional(),
    /** Group ref or name; rows of other teams are left out. */
    team: gpuQuotasQuerySchema.shape.team,
    format: z.enum(['json', 'csv']).default('json'),
  })
  .strict();

/** GPU-hours query as a caller writes it. @public */
export type GpuHoursQuery = Omit<
  z.input<typeof gpuHoursQuerySchema>,
  'days'
> & { days?: number };

/** GPU-hours query, parsed. @public */
export type ParsedGpuHoursQuery = z.output<typeof gpuHoursQuerySchema>;

/**
 * GPU-hours of one team's namespace on one cluster and GPU type in one
 * period.
 *
 * @public
 */
export interface GpuHoursRow {
  /** First day of the period, `YYYY-MM-DD` (UTC; a Monday for weeks). */
  period: string;
  cluster: string;
  namespace: string;
  /** Owning team's group ref; absent when the namespace names none. */
  team?: string;
  /** GPU product from the node's label, or the MIG profile / resource. */
  gpuType: string;
  gpuHours: number;
}

/**
 * Response of `GET /api/ml/quotas/gpu-hours`.
 *
 * @public
 */
export interface GpuHoursResponse {
  granularity: 'day' | 'week';
  /** First day counted, `YYYY-MM-DD`. */
  from: string;
  /** Last day counted (today, partial), `YYYY-MM-DD`. */
  to: string;
  rows: GpuHoursRow[];
  /** How the numbers are made, for the page and the CSV's readers. */
  method: string;
}

/** The CSV of a GPU-hours answer, one row per line, as the download serves it. @public */
export function gpuHoursCsv(response: GpuHoursResponse): string {
  const cell = (v: string) =>
    /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  const lines = [
    `${
      response.granularity === 'week' ? 'week' : 'day'
    },cluster,team,namespace,gpu_type,gpu_hours`,
    ...response.rows.map(r =>
      [
        r.period,
        r.cluster,
        r.team ?? '',
        r.namespace,
        r.gpuType,
        r.gpuHours.toFixed(2),
      ]
        .map(cell)
        .join(','),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * A wait as people say it: `under a minute`, `12 min`, `1 h 5 min`, `2 d 3 h`.
 *
 * @public
 */
export function formatWait(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return 'under a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const rest = minutes % 60;
    return rest ? `${hours} h ${rest} min` : `${hours} h`;
  }
  const days = Math.floor(hours / 24);
  const rest = hours % 24;
  return rest ? `${days} d ${rest} h` : `${days} d`;
}

/** Longest window of a queue history, in days. @public */
export const QUEUE_HISTORY_MAX_DAYS = 30;

/**
 * Query of `GET /api/ml/quotas/queue-history`: one Kueue ClusterQueue of a
 * cluster over the last `days` (7 when absent).
 *
 * @public
 */
export const queueHistoryQuerySchema = z
  .object({
    cluster: clusterName(),
    /** Kueue ClusterQueue. */
    queue: dnsSubdomain('ClusterQueue name'),
    days: z.coerce
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1')
      .max(QUEUE_HISTORY_MAX_DAYS, `must be at most ${QUEUE_HISTORY_MAX_DAYS}`)
      .default(7),
  })
  .strict();

/** Queue history query as a caller writes it. @public */
export type QueueHistoryQuery = Omit<
  z.input<typeof queueHistoryQuerySchema>,
  'days'
> & { days?: number };

/** Queue history query, parsed. @public */
export type ParsedQueueHistoryQuery = z.output<typeof queueHistoryQuerySchema>;

/** One point of a queue history chart: `t` in unix seconds, `v` null for a gap. @public */
export interface QueueHistoryPoint {
  t: number;
  v: number | null;
}

/**
 * GPU quota of one flavor of a ClusterQueue over time: what its admitted
 * workloads use against its nominal quota.
 *
 * @public
 */
export interface QueueHistoryFlavor {
  flavor: string;
  /** e.g. `nvidia.com/gpu`. */
  resource: string;
  usage: QueueHistoryPoint[];
  nominalQuota: QueueHistoryPoint[];
}

/**
 * Response of `GET /api/ml/quotas/queue-history`, from Kueue's Prometheus
 * metrics; see docs/kubernetes.md.
 *
 * @public
 */
export interface QueueHistoryResponse {
  cluster: string;
  queue: string;
  days: number;
  /** Seconds between points; admissions and preemptions count per step. */
  stepSeconds: number;
  /** GPU resources only, one entry per flavor and resource. */
  flavors: QueueHistoryFlavor[];
  /** Pending workloads: `active` (in the admission queue) and `inadmissible`. */
  pending: { active: QueueHistoryPoint[]; inadmissible: QueueHistoryPoint[] };
  /** Workloads admitted per step. */
  admissions: QueueHistoryPoint[];
  /**
   * Where the admissions come from: Kueue's `kueue_admitted_workloads_total`,
   * or, where Prometheus has none for the queue, the admissions the backend
   * recorded itself (only since it started observing; see wait estimates).
   */
  admissionsSource: 'kueue-metrics' | 'recorded';
  /** Workloads of this queue evicted by preemption, per step. */
  preemptions: QueueHistoryPoint[];
  /** Panels whose query failed, with Prometheus' error. */
  errors?: Partial<
    Record<
      'usage' | 'nominalQuota' | 'pending' | 'admissions' | 'preemptions',
      string
    >
  >;
  /** How the numbers are made. */
  method: string;
}
