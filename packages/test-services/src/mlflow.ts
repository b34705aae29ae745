import fs from 'node:fs';
import path from 'node:path';
import { BinarySpec, requireBinary } from './binaries';
import { MlflowRestClient, mlflowRestClient } from './mlflowClient';
import { getFreePort } from './ports';
import { httpStatusIs, launchServer, makeTempDir } from './process';

// The venv scripts/bootstrap.sh creates, found from the working directory up
// (tests and the demo run inside the repo).
function bootstrapVenvMlflow(): string[] {
  const found: string[] = [];
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    found.push(path.join(dir, '.toolchain', 'py', 'bin', 'mlflow'));
    if (path.dirname(dir) === dir) return found;
  }
}

/**
 * The `mlflow` CLI from the venv that scripts/bootstrap.sh installs
 * (`$ML_PY_BIN`, else `.toolchain/py` of the working directory or a parent),
 * then PATH. Not from Debian: MLflow is pinned in requirements-services.txt.
 *
 * @public
 */
export const mlflowBinary: BinarySpec = {
  name: 'mlflow',
  aptPackage: 'mlflow',
  candidates: [
    ...(process.env.ML_PY_BIN
      ? [path.join(process.env.ML_PY_BIN, 'mlflow')]
      : []),
    ...bootstrapVenvMlflow(),
    'mlflow',
  ],
  installHint:
    '. scripts/bootstrap.sh (pip installs requirements-services.txt into .toolchain/py)',
};

/**
 * Environment that keeps MLflow from contacting anything but 127.0.0.1:
 * no usage telemetry (MLflow 3 sends it by default), no background job
 * runner (GenAI evaluation jobs; one Python process less per server).
 *
 * @public
 */
export const mlflowQuietEnv: Record<string, string> = {
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
};

/**
 * Options for {@link startMlflow}.
 *
 * @public
 */
export interface MlflowOptions {
  /**
   * Run MLflow's basic-auth app with this admin user: requests without these
   * credentials get 401, as on a team's MLflow behind its own login.
   */
  basicAuth?: { username: string; password: string };
  /** Startup timeout in ms. Default 90000 (the first start compiles Python). */
  startTimeoutMs?: number;
  /**
   * Let MLflow's webhooks deliver to http:// URLs on 127.0.0.1 (see
   * {@link mlflowLocalWebhooksEnv}), and re-read the webhook list on every
   * event, so a webhook created during a test gets the next event.
   */
  localWebhooks?: boolean;
}

/**
 * Environment that lets MLflow (≥ 3.3) deliver webhooks to a portal on
 * this machine: by default it only posts to https URLs that resolve to
 * public addresses (`MLFLOW_WEBHOOK_ALLOWED_SCHEMES`, SSRF protection in
 * `mlflow/webhooks/ssrf.py` and `mlflow/utils/validation.py`), so a webhook
 * to http://127.0.0.1 is refused when created and when delivered. Local
 * development and tests only.
 *
 * @public
 */
export const mlflowLocalWebhooksEnv: Record<string, string> = {
  MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS: 'true',
  MLFLOW_WEBHOOK_ALLOWED_SCHEMES: 'http,https',
};

/**
 * A running MLflow tracking server with its model registry.
 *
 * @public
 */
export interface MlflowHandle extends MlflowRestClient {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Temp dir holding `mlflow.db`, `artifacts/` and the log. */
  dir: string;
  logFile: string;
  /** `Basic …` header value for `basicAuth`, else undefined. */
  authorization?: string;
  /** Stops MLflow and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts a real MLflow 3 server (`mlflow server`) on 127.0.0.1 with a free
 * port, a SQLite backend store and local artifacts in a temp dir, and waits
 * until `/health` answers. Throws a {@link MissingBinaryError} naming the
 * bootstrap when the venv is missing.
 *
 * @public
 */
export async function startMlflow(
  options: MlflowOptions = {},
): Promise<MlflowHandle> {
  const binary = requireBinary(mlflowBinary);
  const dir = makeTempDir('mlflow');
  const logFile = path.join(dir, 'mlflow.log');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...mlflowQuietEnv,
    // The access log is read by tests counting requests: no stdio buffering.
    PYTHONUNBUFFERED: '1',
    ...(options.localWebhooks
      ? {
          ...mlflowLocalWebhooksEnv,
          // MLflow caches each event's webhooks for 60 s by default.
          MLFLOW_WEBHOOK_CACHE_TTL: '0',
        }
      : {}),
  };
  const args: string[] = [];
  let authorization: string | undefined;
  if (options.basicAuth) {
    const { username, password } = options.basicAuth;
    const ini = path.join(dir, 'basic_auth.ini');
    fs.writeFileSync(
      ini,
      [
        '[mlflow]',
        'default_permission = READ',
        `database_uri = sqlite:///${path.join(dir, 'auth.db')}`,
        `admin_username = ${username}`,
        `admin_password = ${password}`,
        'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
        // Otherwise every request pays a PBKDF2 password check (≈100 ms).
        'auth_cache_ttl_seconds = 600',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    env.MLFLOW_AUTH_CONFIG_PATH = ini;
    env.MLFLOW_FLASK_SERVER_SECRET_KEY = `test-${process.pid}-${Date.now()}`;
    args.push('--app-name', 'basic-auth');
    authorization = `Basic ${Buffer.from(`${username}:${password}`).toString(
      'base64',
    )}`;
  }

  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await launchServer({
    name: 'mlflow',
    command: binary,
    args: [
      'server',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
      '--backend-store-uri',
      `sqlite:///${path.join(dir, 'mlflow.db')}`,
      '--artifacts-destination',
      path.join(dir, 'artifacts'),
      ...args,
    ],
    cwd: dir,
    env,
    logFile,
    tempDir: dir,
    // `mlflow server` forwards SIGTERM to its uvicorn child; SIGKILL would
    // leave that child running.
    exitSignal: 'SIGTERM',
    ready: httpStatusIs(`${url}/health`),
    timeoutMs: options.startTimeoutMs ?? 90_000,
  });

  return {
    ...mlflowRestClient(url, authorization),
    url,
    port,
    dir,
    logFile,
    authorization,
    stop: server.stop,
  };
}
