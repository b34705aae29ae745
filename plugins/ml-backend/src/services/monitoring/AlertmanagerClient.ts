import type { LoggerService } from '@backstage/backend-plugin-api';
import { checkLabelMatcher, LabelMatcher } from '@mlplatform/plugin-ml-common';
import { CoalescingCache } from '../coalescingCache';

/**
 * An alert as `GET /api/v2/alerts` returns it (Alertmanager's
 * `gettableAlert`).
 *
 * @internal
 */
export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  fingerprint: string;
  generatorURL?: string;
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    silencedBy: string[];
    inhibitedBy: string[];
  };
  receivers: Array<{ name: string }>;
}

/**
 * Options of {@link AlertmanagerClient.create}.
 *
 * @internal
 */
export interface AlertmanagerClientOptions {
  /** Base URL without `/api/v2`, e.g. `http://alertmanager:9093`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  logger?: LoggerService;
  /** Per-request deadline. Default 5000. */
  timeoutMs?: number;
  /** How long a successful answer is reused. Default 5000; 0 disables the cache (not coalescing). */
  cacheTtlMs?: number;
  /** Upper bound on cached answers. Default 500. */
  maxCacheEntries?: number;
}

/**
 * Which alerts to list; the flags map to the v2 API's query parameters.
 *
 * @internal
 */
export interface AlertmanagerAlertQuery {
  /** All must match; sent as repeated `filter=` parameters. */
  matchers: LabelMatcher[];
  /** Default true. */
  active?: boolean;
  /** Default false: silenced alerts are someone's known problem. */
  silenced?: boolean;
  /** Default false. */
  inhibited?: boolean;
  /** Default false. */
  unprocessed?: boolean;
}

/**
 * A failed Alertmanager call.
 *
 * @internal
 */
export class AlertmanagerError extends Error {
  constructor(
    message: string,
    /** `network`, `timeout`, `http` or `bad_response`. */
    readonly errorType: 'network' | 'timeout' | 'http' | 'bad_response',
    /** HTTP status, 0 when no answer arrived. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'AlertmanagerError';
  }
}

/**
 * Counters of {@link AlertmanagerClient}; monotonically increasing.
 *
 * @internal
 */
export interface AlertmanagerClientStats {
  requests: number;
  cacheHits: number;
  coalesced: number;
}

/**
 * Writes one matcher in the syntax of Alertmanager's `filter` parameter.
 * The value is quoted with `\\`, `\"` and `\n` escaped, which is what
 * Alertmanager's matcher parser undoes, so a value cannot close the quote.
 *
 * @internal
 */
export function formatAlertmanagerMatcher(m: LabelMatcher): string {
  checkLabelMatcher(m);
  const value = m.value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
  return `${m.name}${m.op}"${value}"`;
}

/**
 * Client of Alertmanager's v2 API, for the firing alerts of a model.
 *
 * Like `PrometheusClient`, identical calls in flight share one request and
 * successful answers are reused for `cacheTtlMs`; failures are not cached.
 *
 * @internal
 */
export class AlertmanagerClient {
  private readonly cache: CoalescingCache<AlertmanagerAlert[]>;
  private requests = 0;

  /** Creates a client; the URL's trailing slashes are removed. */
  static create(options: AlertmanagerClientOptions): AlertmanagerClient {
    return new AlertmanagerClient({
      ...options,
      url: options.url.replace(/\/+$/, ''),
    });
  }

  private constructor(private readonly options: AlertmanagerClientOptions) {
    this.cache = new CoalescingCache({
      ttlMs: options.cacheTtlMs ?? 5000,
      maxEntries: options.maxCacheEntries ?? 500,
    });
  }

  /** `host:port` of Alertmanager, safe to show to users. */
  get host(): string {
    return new URL(this.options.url).host;
  }

  /** A snapshot of the counters. */
  stats(): AlertmanagerClientStats {
    const { cacheHits, coalesced } = this.cache.counters;
    return { requests: this.requests, cacheHits, coalesced };
  }

  /** Lists alerts matching all `matchers`, by default only active ones. */
  getAlerts(query: AlertmanagerAlertQuery): Promise<AlertmanagerAlert[]> {
    let params: URLSearchParams;
    try {
      if (query.matchers.length === 0) {
        throw new TypeError('expected at least one label matcher');
      }
      params = new URLSearchParams();
      for (const m of query.matchers) {
        params.append('filter', formatAlertmanagerMatcher(m));
      }
    } catch (error) {
      return Promise.reject(error);
    }
    params.set('active', String(query.active ?? true));
    params.set('silenced', String(query.silenced ?? false));
    params.set('inhibited', String(query.inhibited ?? false));
    params.set('unprocessed', String(query.unprocessed ?? false));
    const key = params.toString();

    return this.cache.get(key, () => this.fetchAlerts(key));
  }

  private async fetchAlerts(query: string): Promise<AlertmanagerAlert[]> {
    this.requests += 1;
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token) {
      headers.authorization = `Bearer ${this.options.token}`;
    }
    let res: Response;
    try {
      res = await fetch(`${this.options.url}/api/v2/alerts?${query}`, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      const cause = (error as any)?.cause?.code ?? (error as Error)?.message;
      const message = timedOut
        ? `Alertmanager at ${this.host} did not answer within ${timeoutMs} ms`
        : `Alertmanager at ${this.host} did not answer: ${cause}`;
      this.options.logger?.warn(message);
      throw new AlertmanagerError(message, timedOut ? 'timeout' : 'network', 0);
    }
    const text = await res.text();
    if (!res.ok) {
      // Alertmanager answers a bad filter with 400 and the parser's message.
      const message = `Alertmanager at ${this.host} answered HTTP ${
        res.status
      }: ${text.slice(0, 300).trim()}`;
      this.options.logger?.warn(message);
      throw new AlertmanagerError(message, 'http', res.status);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!Array.isArray(body)) {
      const message = `Alertmanager at ${this.host} answered something other than a list of alerts`;
      this.options.logger?.warn(message);
      throw new AlertmanagerError(message, 'bad_response', res.status);
    }
    return body as AlertmanagerAlert[];
  }
}
