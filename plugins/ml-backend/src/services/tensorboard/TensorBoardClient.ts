import type { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError, ServiceUnavailableError } from '@backstage/errors';
import { createAgent, httpRequest } from '@mlplatform/plugin-ml-oci';
import type http from 'node:http';
import { CoalescingCache } from '../coalescingCache';

/** How long TensorBoard's answers are reused. @internal */
export const TENSORBOARD_CACHE_TTL_MS = 15_000;

/** `[wall time in s, step, value]`, as `/data/plugin/scalars/scalars` answers. @internal */
export type TensorBoardScalarRow = [number, number, number];

/** @internal */
export interface TensorBoardClientOptions {
  /** `ml.tensorboard.url`: the only host contacted. */
  url: string;
  logger: LoggerService;
  timeoutMs?: number;
  cacheTtlMs?: number;
}

/**
 * Reads one TensorBoard's HTTP data API (the one its own web page uses):
 * `/data/environment` (its log directory), `/data/runs`,
 * `/data/plugin/scalars/tags` and `/data/plugin/scalars/scalars`. Identical
 * calls in flight share one request and answers are reused for a few
 * seconds (CoalescingCache), so a page of charts opened by many viewers is
 * a few TensorBoard requests. Failures are `@backstage/errors` types naming
 * the server.
 *
 * @internal
 */
export class TensorBoardClient {
  static create(options: TensorBoardClientOptions): TensorBoardClient {
    return new TensorBoardClient(options);
  }

  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly cache: CoalescingCache<unknown>;
  private readonly where: string;

  private constructor(private readonly options: TensorBoardClientOptions) {
    this.base = new URL(options.url);
    this.agent = createAgent(this.base, { maxSockets: 8 });
    this.where = `TensorBoard (${this.base.host})`;
    this.cache = new CoalescingCache({
      ttlMs: options.cacheTtlMs ?? TENSORBOARD_CACHE_TTL_MS,
      maxEntries: 2000,
    });
  }

  close(): void {
    this.agent.destroy();
  }

  /** The log directory it serves (`--logdir`), or its `--logdir_spec`. */
  async dataLocation(): Promise<string> {
    const env = await this.get<{ data_location?: string }>(
      'data/environment',
      {},
      'its environment',
    );
    return env.data_location ?? '';
  }

  /** Every run (a directory of event files, relative to the log directory). */
  runs(): Promise<string[]> {
    return this.get<string[]>('data/runs', {}, 'runs');
  }

  /** Scalar tags by run. */
  scalarTags(): Promise<Record<string, Record<string, unknown>>> {
    return this.get('data/plugin/scalars/tags', {}, 'scalar tags');
  }

  /** The (sampled) points of one run's tag. */
  scalars(run: string, tag: string): Promise<TensorBoardScalarRow[]> {
    return this.get(
      'data/plugin/scalars/scalars',
      { run, tag },
      `scalars of tag "${tag}" of run "${run}"`,
    );
  }

  private get<T>(
    endpoint: string,
    params: Record<string, string>,
    what: string,
  ): Promise<T> {
    const key = `${endpoint} ${JSON.stringify(params)}`;
    return this.cache.get(key, () =>
      this.call(endpoint, params, what),
    ) as Promise<T>;
  }

  private async call(
    endpoint: string,
    params: Record<string, string>,
    what: string,
  ): Promise<unknown> {
    // Keeps a path prefix of the configured URL (--path_prefix, a proxy path).
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}/${endpoint}`,
      this.base,
    );
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    this.options.logger.debug(`TensorBoard GET ${endpoint} (${what})`);
    const res = await httpRequest({
      method: 'GET',
      url,
      headers: { accept: 'application/json' },
      agent: this.agent,
      timeoutMs: this.options.timeoutMs ?? 10_000,
    }).catch(e => {
      const cause = (e as { code?: string }).code ?? (e as Error).message;
      throw new ServiceUnavailableError(
        `${this.where} is unreachable while reading ${what}: ${cause}`,
      );
    });
    const text = res.body.toString('utf8');
    if (res.status === 404) {
      throw new NotFoundError(`${this.where} has no ${what}`);
    }
    if (res.status === 200) {
      try {
        return JSON.parse(text);
      } catch {
        // Falls through: not the data API.
      }
    }
    throw new ServiceUnavailableError(
      `${this.where} answered HTTP ${res.status} while reading ${what}${
        res.status === 200 ? ' (not JSON; is the URL a TensorBoard?)' : ''
      }`,
    );
  }
}
