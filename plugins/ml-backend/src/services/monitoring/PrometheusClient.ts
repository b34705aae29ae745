import type { LoggerService } from '@backstage/backend-plugin-api';
import { CoalescingCache } from '../coalescingCache';

/**
 * One series of an instant vector: labels and `[unix seconds, value]`.
 *
 * @internal
 */
export interface PrometheusVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * One series of a range (matrix) result: labels and `[unix seconds, value]`
 * pairs. Values stay strings as Prometheus sends them (`NaN`, `+Inf`).
 *
 * @internal
 */
export interface PrometheusRangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

/**
 * The `data` of a successful `/api/v1/query` answer.
 *
 * @internal
 */
export type PrometheusInstantResult =
  | { resultType: 'vector'; result: PrometheusVectorSample[] }
  | { resultType: 'matrix'; result: PrometheusRangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

/**
 * The `data` of a successful `/api/v1/query_range` answer.
 *
 * @internal
 */
export interface PrometheusRangeResult {
  resultType: 'matrix';
  result: PrometheusRangeSeries[];
}

/**
 * Options of {@link PrometheusClient.create}.
 *
 * @internal
 */
export interface PrometheusClientOptions {
  /** Base URL without trailing `/api/v1`, e.g. `http://prometheus:9090`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  logger?: LoggerService;
  /** Per-request deadline. Default 10000. */
  timeoutMs?: number;
  /** How long a successful result is reused. Default 15000; 0 disables the cache (not coalescing). */
  cacheTtlMs?: number;
  /** Upper bound on cached results, so distinct queries cannot grow memory without limit. Default 1000. */
  maxCacheEntries?: number;
}

/**
 * Counters of {@link PrometheusClient}; monotonically increasing.
 *
 * @internal
 */
export interface PrometheusClientStats {
  /** HTTP requests actually sent to Prometheus. */
  requests: number;
  /** Calls answered from a settled cached result. */
  cacheHits: number;
  /** Calls that joined an identical request already in flight. */
  coalesced: number;
}

/**
 * A Prometheus answer with `status: error`, or a non-JSON failure.
 *
 * @internal
 */
export class PrometheusQueryError extends Error {
  constructor(
    message: string,
    /** Prometheus' `errorType` (`bad_data`, `timeout`, `execution`...), or `http` / `network`. */
    readonly errorType: string,
    /** HTTP status, 0 when no answer arrived. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

/**
 * Per-call options of {@link PrometheusClient}.
 *
 * @internal
 */
export interface PrometheusQueryOptions {
  /**
   * `false`: send the query without the cache (nor coalescing), for a
   * one-off query whose key and answer would only take room, such as a
   * panel batched over a whole fleet of models. Default true.
   */
  cache?: boolean;
}

/**
 * Client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`).
 *
 * Identical queries are cheap by design, because the health endpoint is
 * polled by many browsers at once: a call identical to one in flight shares
 * its HTTP request (coalescing), and a successful result is reused for
 * `cacheTtlMs`. Failures are never cached, so a recovered Prometheus is seen
 * on the next call.
 *
 * Queries are POSTed form-encoded, as Prometheus allows, so long PromQL does
 * not hit URL length limits.
 *
 * @internal
 */
export class PrometheusClient {
  private readonly cache: CoalescingCache<unknown>;
  private requests = 0;

  /** Creates a client; the URL's trailing slashes are removed. */
  static create(options: PrometheusClientOptions): PrometheusClient {
    return new PrometheusClient({
      ...options,
      url: options.url.replace(/\/+$/, ''),
    });
  }

  private constructor(private readonly options: PrometheusClientOptions) {
    this.cache = new CoalescingCache({
      ttlMs: options.cacheTtlMs ?? 15000,
      maxEntries: options.maxCacheEntries ?? 1000,
    });
  }

  /** `host:port` of Prometheus, safe to show to users. */
  get host(): string {
    return new URL(this.options.url).host;
  }

  /** A snapshot of the counters. */
  stats(): PrometheusClientStats {
    const { cacheHits, coalesced } = this.cache.counters;
    return { requests: this.requests, cacheHits, coalesced };
  }

  /**
   * Instant query. `time` in unix seconds; omitted means "now", which
   * Prometheus resolves per request, so such calls are keyed without a time
   * and share a cache entry for `cacheTtlMs`.
   */
  query(
    promql: string,
    time?: number,
    options?: PrometheusQueryOptions,
  ): Promise<PrometheusInstantResult> {
    const params: Record<string, string> = { query: promql };
    if (time !== undefined) params.time = String(time);
    return this.cached(
      JSON.stringify(['query', promql, time ?? null]),
      'query',
      params,
      options,
    ) as Promise<PrometheusInstantResult>;
  }

  /**
   * Range query; `start`, `end` in unix seconds, `step` in seconds (> 0).
   *
   * `start` is rounded down and `end` up to a multiple of `step`. Callers
   * computing "the last hour" a few milliseconds apart thus produce the same
   * key and share one request, and the points land on stable timestamps so
   * charts do not jitter between refreshes.
   */
  queryRange(
    promql: string,
    start: number,
    end: number,
    step: number,
    options?: PrometheusQueryOptions,
  ): Promise<PrometheusRangeResult> {
    if (!(step > 0) || !Number.isFinite(step)) {
      // Rejected rather than thrown, so callers handle every failure alike.
      return Promise.reject(
        new TypeError(`step must be a positive number of seconds, got ${step}`),
      );
    }
    const alignedStart = Math.floor(start / step) * step;
    const alignedEnd = Math.ceil(end / step) * step;
    return this.cached(
      JSON.stringify(['query_range', promql, alignedStart, alignedEnd, step]),
      'query_range',
      {
        query: promql,
        start: String(alignedStart),
        end: String(alignedEnd),
        step: String(step),
      },
      options,
    ) as Promise<PrometheusRangeResult>;
  }

  private cached(
    key: string,
    endpoint: 'query' | 'query_range',
    params: Record<string, string>,
    options?: PrometheusQueryOptions,
  ): Promise<unknown> {
    if (options?.cache === false) return this.post(endpoint, params);
    return this.cache.get(key, () => this.post(endpoint, params));
  }

  private async post(
    endpoint: 'query' | 'query_range',
    params: Record<string, string>,
  ): Promise<unknown> {
    this.requests += 1;
    const timeoutMs = this.options.timeoutMs ?? 10000;
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.options.token) {
      headers.authorization = `Bearer ${this.options.token}`;
    }
    let res: Response;
    try {
      res = await fetch(`${this.options.url}/api/v1/${endpoint}`, {
        method: 'POST',
        headers,
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      const message = timedOut
        ? `Prometheus at ${this.options.url} did not answer within ${timeoutMs} ms`
        : `Prometheus at ${this.options.url} is unreachable: ${
            // fetch() says only "fetch failed"; the cause has ECONNREFUSED etc.
            (error as any)?.cause?.code ?? (error as Error)?.message ?? error
          }`;
      this.options.logger?.warn(message);
      throw new PrometheusQueryError(
        message,
        timedOut ? 'timeout' : 'network',
        0,
      );
    }
    const text = await res.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body?.status === 'success') {
      // Checked because callers narrow on resultType: a proxy answering
      // something else must fail here, not as a TypeError in a panel.
      const data = body.data;
      const expected =
        endpoint === 'query_range'
          ? ['matrix']
          : ['vector', 'matrix', 'scalar', 'string'];
      if (
        !expected.includes(data?.resultType) ||
        !Array.isArray(data?.result)
      ) {
        const message = `Prometheus ${endpoint} answered with an unexpected result type ${JSON.stringify(
          data?.resultType,
        )}`;
        this.options.logger?.warn(message);
        throw new PrometheusQueryError(message, 'bad_response', res.status);
      }
      return data;
    }
    // Prometheus reports bad PromQL (400 bad_data), timeouts (503) and
    // execution errors (422) in the same envelope; keep its errorType so
    // callers can tell "your query is wrong" from "Prometheus is unwell".
    const errorType =
      typeof body?.errorType === 'string' ? body.errorType : 'http';
    const detail =
      typeof body?.error === 'string'
        ? body.error
        : `HTTP ${res.status} ${text.slice(0, 200)}`.trim();
    const message = `Prometheus ${endpoint} failed (${errorType}, HTTP ${res.status}): ${detail}`;
    this.options.logger?.warn(message);
    throw new PrometheusQueryError(message, errorType, res.status);
  }
}
