/*
 * The real backend for bench/health.ts --real-backend: Backstage's
 * createBackend with the auth backend (guest provider), the catalog with the
 * ML kinds (examples/ml), the permission backend with the portal's policy
 * and the ML backend, on PostgreSQL; one process per replica. Plus a tiny
 * round-robin HTTP proxy in its own process, as a load balancer in front of
 * the replicas.
 *
 * The parent forks this file with `--replica` (config in BENCH_REPLICA_CONFIG)
 * or `--proxy` (upstreams sent over IPC, so the same proxy can front one
 * replica, then two).
 */
import { fork, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createBackend } from '@backstage/backend-defaults';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { permissionModuleMlPolicy } from '../packages/backend/src/modules/mlPermissionPolicy';

const ROOT = path.resolve(__dirname, '..');

export interface ReplicaOptions {
  port: number;
  databasePrefix: string;
  prometheus: string;
  alertmanager: string;
  /** examples/ml copied to a temporary directory. */
  locations: string[];
  /** Who the guest provider signs in (a User of examples/ml/org.yaml). */
  user: string;
}

export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres' };

function replicaConfig(o: ReplicaOptions) {
  const baseUrl = `http://127.0.0.1:${o.port}`;
  return {
    backend: {
      baseUrl,
      listen: { host: '127.0.0.1', port: o.port },
      database: { client: 'pg', connection: PG, prefix: o.databasePrefix },
    },
    app: { baseUrl },
    auth: {
      environment: 'development',
      providers: {
        guest: {
          userEntityRef: o.user,
          dangerouslyAllowOutsideDevelopment: true,
        },
      },
    },
    permission: { enabled: true },
    catalog: {
      rules: [
        {
          allow: [
            ...['Component', 'API', 'System', 'Resource', 'Domain'],
            ...['Location', 'User', 'Group'],
            ...['Model', 'Dataset', 'Pipeline', 'GpuQuota'],
          ],
        },
      ],
      locations: o.locations.map(target => ({ type: 'file', target })),
    },
    ml: {
      prometheus: { url: o.prometheus },
      alertmanager: { url: o.alertmanager },
    },
  };
}

/** Child side: one replica, until the parent disconnects. */
async function serveReplica() {
  const options: ReplicaOptions = JSON.parse(process.env.BENCH_REPLICA_CONFIG!);
  const config = new ConfigReader(replicaConfig(options));
  const backend = createBackend();
  backend.add(
    createServiceFactory({
      service: coreServices.rootConfig,
      deps: {},
      factory: () => config,
    }),
  );
  backend.add(import('@backstage/plugin-auth-backend'));
  backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
  backend.add(import('@backstage/plugin-catalog-backend'));
  backend.add(import('@mlplatform/plugin-catalog-backend-module-ml'));
  backend.add(import('@backstage/plugin-permission-backend'));
  backend.add(permissionModuleMlPolicy);
  backend.add(import('@mlplatform/plugin-ml-backend'));
  await backend.start();
  process.send!({ started: options.port });
  process.on('disconnect', async () => {
    await backend.stop().catch(() => {});
    process.exit(0);
  });
}

/** Child side: round-robin proxy over keep-alive connections. */
function serveProxy() {
  let upstreams: number[] = [];
  let next = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const port = upstreams[next++ % upstreams.length];
    const upstream = http.request(
      {
        host: '127.0.0.1',
        port,
        path: req.url,
        method: req.method,
        headers: req.headers,
        agent,
      },
      up => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', error => {
      res.writeHead(502).end(String(error));
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as net.AddressInfo).port });
  });
  process.on('message', (m: any) => {
    if (Array.isArray(m?.upstreams)) {
      upstreams = m.upstreams;
      process.send!({ upstreamsSet: upstreams.length });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------ parent side

function waitForMessage<T>(
  child: ChildProcess,
  pick: (m: any) => T | undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      const value = pick(m);
      if (value === undefined) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(value);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`child exited with ${code} before it was ready`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function forkSelf(
  mode: string,
  env: Record<string, string> = {},
  execArgv: string[] = [],
) {
  return fork(__filename, [mode], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...execArgv],
  });
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(resolve => server.close(resolve));
  return port;
}

/** examples/ml in a temporary directory, as catalog file locations. */
export function exampleLocations(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-health-'));
  const source = path.join(ROOT, 'examples/ml');
  return fs
    .readdirSync(source)
    .filter(f => f.endsWith('.yaml'))
    .map(f => {
      const target = path.join(dir, f);
      fs.copyFileSync(path.join(source, f), target);
      return target;
    });
}

export interface Replica {
  port: number;
  child: ChildProcess;
}

/** Starts one replica; with `cpuProfDir`, it writes a V8 CPU profile when it stops. */
export async function startReplica(
  options: ReplicaOptions,
  cpuProfDir?: string,
): Promise<Replica> {
  const child = forkSelf(
    '--replica',
    {
      BENCH_REPLICA_CONFIG: JSON.stringify(options),
      // Warnings and errors only: the bench's output is the table.
      LOG_LEVEL: 'warn',
    },
    cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
  );
  await waitForMessage(child, m => m?.started);
  return { port: options.port, child };
}

export async function stopChild(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.disconnect();
  await new Promise(resolve => {
    child.once('exit', resolve);
    setTimeout(() => child.kill(), 10_000).unref();
  });
}

export interface Proxy {
  port: number;
  child: ChildProcess;
  route(ports: number[]): Promise<void>;
}

export async function startProxy(): Promise<Proxy> {
  const child = forkSelf('--proxy');
  const port = await waitForMessage(child, m => m?.port as number | undefined);
  return {
    port,
    child,
    async route(ports) {
      const set = waitForMessage(child, m => m?.upstreamsSet);
      child.send({ upstreams: ports });
      await set;
    },
  };
}

/** A user token, the way the frontend gets one: the guest provider's refresh. */
export async function guestToken(port: number): Promise<string> {
  const res = await fetch(
    `http://127.0.0.1:${port}/api/auth/guest/refresh?env=development`,
    { headers: { 'x-requested-with': 'XMLHttpRequest' } },
  );
  if (!res.ok) {
    throw new Error(`guest sign-in: ${res.status} ${await res.text()}`);
  }
  const body = await res.json();
  return body.backstageIdentity.token;
}

/** Drops every database the replicas created under `prefix`. */
export async function dropDatabases(prefix: string): Promise<string[]> {
  const client = new Client({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
    }
    return rows.map(r => r.datname);
  } finally {
    await client.end();
  }
}

if (process.argv.includes('--replica')) {
  serveReplica().catch(error => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(1);
  });
} else if (process.argv.includes('--proxy')) {
  serveProxy();
}
