import http from 'node:http';
import net from 'node:net';
import type { RecordedRequest, StandInFault } from './kubeflowPipelines';

/**
 * Airflow DAG run states.
 *
 * @public
 */
export type AirflowDagRunState = 'queued' | 'running' | 'success' | 'failed';

/**
 * Airflow DAG run types.
 *
 * @public
 */
export type AirflowRunType =
  | 'manual'
  | 'scheduled'
  | 'backfill'
  | 'dataset_triggered';

/**
 * A DAG known to the stand-in.
 *
 * @public
 */
export interface AirflowDagSeed {
  dag_id: string;
  description?: string;
  /** Cron expression of its timetable. */
  schedule?: string;
  is_paused?: boolean;
  owners?: string[];
  tags?: string[];
}

/**
 * A DAG run to seed, with fixed times and state (seeded runs do not progress).
 *
 * @public
 */
export interface AirflowDagRunSeed {
  dag_id: string;
  dag_run_id?: string;
  run_type: AirflowRunType;
  state: AirflowDagRunState;
  logical_date: Date;
  data_interval_end?: Date;
  start_date?: Date;
  end_date?: Date;
  conf?: Record<string, unknown>;
  note?: string;
}

/**
 * Options of {@link startAirflowStandIn}.
 *
 * @public
 */
export interface AirflowStandInOptions {
  /** Default: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Basic auth user (Airflow's `basic_auth` API backend). */
  username: string;
  password: string;
  /** Also accept `Authorization: Bearer <token>` (as auth managers that issue tokens do). */
  token?: string;
  dags: AirflowDagSeed[];
  runs?: AirflowDagRunSeed[];
  /** How long a triggered run stays queued, then running. Default 2000 ms. */
  progressMs?: number;
}

/**
 * A running Airflow stand-in.
 *
 * @public
 */
export interface AirflowStandIn {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the API is under `/api/v1`. */
  url: string;
  port: number;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  setFault(fault: StandInFault): void;
  /** Pauses or unpauses a DAG, as the UI toggle does. */
  setPaused(dagId: string, paused: boolean): void;
  stop(): Promise<void>;
}

interface StoredRun {
  dag_id: string;
  dag_run_id: string;
  run_type: AirflowRunType;
  logical: number;
  intervalEnd: number;
  conf: Record<string, unknown>;
  note: string | null;
  fixed?: { state: AirflowDagRunState; start?: number; end?: number };
  /** For triggered runs: when they were queued. */
  queued?: number;
  /** For triggered runs of a paused DAG: when the DAG was unpaused. */
  runnableFrom?: number;
}

const PROBLEM_TYPE =
  'https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/';
const ORDER_FIELDS = [
  'id',
  'state',
  'dag_id',
  'execution_date',
  'dag_run_id',
  'start_date',
  'end_date',
  'updated_at',
  'external_trigger',
  'conf',
];
const POST_FIELDS = [
  'dag_run_id',
  'logical_date',
  'execution_date',
  'data_interval_start',
  'data_interval_end',
  'conf',
  'note',
];

/** Ascending order of two sort keys. */
function compare(a: string | number, b: string | number): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly type: string,
    readonly detail: string | null,
  ) {
    super(title);
  }
}

/** Airflow's `datetime.isoformat()`: `+00:00`, microseconds when non-zero. */
function airflowTime(ms: number | undefined): string | null {
  if (ms === undefined) return null;
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23);
  return frac === '000'
    ? `${iso.slice(0, 19)}+00:00`
    : `${iso.slice(0, 19)}.${frac}000+00:00`;
}

/**
 * Starts an in-memory stand-in for Airflow's stable REST API v1 (test
 * infrastructure: Airflow cannot run here). It answers the documented
 * shapes of `GET /api/v1/dags/{dag_id}`, `GET|POST
 * /api/v1/dags/{dag_id}/dagRuns` and `GET
 * /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}`: `DAGRun` fields,
 * `limit`/`offset` paging with `total_entries`, `order_by` with `-` for
 * descending, basic auth (401 `Unauthorized` with `WWW-Authenticate: Basic`),
 * errors as problem+json (`{type, title, status, detail}`). As in Airflow,
 * listing the runs of an unknown DAG answers an empty list, triggering it
 * 404; a run of a paused DAG stays `queued` until the DAG is unpaused;
 * other triggered runs go queued, running, success over `2 * progressMs`.
 *
 * @public
 */
