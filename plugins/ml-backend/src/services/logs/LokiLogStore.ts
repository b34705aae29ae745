import { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, ServiceUnavailableError } from '@backstage/errors';
import {
  LabelMatcher,
  LogLine,
  checkLabelMatcher,
} from '@mlplatform/plugin-ml-common';
import {
  LogStoreAdapter,
  LogStoreQueryInput,
  LogStoreQueryResult,
} from '@mlplatform/plugin-ml-node';
import { LokiConfig } from './logsConfig';

/** A LogQL string literal: JSON's escapes are a subset of Go's, which LogQL reads. */
const literal = (s: string) => JSON.stringify(s);

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The LogQL of a query: a stream selector written from checked matchers
 * (names by `checkLabelMatcher`, values as escaped literals) and the search
 * as an escaped, case-insensitive line filter. Nothing of the annotation or
 * the search is written as LogQL syntax.
 *
 * @throws InputError when no matcher selects a non-empty value, which Loki
 *   refuses for every query.
 * @internal
 */
export function buildLogQl(matchers: LabelMatcher[], search?: string): string {
  for (const m of matchers) {
    try {
      checkLabelMatcher(m);
    } catch (e) {
      throw new InputError(`log selector: ${(e as Error).message}`);
    }
  }
  const selecting = matchers.some(
    m => (m.op === '=' || m.op === '=~') && m.value !== '' && m.value !== '.*',
  );
  if (!selecting) {
    throw new InputError(
      'log selector: needs at least one = or =~ matcher with a non-empty value, e.g. namespace="fraud"',
    );
  }
  const selector = `{${matchers
    .map(m => `${m.name}${m.op}${literal(m.value)}`)
    .join(', ')}}`;
  return search
    ? `${selector} |~ ${literal(`(?i)${escapeRegex(search)}`)}`
    : selector;
}

interface LokiStreamsResponse {
  status: string;
  data?: {
    resultType?: string;
    result?: Array<{ stream?: Record<string, string>; values?: string[][] }>;
  };
  error?: string;
}

const nsToIso = (ns: string): string | undefined => {
  if (!/^\d{1,20}$/.test(ns)) return undefined;
  const big = BigInt(ns);
  const ms = Number(big / 1000000n);
  const frac = String(big % 1000000000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
};

/**
 * Grafana Loki's HTTP API (`/loki/api/v1/query_range`), on the one URL of
 * `ml.logs.loki.url`: redirects are not followed, so no annotation or
 * answer can send the backend to another host.
 *
 * @internal
 */
export class LokiLogStore implements LogStoreAdapter {
  readonly name = 'loki';

  static create(options: {
    config: LokiConfig;
    logger: LoggerService;
  }): LokiLogStore {
    return new LokiLogStore(options.config, options.logger);
  }

  private constructor(
    private readonly config: LokiConfig,
    private readonly logger: LoggerService,
  ) {}

  async query(input: LogStoreQueryInput): Promise<LogStoreQueryResult> {
    const query = buildLogQl(input.matchers, input.search);
    const ns = (d: Date) => `${BigInt(d.getTime()) * 1000000n}`;
    const params = new URLSearchParams({
      query,
      start: ns(input.start),
      end: ns(input.end),
      limit: String(input.limit),
      direction: 'backward',
    });
    const url = `${this.config.url}/loki/api/v1/query_range?${params}`;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.config.tenant) headers['X-Scope-OrgID'] = this.config.tenant;
    if (this.config.token)
      headers.Authorization = `Bearer ${this.config.token}`;
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const signal = input.signal
      ? AbortSignal.any([input.signal, timeout])
      : timeout;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal, redirect: 'manual' });
    } catch (e) {
      const cause = (e as any)?.cause?.code ?? (e as Error).message;
      throw new ServiceUnavailableError(
        `Loki at ${this.config.url} did not answer: ${cause}`,
      );
    }
    const text = await response.text();
    if (response.status >= 300 && response.status < 400) {
      throw new ServiceUnavailableError(
        `Loki at ${this.config.url} answered with a redirect (HTTP ${response.status}); only the configured URL is contacted, set ml.logs.loki.url to where Loki answers`,
      );
    }
    if (!response.ok) {
      const reason = text.trim().slice(0, 300);
      if (response.status === 400) {
        throw new InputError(`Loki refused the query ${query}: ${reason}`);
      }
      throw new ServiceUnavailableError(
        `Loki at ${this.config.url} failed: HTTP ${response.status}${
          reason ? ` ${reason}` : ''
        }`,
      );
    }
    let body: LokiStreamsResponse;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ServiceUnavailableError(
        `Loki at ${this.config.url} answered with something that is not JSON`,
      );
    }
    if (body.status !== 'success' || body.data?.resultType !== 'streams') {
      throw new ServiceUnavailableError(
        `Loki at ${this.config.url} answered status ${body.status} with ${
          body.data?.resultType ?? 'no'
        } result${body.error ? `: ${body.error}` : ''}`,
      );
    }
    const lines: Array<LogLine & { ns: bigint }> = [];
    for (const stream of body.data.result ?? []) {
      for (const [t, line] of stream.values ?? []) {
        const time = nsToIso(t);
        if (!time || typeof line !== 'string') continue;
        lines.push({
          ns: BigInt(t),
          time,
          text: line,
          labels: stream.stream ?? {},
        });
      }
    }
    // newest first; nanosecond times are bigints, which subtract exactly
    lines.sort((a, b) => Number(b.ns - a.ns > 0n) - Number(a.ns - b.ns > 0n));
    this.logger.debug(`loki: ${query} -> ${lines.length} lines`);
    return {
      query,
      truncated: lines.length >= input.limit,
      lines: lines.slice(0, input.limit).map(({ ns: _ns, ...l }) => l),
    };
  }
}
