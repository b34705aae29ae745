/*
 * A STAND-IN for Grafana Loki, not Loki: no Loki (or Elasticsearch) server
 * can run on these machines. It answers the parts of Loki's documented HTTP
 * API (https://grafana.com/docs/loki/latest/reference/loki-http-api/) the ML
 * backend uses, with Loki's response shapes and error texts:
 * `GET /loki/api/v1/query_range` (a LogQL stream selector and optional line
 * filters `|=`, `!=`, `|~`, `!~`; start/end in nanoseconds; limit;
 * direction), `GET /ready` and `GET /loki/api/v1/labels`. The selector is
 * parsed as LogQL's grammar has it and matched against seeded streams, so a
 * query written wrongly is a 400 here as in Loki.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One seeded stream: its labels and lines (time in ms since the epoch). @public */
export interface LokiStandInStream {
  labels: Record<string, string>;
  lines: Array<{ ms: number; line: string }>;
}

/** A request the stand-in received. @public */
export interface LokiStandInRequest {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
}

/** A running stand-in. @public */
export interface LokiStandIn {
  /** `http://127.0.0.1:PORT` */
  url: string;
  readonly requests: LokiStandInRequest[];
  /** Adds a stream (or lines to the stream with the same labels). */
  push(stream: LokiStandInStream): void;
  /** Answers every query_range with a redirect to `location` (null: stop). */
  redirectQueriesTo(location: string | null): void;
  stop(): Promise<void>;
}

interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}
interface Filter {
  op: '|=' | '!=' | '|~' | '!~';
  value: string;
}

class ParseError extends Error {}

/** A Go-style double-quoted string at `s[i]`: its value and the index after it. */
function readString(s: string, i: number): [string, number] {
  if (s[i] !== '"')
    throw new ParseError(
      `syntax error: unexpected ${s[i] ?? 'end of input'}, expecting STRING`,
    );
  let j = i + 1;
  while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
  if (j >= s.length) throw new ParseError('literal not terminated');
  try {
    return [JSON.parse(s.slice(i, j + 1)), j + 1];
  } catch {
    throw new ParseError(`invalid char escape in ${s.slice(i, j + 1)}`);
  }
}

/** Go's RE2 inline flags as JavaScript understands them. */
function regex(value: string, anchored: boolean): RegExp {
  let flags = '';
  let body = value;
  const m = /^\(\?([a-z]+)\)/.exec(body);
  if (m) {
    if (m[1].includes('i')) flags += 'i';
    body = body.slice(m[0].length);
  }
  try {
    return new RegExp(anchored ? `^(?:${body})$` : body, flags);
  } catch (e) {
    throw new ParseError(`invalid regular expression: ${(e as Error).message}`);
  }
}

