import { z } from 'zod';

/*
 * The experiments API: an entity's MLflow experiment, its runs and the
 * comparison of 2-5 of them. See docs/experiments.md.
 */

/**
 * Limits of the experiments API: runs listed (default and most), runs
 * compared (least and most), metrics charted per comparison and points kept
 * per metric history.
 *
 * @public
 */
export const EXPERIMENT_LIMITS = {
  defaultRuns: 50,
  maxRuns: 200,
  minCompare: 2,
  maxCompare: 5,
  maxCompareMetrics: 20,
  maxHistoryPoints: 5000,
} as const;

/**
 * A metric or parameter name as the experiments API accepts it: MLflow's own
 * characters (letters, digits, `_ . - /` and spaces) without anything a query
 * language or a path could read as syntax: no quotes, braces, `=~`, no
 * leading `/`, no empty or `..` segment. `train/loss` is fine, `../x` and
 * `loss{job="a"}` are not.
 *
 * @public
 */
export const METRIC_NAME_PATTERN =
  /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,249}(?:\/[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,249})*$/;

/**
 * An MLflow run id: letters and digits (MLflow's are 32 hex digits).
 *
 * @public
 */
export const RUN_ID_PATTERN = /^[A-Za-z0-9]{1,64}$/;

/** A metric name of the experiments API. @public */
export function metricName() {
  return z
    .string()
    .max(250, 'must be at most 250 characters')
    .regex(
      METRIC_NAME_PATTERN,
      'must be letters, digits, _ . - / and spaces, like val_loss or train/loss (no quotes, braces or path segments such as ..)',
    );
}

/**
 * Where a run is, as MLflow says it (`RUNNING`, `SCHEDULED`, `FINISHED`,
 * `FAILED`, `KILLED`), lower-cased.
 *
 * @public
 */
export const EXPERIMENT_RUN_STATUSES = [
  'running',
  'scheduled',
  'finished',
  'failed',
  'killed',
] as const;

/** @public */
export type ExperimentRunStatus = (typeof EXPERIMENT_RUN_STATUSES)[number];

/**
 * Query of `GET /api/ml/{models,pipelines}/:namespace/:name/experiment/runs`.
 *
 * @public
 */
export const experimentRunsQuerySchema = z
  .object({
    /** Only runs in this state. */
    status: z.enum(EXPERIMENT_RUN_STATUSES).optional(),
    /** `start` (default) or `metric`, which needs `metric`. */
    orderBy: z.enum(['start', 'metric']).optional(),
    /** The metric to order by (its latest value). */
    metric: metricName().optional(),
    /** `desc` (default): newest or highest first. */
    direction: z.enum(['asc', 'desc']).optional(),
    /** Runs to list, 1-200; 50 when absent. */
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(EXPERIMENT_LIMITS.maxRuns)
      .optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.orderBy === 'metric' && !q.metric) {
      ctx.addIssue({
        code: 'custom',
        path: ['metric'],
        message: 'orderBy=metric needs the metric to order by',
      });
    }
  });

/** Query of the experiment runs listing, parsed. @public */
export type ExperimentRunsQuery = z.output<typeof experimentRunsQuerySchema>;

const runIdList = z
  .string()
  .transform(s => s.split(',').map(id => id.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(RUN_ID_PATTERN, 'run ids are letters and digits, like 3f2a…'),
      )
      .min(
        EXPERIMENT_LIMITS.minCompare,
        `pick at least ${EXPERIMENT_LIMITS.minCompare} runs to compare`,
      )
      .max(
        EXPERIMENT_LIMITS.maxCompare,
        `at most ${EXPERIMENT_LIMITS.maxCompare} runs can be compared at once`,
      )
      .refine(ids => new Set(ids).size === ids.length, 'a run is listed twice'),
  );

const metricList = z
  .string()
  .transform(s => s.split(',').map(m => m.trim()))
  .pipe(
    z
      .array(metricName())
      .min(1)
      .max(
        EXPERIMENT_LIMITS.maxCompareMetrics,
        `at most ${EXPERIMENT_LIMITS.maxCompareMetrics} metrics at once`,
      ),
  );

/**
 * Query of `GET /api/ml/{models,pipelines}/:namespace/:name/experiment/compare`:
 * `runs=a,b,c` (2-5 run ids of the entity's experiment) and optionally
 * `metrics=loss,val_loss` (default: every metric of those runs, up to 20).
 *
 * @public
 */
