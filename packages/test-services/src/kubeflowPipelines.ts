import crypto from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

/**
 * One request as a stand-in received it, for tests to assert what was sent
 * (or that nothing was).
 *
 * @public
 */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, when there was one. */
  body?: unknown;
  /** The `authorization` header as received. */
  authorization?: string;
}

/**
 * What a stand-in does to every request until switched back to `undefined`:
 * `error` answers 500 in the service's error shape, `timeout` never answers.
 *
 * @public
 */
export type StandInFault = 'error' | 'timeout' | undefined;

/**
 * Kubeflow Pipelines v2beta1 run states (`V2beta1RuntimeState`).
 *
 * @public
 */
export type KfpRuntimeState =
  | 'RUNTIME_STATE_UNSPECIFIED'
  | 'PENDING'
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'SKIPPED'
  | 'FAILED'
  | 'CANCELING'
  | 'CANCELED'
  | 'PAUSED';

/**
 * A pipeline known to the stand-in.
 *
 * @public
 */
export interface KfpPipelineSeed {
  pipeline_id: string;
  display_name?: string;
  description?: string;
  /** Profile namespace of its seeded runs (multi-user mode). */
  namespace?: string;
}

/**
 * A run to seed, with fixed times and state (seeded runs do not progress).
 *
 * @public
 */
export interface KfpRunSeed {
  run_id?: string;
  pipeline_id: string;
  display_name: string;
  description?: string;
  state: KfpRuntimeState;
  created_at: Date;
  /** When it started running; omitted for PENDING runs. */
  started_at?: Date;
  finished_at?: Date;
  parameters?: Record<string, unknown>;
  recurring_run_id?: string;
  /** For FAILED runs: `google.rpc.Status` message. */
  error_message?: string;
}

/**
 * Options of {@link startKubeflowPipelinesStandIn}.
 *
 * @public
 */
export interface KubeflowPipelinesStandInOptions {
  /** Default: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  pipelines: KfpPipelineSeed[];
  runs?: KfpRunSeed[];
  /** How long a created run stays PENDING, then RUNNING. Default 2000 ms. */
  progressMs?: number;
  /**
   * Multi-user mode (default true): creating a run needs an experiment_id,
   * whose namespace the run gets; creating an experiment needs a namespace.
   */
  multiUser?: boolean;
}

/**
 * A running Kubeflow Pipelines stand-in.
 *
 * @public
 */
export interface KubeflowPipelinesStandIn {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  setFault(fault: StandInFault): void;
  stop(): Promise<void>;
}

interface StoredExperiment {
  experiment_id: string;
  display_name: string;
  description: string;
  namespace: string;
  created: number;
}

interface StoredRun {
  run_id: string;
  experiment_id: string;
  namespace: string;
  pipeline_id: string;
  pipeline_version_id: string;
  display_name: string;
  description: string;
  parameters: Record<string, unknown>;
  recurring_run_id?: string;
  created: number;
  /** Fixed history for seeded runs; computed from `created` for created ones. */
  history?: Array<{ state: KfpRuntimeState; at: number }>;
  error_message?: string;
}

const EPOCH = '1970-01-01T00:00:00Z';
// google.rpc.Code values KFP's grpc-gateway maps to these HTTP statuses.
const GRPC = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
  UNAUTHENTICATED: 16,
} as const;
const HTTP_OF_GRPC: Record<number, number> = {
  3: 400,
  5: 404,
  6: 409,
  7: 403,
  13: 500,
  16: 401,
};
// String keys released KFP 2.x filters runs on; it has no pipeline_id key
// (kubeflow/pipelines#13578), so clients match
// pipeline_version_reference.pipeline_id themselves.
const FILTER_KEYS: Record<string, (r: StoredRun) => string> = {
  run_id: r => r.run_id,
  display_name: r => r.display_name,
  description: r => r.description,
  experiment_id: r => r.experiment_id,
  recurring_run_id: r => r.recurring_run_id ?? '',
};

class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

