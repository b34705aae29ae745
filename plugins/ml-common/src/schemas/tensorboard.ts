import { z } from 'zod';
import { entityPathParamsSchema } from './entityPath';
import { RUN_ID_PATTERN } from './experiments';

/*
 * A run's TensorBoard: the scalars of the event files an MLflow run names,
 * read through the backend from TensorBoard's data API. See
 * docs/experiments.md, "TensorBoard".
 */

/**
 * The MLflow run tag naming the directory of a run's TensorBoard event
 * files (an absolute path under one of `ml.tensorboard.logRoots`). The ML
 * project template's training sets it.
 *
 * @public
 */
export const TENSORBOARD_LOGDIR_TAG = 'mlplatform.io/tensorboard-logdir';

/**
 * Limits of the TensorBoard scalars of a run: tags asked for at once, and
 * series (run directory × tag) answered.
 *
 * @public
 */
export const TENSORBOARD_LIMITS = {
  maxTags: 20,
  maxSeries: 40,
} as const;

/**
 * A TensorBoard scalar tag as a filter: 1-250 printable characters (tags
 * are free text in TensorBoard, `loss`, `val/auc`, `acc (%)`), but no
 * control characters and no comma (the list separator).
 *
 * @public
 */
// eslint-disable-next-line no-control-regex
export const TENSORBOARD_TAG_PATTERN = /^[^\u0000-\u001f\u007f,]{1,250}$/;

const tagList = z
  .string()
  .transform(s => s.split(',').map(t => t.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(
            TENSORBOARD_TAG_PATTERN,
            'tags are 1-250 printable characters without commas or control characters, like loss or val/auc',
          ),
      )
      .min(1)
      .max(
        TENSORBOARD_LIMITS.maxTags,
        `at most ${TENSORBOARD_LIMITS.maxTags} tags at once`,
      ),
  );

/**
 * Path of a run of an entity's experiment: `:namespace/:name` and `:runId`.
 *
 * @public
 */
export const experimentRunParamsSchema = entityPathParamsSchema.extend({
  runId: z
    .string()
    .regex(RUN_ID_PATTERN, 'run ids are letters and digits, like 3f2a…'),
});

/**
 * Query of `GET /api/ml/{models,pipelines}/:namespace/:name/experiment/runs/:runId/tensorboard`:
 * optionally `tags=loss,val/auc` (default: every scalar tag of the run).
 *
 * @public
 */
export const runTensorBoardQuerySchema = z
  .object({ tags: tagList.optional() })
  .strict();

/** Query of a run's TensorBoard scalars, parsed. @public */
export type RunTensorBoardQuery = z.output<typeof runTensorBoardQuerySchema>;

/** The same query as a caller writes it. @public */
export interface RunTensorBoardRequest {
  tags?: string[];
}

/**
 * One point of a TensorBoard scalar series.
 *
 * @public
 */
export interface TensorBoardScalarPoint {
  step: number;
  /** ms since epoch. */
  wallTime: number;
  value: number;
}

/**
 * A scalar tag of one directory of event files.
 *
 * @public
 */
export interface TensorBoardScalarSeries {
  /**
   * The directory relative to the run's log dir: `.` for the log dir itself,
   * `train` or `eval` for subdirectories (TensorBoard shows each as a run).
   */
  dir: string;
  tag: string;
  /** As TensorBoard samples them (at most 1000 by default). */
  points: TensorBoardScalarPoint[];
}

/**
 * A run's TensorBoard, or why it has none.
 *
 * @public
 */
export type RunTensorBoardResponse =
  | {
      configured: true;
      runId: string;
      /** The run's log dir, from its {@link TENSORBOARD_LOGDIR_TAG} tag. */
      logDir: string;
      /** TensorBoard's page, filtered to this run's directories. */
      url: string;
      /** Every scalar tag under the log dir, sorted. */
      tags: string[];
      /** The series asked for (every tag when none were), by dir then tag. */
      scalars: TensorBoardScalarSeries[];
      /** True when more series existed than {@link TENSORBOARD_LIMITS}.maxSeries. */
      truncated?: boolean;
      /**
       * Where `POST` on the same path starts the run's own TensorBoard: the
       * Kubeflow cluster (`ml.tensorboard.kubeflow`), or `localhost`
       * (`ml.tensorboard.local`); absent when neither is configured.
       */
      cluster?: string;
    }
  | {
      configured: false;
      runId: string;
      /** What is missing: `ml.tensorboard`, or the run's tag. */
      reason: string;
    };

/**
 * Answer of `POST .../experiment/runs/:runId/tensorboard`: the run's own
 * TensorBoard on a Kubeflow cluster (a `tensorboard.kubeflow.org/v1alpha1`
 * Tensorboard in the namespace of the volume holding its event files), or a
 * local `tensorboard` process of the backend (`cluster: localhost`).
 *
 * @public
 */
export interface RunTensorBoardLaunch {
  runId: string;
  /** The Kubeflow cluster, or `localhost` for a local process. */
  cluster: string;
  /** The Tensorboard's namespace; empty for a local process. */
  namespace: string;
  /** The Tensorboard resource's name (`tb-<run id>`). */
  name: string;
  /** Its `spec.logspath` (`pvc://<claim>/<dir>`), or the local log dir. */
  logspath: string;
  /**
   * Where it is served once ready: `<kubeflow url>/tensorboard/<namespace>/<name>/`,
   * or `http://<publicHost>:<port>/` for a local process.
   */
  url: string;
  /** False when the run's TensorBoard already existed. */
  created: boolean;
  /** Whether its controller reports a ready server. */
  ready: boolean;
}