export const compareRunsQuerySchema = z
  .object({
    runs: runIdList,
    metrics: metricList.optional(),
  })
  .strict();

/** Query of the runs comparison, parsed. @public */
export type CompareRunsQuery = z.output<typeof compareRunsQuerySchema>;

/**
 * The experiment an entity names, and where it lives.
 *
 * @public
 */
export interface MlflowExperimentInfo {
  id: string;
  name: string;
  /** The `ml.registries` entry (type mlflow) it was read from. */
  registry: string;
  /** The experiment in MLflow's UI. */
  url: string;
}

/**
 * A model version registered from a run.
 *
 * @public
 */
export interface ExperimentRunModelVersion {
  /** Registered model name in MLflow. */
  name: string;
  version: string;
  /** The version in MLflow's UI. */
  url: string;
}

/**
 * One run of an experiment.
 *
 * @public
 */
export interface ExperimentRun {
  id: string;
  name?: string;
  status: ExperimentRunStatus;
  /** ISO 8601. */
  startedAt?: string;
  finishedAt?: string;
  /** Seconds from start to end, or to now while it runs. */
  durationSeconds?: number;
  /** Who started it (`mlflow.user` or the run's user id). */
  user?: string;
  /** The `mlflow.source.git.commit` tag. */
  gitCommit?: string;
  /** Every parameter of the run, as logged. */
  params: Record<string, string>;
  /** The latest value of each metric. */
  metrics: Record<string, number>;
  /** The run in MLflow's UI. */
  url: string;
  /** The model versions registered from this run. */
  modelVersions: ExperimentRunModelVersion[];
  /**
   * Where the run wrote TensorBoard event files (its
   * `mlplatform.io/tensorboard-logdir` tag); its scalars are at
   * `.../experiment/runs/:runId/tensorboard`.
   */
  tensorboardLogDir?: string;
}

/**
 * The runs of an entity's experiment, or why there are none to show.
 *
 * @public
 */
export type ExperimentRunsResponse =
  | {
      configured: true;
      entityRef: string;
      experiment: MlflowExperimentInfo;
      runs: ExperimentRun[];
      /**
       * The parameters worth a column: those whose values differ between the
       * listed runs (a search's knobs), else the first few.
       */
      keyParams: string[];
      /** Every metric name of the listed runs, sorted. */
      metricNames: string[];
    }
  | {
      configured: false;
      entityRef: string;
      /** What is missing and what to set, e.g. the annotation. */
      reason: string;
    };

/**
 * One point of a metric history.
 *
 * @public
 */
export interface MetricHistoryPoint {
  step: number;
  /** ms since epoch. */
  timestamp: number;
  value: number;
}

/**
 * A metric's history in each compared run.
 *
 * @public
 */
export interface ComparedMetric {
  name: string;
  /** By run id; a run that did not log the metric has none. */
  histories: Record<string, MetricHistoryPoint[]>;
  /** True when some history was thinned to `maxHistoryPoints`. */
  downsampled?: boolean;
}

/**
 * A parameter across the compared runs.
 *
 * @public
 */
export interface ComparedParam {
  name: string;
  /** By run id; absent where the run did not log it. */
  values: Record<string, string | undefined>;
  /** Whether the runs disagree (a missing value counts as a value). */
  differs: boolean;
}

/**
 * Answer of the runs comparison.
 *
 * @public
 */
export interface CompareRunsResponse {
  entityRef: string;
  experiment: MlflowExperimentInfo;
  /** The runs in the order asked. */
  runs: ExperimentRun[];
  metrics: ComparedMetric[];
  /** Sorted by name; differing ones are flagged. */
  params: ComparedParam[];
}

/**
 * A Model or a Pipeline, whose experiment the experiments API reads.
 *
 * @public
 */
export interface ExperimentEntityRef {
  kind: 'model' | 'pipeline';
  namespace: string;
  name: string;
}

/**
 * The runs listing's query as a caller writes it (before parsing).
 *
 * @public
 */
export interface ExperimentRunsRequest {
  status?: ExperimentRunStatus;
  orderBy?: 'start' | 'metric';
  metric?: string;
  direction?: 'asc' | 'desc';
  limit?: number;
}

/**
 * The comparison's query as a caller writes it: 2-5 run ids and optionally
 * the metrics to chart.
 *
 * @public
 */
export interface CompareRunsRequest {
  runs: string[];
  metrics?: string[];
}