/** Parses `{a="b", c=~"d"} |= "x" |~ "y"`, as far as this stand-in serves LogQL. */
export function parseLogQl(q: string): {
  matchers: Matcher[];
  filters: Filter[];
} {
  const at = (i: number) => `parse error at line 1, col ${i + 1}`;
  let i = 0;
  const startsAt = (o: string) => q.startsWith(o, i);
  const ws = () => {
    while (/\s/.test(q[i] ?? '')) i++;
  };
  ws();
  if (q[i] !== '{')
    throw new ParseError(`${at(i)}: syntax error: unexpected IDENTIFIER`);
  i++;
  const matchers: Matcher[] = [];
  for (;;) {
    ws();
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(q.slice(i))?.[0];
    if (!name)
      throw new ParseError(
        `${at(i)}: syntax error: unexpected ${
          q[i] ?? 'end of input'
        }, expecting IDENTIFIER`,
      );
    i += name.length;
    ws();
    const op = (['=~', '!~', '!=', '='] as const).find(o => startsAt(o));
    if (!op)
      throw new ParseError(
        `${at(i)}: syntax error: unexpected ${
          q[i]
        }, expecting = or != or =~ or !~`,
      );
    i += op.length;
    ws();
    const [value, next] = readString(q, i);
    i = next;
    matchers.push({ name, op, value });
    ws();
    if (q[i] === ',') {
      i++;
      continue;
    }
    if (q[i] === '}') {
      i++;
      break;
    }
    throw new ParseError(
      `${at(i)}: syntax error: unexpected ${
        q[i] ?? 'end of input'
      }, expecting } or ,`,
    );
  }
  const filters: Filter[] = [];
  for (;;) {
    ws();
    if (i >= q.length) break;
    const op = (['|=', '!=', '|~', '!~'] as const).find(startsAt);
    if (!op) throw new ParseError(`${at(i)}: syntax error: unexpected ${q[i]}`);
    i += op.length;
    ws();
    const [value, next] = readString(q, i);
    i = next;
    filters.push({ op, value });
  }
  const selecting = matchers.some(
    m =>
      (m.op === '=' && m.value !== '') ||
      (m.op === '=~' && !regex(m.value, true).test('')),
  );
  if (!selecting)
    throw new ParseError(
      'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    );
  return { matchers, filters };
}

function matches(labels: Record<string, string>, m: Matcher): boolean {
  const v = labels[m.name] ?? '';
  if (m.op === '=') return v === m.value;
  if (m.op === '!=') return v !== m.value;
  const hit = regex(m.value, true).test(v);
  return m.op === '=~' ? hit : !hit;
}

function keeps(line: string, f: Filter): boolean {
  if (f.op === '|=') return line.includes(f.value);
  if (f.op === '!=') return !line.includes(f.value);
  const hit = regex(f.value, false).test(line);
  return f.op === '|~' ? hit : !hit;
}

const nanos = (ms: number) => `${BigInt(Math.round(ms)) * 1000000n}`;

/** Loki's time parameters: nanoseconds, seconds (with a fraction) or RFC 3339. */
function parseTime(v: string | undefined, fallbackMs: number): number {
  if (v === undefined) return fallbackMs;
  if (/^\d{19}$/.test(v)) return Number(BigInt(v) / 1000000n);
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new ParseError(`cannot parse "${v}" to a valid timestamp`);
  return t;
}

/**
 * Starts the Loki stand-in on 127.0.0.1 and a random port, with `streams`.
 *
 * @public
 */
export async function startLokiStandIn(
  options: { streams?: LokiStandInStream[]; maxQueryLengthHours?: number } = {},
): Promise<LokiStandIn> {
  const streams: LokiStandInStream[] = [];
  const requests: LokiStandInRequest[] = [];
  let redirect: string | null = null;
  const maxQueryMs = (options.maxQueryLengthHours ?? 721) * 3600_000;

  const push = (s: LokiStandInStream) => {
    const key = JSON.stringify(Object.entries(s.labels).sort());
    const same = streams.find(
      x => JSON.stringify(Object.entries(x.labels).sort()) === key,
    );
    if (same) same.lines.push(...s.lines);
    else streams.push({ labels: { ...s.labels }, lines: [...s.lines] });
  };
  for (const s of options.streams ?? []) push(s);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams.entries());
    requests.push({
      path: url.pathname,
      query,
      headers: {
        authorization: req.headers.authorization,
        'x-scope-orgid': req.headers['x-scope-orgid'] as string | undefined,
      },
    });
    const json = (code: number, body: unknown) => {
      res.writeHead(code, {
        'Content-Type': 'application/json; charset=utf-8',
      });
      res.end(JSON.stringify(body));
    };
    const text = (code: number, body: string) => {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`${body}\n`);
    };
    if (url.pathname === '/ready') return text(200, 'ready');
    if (url.pathname === '/loki/api/v1/labels') {
      const names = new Set(streams.flatMap(s => Object.keys(s.labels)));
      return json(200, { status: 'success', data: [...names].sort() });
    }
    if (url.pathname !== '/loki/api/v1/query_range')
      return text(404, '404 page not found');
    if (redirect) {
      res.writeHead(302, { Location: redirect });
      return res.end();
    }
    try {
      if (!query.query) throw new ParseError('query parameter is required');
      const { matchers, filters } = parseLogQl(query.query);
      const end = parseTime(query.end, Date.now());
      const start = parseTime(query.start, end - 3600_000);
      if (end < start)
        throw new ParseError(
          'end timestamp must not be before or equal to start time',
        );
      if (end - start > maxQueryMs)
        throw new ParseError(
          `the query time range exceeds the limit (query length: ${Math.round(
            (end - start) / 3600_000,
          )}h, limit: ${maxQueryMs / 3600_000}h)`,
        );
      const limit = Number(query.limit ?? 100);
      const backward = (query.direction ?? 'backward') === 'backward';
      const hits: Array<{ s: LokiStandInStream; ms: number; line: string }> =
        [];
      for (const s of streams) {
        if (!matchers.every(m => matches(s.labels, m))) continue;
        for (const l of s.lines) {
          // Loki's range is [start, end)
          if (l.ms < start || l.ms >= end) continue;
          if (filters.every(f => keeps(l.line, f))) hits.push({ s, ...l });
        }
      }
      hits.sort((a, b) => (backward ? b.ms - a.ms : a.ms - b.ms));
      const kept = hits.slice(0, limit);
      const byStream = new Map<LokiStandInStream, string[][]>();
      for (const h of kept) {
        const values = byStream.get(h.s) ?? [];
        values.push([nanos(h.ms), h.line]);
        byStream.set(h.s, values);
      }
      return json(200, {
        status: 'success',
        data: {
          resultType: 'streams',
          result: [...byStream].map(([s, values]) => ({
            stream: s.labels,
            values,
          })),
          stats: { summary: { totalLinesProcessed: hits.length } },
        },
      });
    } catch (e) {
      if (e instanceof ParseError) return text(400, e.message);
      return text(500, String(e));
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    push,
    redirectQueriesTo(location) {
      redirect = location;
    },
    async stop() {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