export async function startAirflowStandIn(
  options: AirflowStandInOptions,
): Promise<AirflowStandIn> {
  const progressMs = options.progressMs ?? 2000;
  const dags = new Map(
    options.dags.map(d => [d.dag_id, { ...d, is_paused: !!d.is_paused }]),
  );
  const runs: StoredRun[] = (options.runs ?? []).map(seed => {
    if (!dags.has(seed.dag_id))
      throw new Error(`Seed run for unknown DAG ${seed.dag_id}`);
    const logical = seed.logical_date.getTime();
    return {
      dag_id: seed.dag_id,
      dag_run_id:
        seed.dag_run_id ?? `${seed.run_type}__${airflowTime(logical)}`,
      run_type: seed.run_type,
      logical,
      intervalEnd: seed.data_interval_end?.getTime() ?? logical,
      conf: seed.conf ?? {},
      note: seed.note ?? null,
      fixed: {
        state: seed.state,
        start: seed.start_date?.getTime(),
        end: seed.end_date?.getTime(),
      },
    };
  });

  const stateOf = (r: StoredRun, now: number) => {
    if (r.fixed) return r.fixed;
    if (r.runnableFrom === undefined) return { state: 'queued' as const };
    const start = r.runnableFrom + progressMs;
    const end = start + progressMs;
    if (now < start) return { state: 'queued' as const };
    if (now < end) return { state: 'running' as const, start };
    return { state: 'success' as const, start, end };
  };

  const toApi = (r: StoredRun, now: number) => {
    const s = stateOf(r, now);
    return {
      conf: r.conf,
      dag_id: r.dag_id,
      dag_run_id: r.dag_run_id,
      data_interval_end: airflowTime(r.intervalEnd),
      data_interval_start: airflowTime(
        r.run_type === 'scheduled' ? r.logical : r.intervalEnd,
      ),
      end_date: airflowTime(s.end),
      execution_date: airflowTime(r.logical),
      external_trigger: r.run_type === 'manual',
      last_scheduling_decision: airflowTime(s.end ?? s.start),
      logical_date: airflowTime(r.logical),
      note: r.note,
      run_type: r.run_type,
      start_date: airflowTime(s.start),
      state: s.state,
    };
  };

  const dagNotFound = (dagId: string) =>
    new Problem(
      404,
      'DAG not found',
      'NotFound',
      `DAG with dag_id: '${dagId}' not found`,
    );

  const listRuns = (dagId: string, q: Record<string, string>, now: number) => {
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    const offset = q.offset === undefined ? 0 : Number(q.offset);
    if (
      !Number.isInteger(limit) ||
      limit < 1 ||
      !Number.isInteger(offset) ||
      offset < 0
    ) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        `${
          q.limit ?? q.offset
        } is not of type 'integer' or is less than the minimum`,
      );
    }
    const order = q.order_by ?? 'id';
    const desc = order.startsWith('-');
    const field = desc ? order.slice(1) : order;
    if (!ORDER_FIELDS.includes(field)) {
      throw new Problem(
        400,
        `Ordering with '${order}' is disallowed or the attribute does not exist on the model`,
        'BadRequest',
        null,
      );
    }
    const key = (r: StoredRun): string | number => {
      const api = toApi(r, now) as Record<string, unknown>;
      if (field === 'id') return runs.indexOf(r);
      if (field === 'execution_date') return r.logical;
      const v = api[field];
      return typeof v === 'string' || typeof v === 'number' ? v : String(v);
    };
    const all = runs
      .filter(r => r.dag_id === dagId || dagId === '~')
      .sort((a, b) => compare(key(a), key(b)) * (desc ? -1 : 1));
    return {
      dag_runs: all
        .slice(offset, offset + Math.min(limit, 100))
        .map(r => toApi(r, now)),
      total_entries: all.length,
    };
  };

  const triggerRun = (dagId: string, body: any, now: number) => {
    const dag = dags.get(dagId);
    if (!dag) throw dagNotFound(dagId);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        "{'_schema': ['Invalid input type.']}",
      );
    }
    const unknown = Object.keys(body).filter(k => !POST_FIELDS.includes(k));
    if (unknown.length) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        `{${unknown.map(k => `'${k}': ['Unknown field.']`).join(', ')}}`,
      );
    }
    if (
      body.conf !== undefined &&
      (typeof body.conf !== 'object' ||
        body.conf === null ||
        Array.isArray(body.conf))
    ) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        "{'conf': ['Not a valid mapping type.']}",
      );
    }
    const requested = body.logical_date ?? body.execution_date;
    const logical = requested ? Date.parse(requested) : now;
    if (Number.isNaN(logical)) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        "{'logical_date': ['Not a valid datetime.']}",
      );
    }
    const runId = body.dag_run_id ?? `manual__${airflowTime(logical)}`;
    if (typeof runId !== 'string' || !/^[A-Za-z0-9_.~:+-]+$/.test(runId)) {
      throw new Problem(
        400,
        'Bad Request',
        'BadRequest',
        `The run_id provided '${runId}' does not match the pattern '^[A-Za-z0-9_.~:+-]+$'`,
      );
    }
    const existing = runs.find(
      r =>
        r.dag_id === dagId && (r.dag_run_id === runId || r.logical === logical),
    );
    if (existing) {
      throw new Problem(
        409,
        'Conflict',
        'AlreadyExists',
        existing.dag_run_id === runId
          ? `DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`
          : `DAGRun with DAG ID: '${dagId}' and DAGRun logical date: '${airflowTime(
              logical,
            )?.replace('T', ' ')}' already exists`,
      );
    }
    const run: StoredRun = {
      dag_id: dagId,
      dag_run_id: runId,
      run_type: 'manual',
      logical,
      intervalEnd: logical,
      conf: body.conf ?? {},
      note: typeof body.note === 'string' && body.note ? body.note : null,
      queued: now,
      runnableFrom: dag.is_paused ? undefined : now,
    };
    runs.push(run);
    return toApi(run, now);
  };

  const dagToApi = (d: AirflowDagSeed & { is_paused: boolean }) => ({
    dag_id: d.dag_id,
    dag_display_name: d.dag_id,
    default_view: 'grid',
    description: d.description ?? null,
    file_token: Buffer.from(d.dag_id).toString('base64url'),
    fileloc: `/opt/airflow/dags/${d.dag_id}.py`,
    has_import_errors: false,
    has_task_concurrency_limits: false,
    is_active: true,
    is_paused: d.is_paused,
    is_subdag: false,
    max_active_runs: 16,
    max_active_tasks: 16,
    owners: d.owners ?? ['airflow'],
    root_dag_id: null,
    schedule_interval: d.schedule
      ? { __type: 'CronExpression', value: d.schedule }
      : null,
    tags: (d.tags ?? []).map(name => ({ name })),
    timetable_description: d.schedule
      ? `Cron: ${d.schedule}`
      : 'Never, external triggers only',
  });

  const route = (
    method: string,
    path: string,
    q: Record<string, string>,
    body: unknown,
  ) => {
    const now = Date.now();
    let m = /^\/api\/v1\/dags\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const dagId = decodeURIComponent(m[1]);
      const dag = dags.get(dagId);
      if (!dag) {
        throw new Problem(
          404,
          'DAG not found',
          'NotFound',
          `The DAG with dag_id: ${dagId} was not found`,
        );
      }
      return dagToApi(dag);
    }
    m = /^\/api\/v1\/dags\/([^/]+)\/dagRuns$/.exec(path);
    if (m && method === 'GET')
      return listRuns(decodeURIComponent(m[1]), q, now);
    if (m && method === 'POST')
      return triggerRun(decodeURIComponent(m[1]), body, now);
    m = /^\/api\/v1\/dags\/([^/]+)\/dagRuns\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const [dagId, runId] = [
        decodeURIComponent(m[1]),
        decodeURIComponent(m[2]),
      ];
      const run = runs.find(r => r.dag_id === dagId && r.dag_run_id === runId);
      if (!run) {
        throw new Problem(
          404,
          'DAGRun not found',
          'NotFound',
          `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`,
        );
      }
      return toApi(run, now);
    }
    throw new Problem(
      404,
      'Not Found',
      'NotFound',
      'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.',
    );
  };

  const requests: RecordedRequest[] = [];
  let fault: StandInFault;
  const problem = (res: http.ServerResponse, p: Problem) => {
    res.writeHead(p.status, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({
        detail: p.detail,
        status: p.status,
        title: p.title,
        type: `${PROBLEM_TYPE}${p.type}`,
      }),
    );
  };
  const basic = `Basic ${Buffer.from(
    `${options.username}:${options.password}`,
  ).toString('base64')}`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let badJson = false;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        badJson = true;
      }
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        authorization: req.headers.authorization,
      });
      if (fault === 'timeout') return;
      if (fault === 'error') {
        problem(
          res,
          new Problem(
            500,
            'Internal Server Error',
            'Unknown',
            'The server encountered an internal error and was unable to complete your request.',
          ),
        );
        return;
      }
      const auth = req.headers.authorization;
      if (
        auth !== basic &&
        !(options.token && auth === `Bearer ${options.token}`)
      ) {
        res.writeHead(401, {
          'content-type': 'text/html; charset=utf-8',
          'www-authenticate': 'Basic',
        });
        res.end('Unauthorized');
        return;
      }
      if (badJson) {
        problem(
          res,
          new Problem(
            400,
            'Bad Request',
            'BadRequest',
            'The browser (or proxy) sent a request that this server could not understand.',
          ),
        );
        return;
      }
      try {
        const answer = route(
          req.method ?? 'GET',
          url.pathname,
          Object.fromEntries(url.searchParams),
          body,
        );
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        problem(res, e);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    requests,
    setFault(f) {
      fault = f;
    },
    setPaused(dagId, paused) {
      const dag = dags.get(dagId);
      if (!dag) throw new Error(`Unknown DAG ${dagId}`);
      dag.is_paused = paused;
      if (!paused) {
        const now = Date.now();
        for (const r of runs) {
          if (r.dag_id === dagId && !r.fixed && r.runnableFrom === undefined) {
            r.runnableFrom = now;
          }
        }
      }
    },
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
