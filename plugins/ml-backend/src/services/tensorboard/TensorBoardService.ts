import type {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  ExperimentEntityRef,
  RunTensorBoardQuery,
  RunTensorBoardResponse,
  TENSORBOARD_LIMITS,
  TENSORBOARD_LOGDIR_TAG,
  TensorBoardScalarSeries,
} from '@mlplatform/plugin-ml-common';
import { mapLimit } from '@mlplatform/plugin-ml-oci';
import path from 'node:path';
import { CoalescingCache } from '../coalescingCache';
import type { ExperimentsService } from '../experiments/ExperimentsService';
import {
  TENSORBOARD_CACHE_TTL_MS,
  TensorBoardClient,
} from './TensorBoardClient';
import { LOCAL_TENSORBOARD_PLACE } from './LocalTensorBoards';
import { checkLogDir, TensorBoardConfig } from './tensorboardConfig';

/** @internal */
export interface TensorBoardServiceOptions {
  /** `ml.tensorboard`; without it every run answers `configured: false`. */
  config?: TensorBoardConfig;
  experiments: ExperimentsService;
  logger: LoggerService;
  cacheTtlMs?: number;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The prefix of TensorBoard's run names for `logDir`, given what it serves
 * (`data_location`: its `--logdir`, or a `--logdir_spec` of `name:dir`
 * pairs, whose runs are named `name/...`); undefined when it serves no
 * directory holding `logDir`. `''` when `logDir` is the served directory.
 *
 * @internal
 */
export function runPrefix(
  dataLocation: string,
  logDir: string,
): string | undefined {
  const under = (dir: string) => {
    const rel = path.posix.relative(path.posix.normalize(dir), logDir);
    return rel.startsWith('..') || path.posix.isAbsolute(rel) ? undefined : rel;
  };
  if (path.posix.isAbsolute(dataLocation)) return under(dataLocation);
  for (const entry of dataLocation.split(',')) {
    const colon = entry.indexOf(':');
    if (colon <= 0) continue;
    const rel = under(entry.slice(colon + 1));
    if (rel !== undefined) {
      return rel ? `${entry.slice(0, colon)}/${rel}` : entry.slice(0, colon);
    }
  }
  return undefined;
}

/**
 * A run's TensorBoard: the run's `mlplatform.io/tensorboard-logdir` tag is
 * checked against `ml.tensorboard.logRoots` (a directory outside them is
 * refused before TensorBoard is asked anything), then the scalars of every
 * TensorBoard run under that directory are read from the one configured
 * TensorBoard's data API. The MLflow run is read with the caller's
 * credentials through the experiments service (same entity, same rules);
 * the assembled answer is built once per cache window however many viewers
 * ask.
 *
 * @internal
 */
export class TensorBoardService {
  static create(options: TensorBoardServiceOptions): TensorBoardService {
    return new TensorBoardService(options);
  }

  private readonly client?: TensorBoardClient;
  private readonly answers: CoalescingCache<RunTensorBoardResponse>;

  private constructor(private readonly options: TensorBoardServiceOptions) {
    const ttlMs = options.cacheTtlMs ?? TENSORBOARD_CACHE_TTL_MS;
    if (options.config) {
      this.client = TensorBoardClient.create({
        url: options.config.url,
        timeoutMs: options.config.requestTimeoutMs,
        cacheTtlMs: ttlMs,
        logger: options.logger,
      });
    }
    this.answers = new CoalescingCache({ ttlMs, maxEntries: 500 });
  }

  close(): void {
    this.client?.close();
  }

