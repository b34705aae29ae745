import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BinarySpec, requireBinary } from './binaries';
import { renderJupyterHubConfig } from './jupyterhubConfig';
import { getFreePort } from './ports';
import { httpStatusIs, launchServer, makeTempDir } from './process';

// The venv scripts/bootstrap.sh creates, found from the working directory up
// (tests and the demo run inside the repo), like mlflowBinary.
function venvCandidates(file: string): string[] {
  const found: string[] = process.env.ML_PY_BIN
    ? [path.join(process.env.ML_PY_BIN, file)]
    : [];
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    found.push(path.join(dir, '.toolchain', 'py', 'bin', file));
    if (path.dirname(dir) === dir) return found;
  }
}

const venvHint =
  '. scripts/bootstrap.sh (pip installs requirements-services.txt into .toolchain/py)';

/**
 * The `jupyterhub` CLI from the venv that scripts/bootstrap.sh installs
 * (pinned in requirements-services.txt with JupyterLab).
 *
 * @public
 */
export const jupyterhubBinary: BinarySpec = {
  name: 'jupyterhub',
  aptPackage: 'jupyterhub',
  candidates: [...venvCandidates('jupyterhub'), 'jupyterhub'],
  installHint: venvHint,
};

// configurable-http-proxy is an npm dependency of this package; its bin
// is a node script, run with the node that runs the tests.
function proxyCommand(): string[] {
  const pkg = require.resolve('configurable-http-proxy/package.json');
  return [
    process.execPath,
    path.join(path.dirname(pkg), 'bin', 'configurable-http-proxy'),
  ];
}

/**
 * Options for {@link startJupyterHub}.
 *
 * @public
 */
export interface JupyterHubOptions {
  /** Public port; a free one unless given (the demo uses a fixed one). */
  port?: number;
  /** Name of the API-only service the portal uses. Default `ml-portal`. */
  serviceName?: string;
  /** Its token; random unless given (the demo writes it into its config). */
  serviceToken?: string;
  /**
   * Lets a browser log in as any user with this password (JupyterHub's
   * DummyAuthenticator); without it, any password is accepted.
   */
  password?: string;
  /**
   * Delay of each spawn progress step in ms, to make progress visible
   * (an image pull on a cluster). Default 0.
   */
  progressStepDelayMs?: number;
  /** Startup timeout in ms. Default 60000. */
  startTimeoutMs?: number;
  /** Where to keep state; a temp dir removed on stop unless given. */
  dir?: string;
}

/**
 * A running JupyterHub with its proxy.
 *
 * @public
 */
export interface JupyterHubHandle {
  /** Public URL (the proxy), e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Base of the REST API, `${url}/hub/api`. */
  apiUrl: string;
  serviceName: string;
  /** Token of the API-only service (scopes: users, servers, access). */
  serviceToken: string;
  dir: string;
  logFile: string;
  /**
   * The user_options (the portal's profile) of the last spawn of
   * `user`'s `server`, as the spawner received them; undefined if never
   * spawned.
   */
  spawnedProfile(
    user: string,
    server: string,
  ): Record<string, unknown> | undefined;
  /** Calls the REST API with the service token; throws on non-2xx. */
  api<T = unknown>(method: string, apiPath: string, body?: unknown): Promise<T>;
  /** Stops JupyterHub, its proxy and every server, and removes the dir. */
  stop(): Promise<void>;
}

/**
 * Starts a real JupyterHub (from the venv) on 127.0.0.1 with
 * configurable-http-proxy (npm), named servers, a local-process spawner
 * running JupyterLab as the same OS user, DummyAuthenticator and an API-only
 * service token. A spawn request's JSON body (user_options) is the portal's
 * profile: the spawner records it and turns it into progress messages.
 *
 * @public
 */
export async function startJupyterHub(
  options: JupyterHubOptions = {},
): Promise<JupyterHubHandle> {
  const binary = requireBinary(jupyterhubBinary);
  const dir = options.dir ?? makeTempDir('jupyterhub');
  fs.mkdirSync(dir, { recursive: true });
  const logFile = path.join(dir, 'jupyterhub.log');
  const [port, hubPort, proxyApiPort] = await Promise.all([
    options.port ?? getFreePort(),
    getFreePort(),
    getFreePort(),
  ]);
  const url = `http://127.0.0.1:${port}`;
  const serviceName = options.serviceName ?? 'ml-portal';
  const serviceToken =
    options.serviceToken ?? crypto.randomBytes(24).toString('hex');
  const spawnRecordDir = path.join(dir, 'spawns');
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  const configFile = path.join(dir, 'jupyterhub_config.py');
  fs.writeFileSync(
    configFile,
    renderJupyterHubConfig({
      bindUrl: url,
      hubBindUrl: `http://127.0.0.1:${hubPort}`,
      proxyApiUrl: `http://127.0.0.1:${proxyApiPort}`,
      proxyAuthToken: crypto.randomBytes(24).toString('hex'),
      proxyCommand: proxyCommand(),
      dbUrl: `sqlite:///${path.join(dir, 'jupyterhub.sqlite')}`,
      cookieSecretFile: path.join(dir, 'jupyterhub_cookie_secret'),
      singleuserCommand: path.join(
        path.dirname(binary),
        'jupyterhub-singleuser',
      ),
      homeTemplate: path.join(dir, 'home', '{username}'),
      spawnRecordDir,
      serviceName,
      serviceToken,
      password: options.password,
      startTimeoutSeconds: Math.ceil(startTimeoutMs / 1000),
      progressStepDelayMs: options.progressStepDelayMs ?? 0,
    }),
    { mode: 0o600 },
  );

  const apiUrl = `${url}/hub/api`;
  const server = await launchServer({
    name: 'jupyterhub',
    command: binary,
    args: ['-f', configFile],
    cwd: dir,
    env: {
      ...process.env,
      // The spawner finds node (proxy) and the venv (singleuser) on PATH.
      PATH: [
        path.dirname(binary),
        path.dirname(process.execPath),
        process.env.PATH ?? '',
      ].join(path.delimiter),
      PYTHONUNBUFFERED: '1',
      JUPYTER_PLATFORM_DIRS: '1',
    },
    logFile,
    tempDir: dir,
    // SIGTERM lets the hub stop the proxy and the JupyterLab processes;
    // SIGKILL would leave them running.
    exitSignal: 'SIGTERM',
    ready: httpStatusIs(`${apiUrl}/`),
    timeoutMs: startTimeoutMs,
  });

  const api = async <T>(method: string, apiPath: string, body?: unknown) => {
    const res = await fetch(`${apiUrl}${apiPath}`, {
      method,
      headers: {
        Authorization: `token ${serviceToken}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `JupyterHub ${method} ${apiPath} → ${res.status} ${text}`,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };

  return {
    url,
    port,
    apiUrl,
    serviceName,
    serviceToken,
    dir,
    logFile,
    spawnedProfile(user, serverName) {
      try {
        return JSON.parse(
          fs.readFileSync(
            path.join(spawnRecordDir, `${user}--${serverName}.json`),
            'utf8',
          ),
        );
      } catch {
        return undefined;
      }
    },
    api,
    stop: server.stop,
  };
}