const rfc3339 = (ms: number) =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Starts an in-memory stand-in for the Kubeflow Pipelines API server's REST
 * API v2beta1 (test infrastructure: KFP cannot run here). It answers the
 * documented shapes of `GET/POST /apis/v2beta1/runs`,
 * `GET /apis/v2beta1/runs/{run_id}`, `GET /apis/v2beta1/pipelines/{id}` and
 * `GET/POST /apis/v2beta1/experiments` (multi-user mode: a run needs an
 * experiment and lives in its namespace; each seeded namespace has a
 * `Default` experiment):
 * `V2beta1Run` fields, `next_page_token` paging, `sort_by`, the JSON
 * `filter` (`predicates` with `EQUALS`/`NOT_EQUALS`/`IN` on run_id,
 * display_name, description, experiment_id, recurring_run_id; like
 * released KFP, not on pipeline_id), the `namespace` parameter, unset times as
 * `1970-01-01T00:00:00Z`, and errors as grpc-gateway's `google.rpc.Status`
 * (`{error, code, message, details}`). Created runs go PENDING, RUNNING,
 * SUCCEEDED over `2 * progressMs`.
 *
 * @public
 */
export async function startKubeflowPipelinesStandIn(
  options: KubeflowPipelinesStandInOptions,
): Promise<KubeflowPipelinesStandIn> {
  const progressMs = options.progressMs ?? 2000;
  const pipelines = new Map(options.pipelines.map(p => [p.pipeline_id, p]));
  const versionOf = (pipelineId: string) =>
    crypto
      .createHash('sha1')
      .update(`version:${pipelineId}`)
      .digest('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*$/, '$1-$2-$3-$4-$5');
  const multiUser = options.multiUser ?? true;
  const experiments: StoredExperiment[] = [];
  const addExperiment = (
    displayName: string,
    namespace: string,
    description = '',
    now = Date.now(),
  ) => {
    const e = {
      experiment_id: crypto.randomUUID(),
      display_name: displayName,
      description,
      namespace,
      created: now,
    };
    experiments.push(e);
    return e;
  };
  // Seeded runs belong to the "Default" experiment of their namespace.
  const experimentOf = (p: KfpPipelineSeed) => {
    const namespace = p.namespace ?? '';
    const found = experiments.find(
      e => e.namespace === namespace && e.display_name === 'Default',
    );
    return (
      found ?? addExperiment('Default', namespace, '', Date.UTC(2026, 0, 5))
    ).experiment_id;
  };
  const runs: StoredRun[] = [];
  for (const seed of options.runs ?? []) {
    const p = pipelines.get(seed.pipeline_id);
    if (!p)
      throw new Error(`Seed run for unknown pipeline ${seed.pipeline_id}`);
    const history: StoredRun['history'] = [
      { state: 'PENDING', at: seed.created_at.getTime() },
    ];
    if (seed.started_at)
      history.push({ state: 'RUNNING', at: seed.started_at.getTime() });
    if (seed.state !== 'PENDING' && seed.state !== 'RUNNING') {
      history.push({
        state: seed.state,
        at: (seed.finished_at ?? seed.started_at ?? seed.created_at).getTime(),
      });
    }
    runs.push({
      run_id: seed.run_id ?? crypto.randomUUID(),
      experiment_id: experimentOf(p),
      namespace: p.namespace ?? '',
      pipeline_id: p.pipeline_id,
      pipeline_version_id: versionOf(p.pipeline_id),
      display_name: seed.display_name,
      description: seed.description ?? '',
      parameters: seed.parameters ?? {},
      recurring_run_id: seed.recurring_run_id,
      created: seed.created_at.getTime(),
      history,
      error_message: seed.error_message,
    });
  }

  const historyOf = (r: StoredRun, now: number) =>
    r.history ??
    [
      { state: 'PENDING' as const, at: r.created },
      { state: 'RUNNING' as const, at: r.created + progressMs },
      { state: 'SUCCEEDED' as const, at: r.created + 2 * progressMs },
    ].filter(h => h.at <= now);

  const toApi = (r: StoredRun, now: number) => {
    const history = historyOf(r, now);
    const state = history[history.length - 1].state;
    const terminal = ['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED'].includes(
      state,
    );
    return {
      experiment_id: r.experiment_id,
      run_id: r.run_id,
      display_name: r.display_name,
      storage_state: 'AVAILABLE',
      description: r.description,
      pipeline_version_reference: {
        pipeline_id: r.pipeline_id,
        pipeline_version_id: r.pipeline_version_id,
      },
      runtime_config: {
        parameters: r.parameters,
        pipeline_root: `minio://mlpipeline/v2/artifacts/${r.pipeline_id}`,
      },
      service_account: 'pipeline-runner',
      created_at: rfc3339(r.created),
      scheduled_at: rfc3339(r.created),
      finished_at: terminal ? rfc3339(history[history.length - 1].at) : EPOCH,
      state,
      ...(state === 'FAILED'
        ? {
            error: {
              code: 2,
              message: r.error_message ?? 'Run failed',
              details: [],
            },
          }
        : {}),
      ...(r.recurring_run_id ? { recurring_run_id: r.recurring_run_id } : {}),
      state_history: history.map(h => ({
        update_time: rfc3339(h.at),
        state: h.state,
      })),
    };
  };

  const parseFilter = (raw: string | undefined) => {
    if (!raw) return () => true;
    let filter: any;
    try {
      filter = JSON.parse(raw);
    } catch {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        `Failed to parse valid filter from "${raw}": invalid JSON`,
      );
    }
    const tests = ((filter?.predicates ?? []) as any[]).map(p => {
      const get = FILTER_KEYS[p?.key];
      if (!get) {
        throw new RpcError(
          GRPC.INVALID_ARGUMENT,
          `Invalid input error: Invalid filter: no support for filtering on key "${p?.key}"`,
        );
      }
      switch (p.operation ?? p.op) {
        case 'EQUALS':
          return (r: StoredRun) => get(r) === p.string_value;
        case 'NOT_EQUALS':
          return (r: StoredRun) => get(r) !== p.string_value;
        case 'IN':
          return (r: StoredRun) =>
            ((p.string_values?.values ?? []) as string[]).includes(get(r));
        default:
          throw new RpcError(
            GRPC.INVALID_ARGUMENT,
            `Invalid input error: Invalid filter operation "${p.operation}"`,
          );
      }
    });
    return (r: StoredRun) => tests.every(t => t(r));
  };

  const listRuns = (q: Record<string, string>, now: number) => {
    const [field, dir = 'asc', ...rest] = (q.sort_by ?? 'created_at')
      .trim()
      .split(/\s+/);
    const sortKeys: Record<string, (r: StoredRun) => string | number> = {
      created_at: r => r.created,
      display_name: r => r.display_name,
      run_id: r => r.run_id,
    };
    if (!sortKeys[field] || !['asc', 'desc'].includes(dir) || rest.length) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        `Invalid input error: Invalid sorting field: "${q.sort_by}"`,
      );
    }
    const pageSize = q.page_size ? Number(q.page_size) : 20;
    if (!Number.isInteger(pageSize) || pageSize < 0) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        `Invalid input error: page_size must be a non-negative integer`,
      );
    }
    let offset = 0;
    if (q.page_token) {
      try {
        const token = JSON.parse(
          Buffer.from(q.page_token, 'base64').toString('utf8'),
        );
        if (token.sort_by !== q.sort_by || token.filter !== q.filter)
          throw new Error('mismatch');
        offset = token.offset;
      } catch {
        throw new RpcError(
          GRPC.INVALID_ARGUMENT,
          'Invalid input error: Invalid page token',
        );
      }
    }
    const keep = parseFilter(q.filter);
    const key = sortKeys[field];
    const all = runs
      .filter(r => r.created <= now)
      .filter(r => !q.namespace || r.namespace === q.namespace)
      .filter(r => !q.experiment_id || r.experiment_id === q.experiment_id)
      .filter(keep)
      .sort((a, b) => {
        const [x, y] = [key(a), key(b)];
        const c = x < y ? -1 : Number(x > y);
        return dir === 'desc' ? -c : c;
      });
    const size = pageSize === 0 ? 20 : Math.min(pageSize, 200);
    const page = all.slice(offset, offset + size);
    const next =
      offset + size < all.length
        ? Buffer.from(
            JSON.stringify({
              offset: offset + size,
              sort_by: q.sort_by,
              filter: q.filter,
            }),
          ).toString('base64')
        : undefined;
    return {
      ...(page.length ? { runs: page.map(r => toApi(r, now)) } : {}),
      // grpc-gateway omits zero values.
      ...(all.length ? { total_size: all.length } : {}),
      ...(next ? { next_page_token: next } : {}),
    };
  };

  const createRun = (body: any, now: number) => {
    if (!body || typeof body !== 'object') {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: empty run',
      );
    }
    if (!body.display_name) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: Run name is empty. Please specify a valid name',
      );
    }
    const pipelineId = body.pipeline_version_reference?.pipeline_id;
    if (!pipelineId) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: Failed to create a run due to missing pipeline version reference or pipeline spec',
      );
    }
    const p = pipelines.get(pipelineId);
    if (!p) {
      throw new RpcError(
        GRPC.NOT_FOUND,
        `Failed to create a run: Failed to fetch a pipeline version: ResourceNotFoundError: Pipeline ${pipelineId} not found`,
      );
    }
    const params = body.runtime_config?.parameters ?? {};
    if (typeof params !== 'object' || Array.isArray(params)) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: runtime_config.parameters must be a map',
      );
    }
    let experiment: StoredExperiment | undefined;
    if (body.experiment_id) {
      experiment = experiments.find(
        e => e.experiment_id === body.experiment_id,
      );
      if (!experiment) {
        throw new RpcError(
          GRPC.NOT_FOUND,
          `Failed to create a run due to invalid experimentId and namespace combination: Failed to fetch namespace for experiment ${body.experiment_id}: ResourceNotFoundError: Experiment ${body.experiment_id} not found`,
        );
      }
    } else if (multiUser) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Failed to create a run due to invalid experimentId and namespace combination: Invalid input error: Experiment id can not be empty in multi-user mode',
      );
    } else {
      experiment =
        experiments.find(
          e => e.namespace === '' && e.display_name === 'Default',
        ) ?? addExperiment('Default', '');
    }
    const run: StoredRun = {
      run_id: crypto.randomUUID(),
      experiment_id: experiment.experiment_id,
      namespace: experiment.namespace,
      pipeline_id: p.pipeline_id,
      pipeline_version_id:
        body.pipeline_version_reference.pipeline_version_id ||
        versionOf(p.pipeline_id),
      display_name: String(body.display_name),
      description: String(body.description ?? ''),
      parameters: params,
      created: now,
    };
    runs.push(run);
    return toApi(run, now);
  };

  const experimentToApi = (e: StoredExperiment) => ({
    experiment_id: e.experiment_id,
    display_name: e.display_name,
    description: e.description,
    created_at: rfc3339(e.created),
    ...(e.namespace ? { namespace: e.namespace } : {}),
    storage_state: 'AVAILABLE',
  });

  const listExperiments = (q: Record<string, string>) => {
    if (multiUser && !q.namespace) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Failed to list experiments due to authorization error: Invalid input error: An experiment cannot have an empty namespace in multi-user mode',
      );
    }
    let keep = (_: StoredExperiment) => true;
    if (q.filter) {
      let predicates: any[];
      try {
        predicates = JSON.parse(q.filter).predicates ?? [];
      } catch {
        throw new RpcError(
          GRPC.INVALID_ARGUMENT,
          'Invalid input error: Invalid filter',
        );
      }
      for (const p of predicates) {
        if (p?.key !== 'display_name' || p?.operation !== 'EQUALS') {
          throw new RpcError(
            GRPC.INVALID_ARGUMENT,
            `Invalid input error: Invalid filter: no support for filtering on key "${p?.key}"`,
          );
        }
      }
      keep = e => predicates.every(p => e.display_name === p.string_value);
    }
    const found = experiments
      .filter(e => (q.namespace ?? '') === e.namespace)
      .filter(keep)
      .sort((a, b) => b.created - a.created);
    const size = q.page_size ? Number(q.page_size) : 20;
    return {
      ...(found.length
        ? {
            experiments: found.slice(0, size).map(experimentToApi),
            total_size: found.length,
          }
        : {}),
    };
  };

  const createExperiment = (body: any, now: number) => {
    if (!body?.display_name) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: Experiment must have a non-empty name',
      );
    }
    const namespace = String(body.namespace ?? '');
    if (multiUser && !namespace) {
      throw new RpcError(
        GRPC.INVALID_ARGUMENT,
        'Invalid input error: An experiment cannot have an empty namespace in multi-user mode',
      );
    }
    if (
      experiments.some(
        e => e.namespace === namespace && e.display_name === body.display_name,
      )
    ) {
      throw new RpcError(
        GRPC.ALREADY_EXISTS,
        `Failed to create an experiment: Already exist error: Failed to create a new experiment. The name ${body.display_name} already exists. Please specify a new name`,
      );
    }
    return experimentToApi(
      addExperiment(body.display_name, namespace, body.description ?? '', now),
    );
  };

  const route = (
    method: string,
    path: string,
    q: Record<string, string>,
    body: unknown,
  ): unknown => {
    const now = Date.now();
    if (path === '/apis/v2beta1/experiments') {
      if (method === 'GET') return listExperiments(q);
      if (method === 'POST') return createExperiment(body, now);
    }
    if (path === '/apis/v2beta1/runs') {
      if (method === 'GET') return listRuns(q, now);
      if (method === 'POST') return createRun(body, now);
    }
    let m = /^\/apis\/v2beta1\/runs\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const run = runs.find(r => r.run_id === decodeURIComponent(m![1]));
      if (!run) {
        throw new RpcError(
          GRPC.NOT_FOUND,
          `Failed to get a run: ResourceNotFoundError: Run ${m[1]} not found`,
        );
      }
      return toApi(run, now);
    }
    m = /^\/apis\/v2beta1\/pipelines\/([^/]+)$/.exec(path);
    if (m && method === 'GET') {
      const p = pipelines.get(decodeURIComponent(m[1]));
      if (!p) {
        throw new RpcError(
          GRPC.NOT_FOUND,
          `Failed to get pipeline ${m[1]}: ResourceNotFoundError: Pipeline ${m[1]} not found`,
        );
      }
      return {
        pipeline_id: p.pipeline_id,
        display_name: p.display_name ?? p.pipeline_id,
        description: p.description ?? '',
        created_at: rfc3339(Date.UTC(2026, 0, 5)),
        ...(p.namespace ? { namespace: p.namespace } : {}),
      };
    }
    throw new RpcError(GRPC.NOT_FOUND, 'Not Found');
  };

  const requests: RecordedRequest[] = [];
  let fault: StandInFault;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const status = (e: RpcError) => ({
    error: e.message,
    code: e.code,
    message: e.message,
    details: [],
  });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        send(
          res,
          400,
          status(
            new RpcError(
              GRPC.INVALID_ARGUMENT,
              'invalid character in JSON body',
            ),
          ),
        );
        return;
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
        send(
          res,
          500,
          status(
            new RpcError(
              GRPC.INTERNAL,
              'Internal error: failed to connect to the database: driver: bad connection',
            ),
          ),
        );
        return;
      }
      if (
        options.token &&
        req.headers.authorization !== `Bearer ${options.token}`
      ) {
        send(
          res,
          401,
          status(
            new RpcError(
              GRPC.UNAUTHENTICATED,
              'Unauthenticated: Request header error: there is no user identity header',
            ),
          ),
        );
        return;
      }
      try {
        send(
          res,
          200,
          route(
            req.method ?? 'GET',
            url.pathname,
            Object.fromEntries(url.searchParams),
            body,
          ),
        );
      } catch (e) {
        if (!(e instanceof RpcError)) throw e;
        send(res, HTTP_OF_GRPC[e.code] ?? 500, status(e));
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
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