  /**
   * The scalars of a run of the entity's experiment.
   *
   * @throws NotFoundError for an unknown run or entity; InputError for a run
   * of another experiment, a log dir outside the roots or a tag the run has
   * not written; ServiceUnavailableError when TensorBoard does not answer or
   * does not serve the log dir.
   */
  async runScalars(
    ref: ExperimentEntityRef,
    runId: string,
    query: RunTensorBoardQuery,
    credentials: BackstageCredentials,
  ): Promise<RunTensorBoardResponse> {
    const { entityRef, run } = await this.options.experiments.getRun(
      ref,
      runId,
      credentials,
    );
    if (!run.tensorboardLogDir) {
      return {
        configured: false,
        runId,
        reason: `Run ${runId} of ${entityRef} names no TensorBoard log dir: training sets the MLflow run tag ${TENSORBOARD_LOGDIR_TAG} to the directory of its event files`,
      };
    }
    const { config } = this.options;
    if (!config || !this.client) {
      return {
        configured: false,
        runId,
        reason: `No TensorBoard is configured: set ml.tensorboard.url and ml.tensorboard.logRoots in app-config.yaml to show the event files in ${run.tensorboardLogDir}`,
      };
    }
    const logDir = checkLogDir(
      run.tensorboardLogDir,
      config.logRoots,
      TENSORBOARD_LOGDIR_TAG,
    );
    const key = JSON.stringify([runId, logDir, query.tags ?? []]);
    return this.answers.get(key, () =>
      this.build(this.client!, config, runId, logDir, query.tags),
    );
  }

  private async build(
    client: TensorBoardClient,
    config: TensorBoardConfig,
    runId: string,
    logDir: string,
    wanted: string[] | undefined,
  ): Promise<RunTensorBoardResponse> {
    const location = await client.dataLocation();
    const prefix = runPrefix(location, logDir);
    if (prefix === undefined) {
      throw new ServiceUnavailableError(
        `The TensorBoard of ml.tensorboard.url serves "${location}", which does not hold ${logDir}: start it with --logdir on a directory that holds ml.tensorboard.logRoots`,
      );
    }
    const [runs, tagsByRun] = await Promise.all([
      client.runs(),
      client.scalarTags(),
    ]);
    const mine = runs
      .filter(r => prefix === '' || r === prefix || r.startsWith(`${prefix}/`))
      .sort();
    const dirOf = (r: string) => {
      if (prefix === '') return r;
      return r === prefix ? '.' : r.slice(prefix.length + 1);
    };
    const tags = [
      ...new Set(mine.flatMap(r => Object.keys(tagsByRun[r] ?? {}))),
    ].sort();
    const unknown = (wanted ?? []).filter(t => !tags.includes(t));
    if (unknown.length) {
      throw new InputError(
        `TensorBoard has no scalar tag ${unknown
          .map(t => `"${t}"`)
          .join(', ')} under ${logDir}; it has ${
          tags.map(t => `"${t}"`).join(', ') || 'none yet'
        }`,
      );
    }
    const pairs = mine.flatMap(r =>
      Object.keys(tagsByRun[r] ?? {})
        .filter(t => !wanted || wanted.includes(t))
        .sort()
        .map(tag => ({ run: r, tag })),
    );
    const scalars: TensorBoardScalarSeries[] = await mapLimit(
      pairs.slice(0, TENSORBOARD_LIMITS.maxSeries),
      8,
      async ({ run, tag }) => ({
        dir: dirOf(run),
        tag,
        // Non-finite values come as strings ("NaN"); a chart cannot draw them.
        points: (
          await client.scalars(run, tag)
        )
          .filter(([, , value]) => typeof value === 'number')
          .map(([wallTime, step, value]) => ({
            step,
            wallTime: Math.round(wallTime * 1000),
            value,
          })),
      }),
    );
    const filter = prefix
      ? `?runFilter=${encodeURIComponent(`^${escapeRegex(prefix)}($|/)`)}`
      : '';
    return {
      configured: true,
      runId,
      logDir,
      url: `${config.publicUrl}/${filter}#timeseries`,
      tags,
      scalars,
      ...(pairs.length > TENSORBOARD_LIMITS.maxSeries
        ? { truncated: true }
        : {}),
      ...(config.kubeflow ? { cluster: config.kubeflow.cluster } : {}),
      ...(config.local ? { cluster: LOCAL_TENSORBOARD_PLACE } : {}),
    };
  }
}
