/*
 * From "Create" to JupyterLab answering, for a JupyterHub notebook, split
 * into the portal's own time, JupyterHub and the first page (issue 17,
 * "Speed"). See bench/README.md.
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/notebooks.ts [--runs 5]          (BENCH_QUICK=1: 2 runs)
 *
 * Starts a real JupyterHub (local-process spawner, JupyterLab) and the test
 * Kubernetes API server, puts a timing proxy between the ML backend and
 * JupyterHub, and runs the real ML backend (the JupyterHub tests' setup,
 * __testUtils__/jupyterhubBackend.ts) in a child process. Each run does
 * what the New notebook dialog does, through MlApiClient: create, follow
 * the progress stream to its ready event, then opens the returned URL as a
 * browser logged in to JupyterHub would (cookies, OAuth redirects) until
 * JupyterLab's page answers 200; then deletes the notebook.
 */
import { execFileSync, fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mockCredentials } from '@backstage/backend-test-utils';
import { MlApiClient } from '@mlplatform/plugin-ml-common';
import { startKubeApiServer } from '@mlplatform/test-kube-apiserver';
import { JupyterHubHandle, startJupyterHub } from '@mlplatform/test-services';
import {
  ADA,
  jupyterhubNotebookBody,
  startJupyterHubBackend,
} from '../plugins/ml-backend/src/__testUtils__/jupyterhubBackend';
import { clusterBSeed } from '../plugins/ml-backend/src/__testUtils__/kubeSeeds';

const HUB_USER = 'ada';
const PASSWORD = 'bench';
const TARGET_PERCENT = 10;
const now = () => performance.now();

/** What the bench side passes to the backend process. */
interface ServerEnv {
  kube: { url: string; token: string; caData: string };
  jupyterhub: { url: string; apiToken: string; publicUrl: string };
}

function readArgs() {
  const { values } = parseArgs({
    options: {
      runs: {
        type: 'string',
        default: process.env.BENCH_QUICK ? '2' : '5',
      },
      server: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!(Number.isInteger(runs) && runs > 0 && runs <= 50)) {
    throw new Error('--runs must be 1..50');
  }
  return { runs };
}

// ---------------------------------------------------------------- server side

async function serve() {
  const env = JSON.parse(process.env.BENCH_NOTEBOOKS_ENV!) as ServerEnv;
  // The portal's defaults for the cluster (quota cache, timeouts), not the
  // tests' fast-failing ones.
  const backend = await startJupyterHubBackend({
    kube: env.kube,
    jupyterhub: env.jupyterhub,
    kubernetes: {},
  });
  const { port } = backend.server.address() as AddressInfo;
  process.send!({ port });
  process.on('disconnect', async () => {
    await backend.stop();
    process.exit(0);
  });
}

// ---------------------------------------------------------- the timing proxy

/** One backend → JupyterHub request as the proxy saw it. */
interface HubCall {
  method: string;
  path: string;
  status?: number;
  /** Request headers arrived from the backend. */
  start: number;
  /** Last byte of the answer written back to the backend. */
  end?: number;
  /** When the chunk carrying JupyterHub's ready event went to the backend. */
  ready?: number;
}

/**
 * A streaming HTTP proxy in front of JupyterHub that records when each of
 * the backend's calls arrives and when its answer (and, for a progress
 * stream, the ready event) has been passed back. Everything between is
 * JupyterHub's time (plus the proxy's own hop, measured separately).
 */
async function startTimingProxy(upstream: string) {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const calls: HubCall[] = [];
  const server = http.createServer((req, res) => {
    const call: HubCall = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      start: now(),
    };
    calls.push(call);
    const out = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
        agent,
      },
      answer => {
        call.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.on('data', (chunk: Buffer) => {
          res.write(chunk);
          if (call.ready === undefined && /"ready":\s*true/.test(String(chunk)))
            call.ready = now();
        });
        answer.on('end', () => {
          res.end();
          call.end = now();
        });
      },
    );
    out.on('error', e => {
      call.end = now();
      res.writeHead(502).end(String(e));
    });
    req.pipe(out);
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>(resolve => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Median of what the proxy adds to one small JupyterHub call, in ms. */
async function proxyOverheadMs(hubUrl: string, proxyUrl: string) {
  const median = async (base: string) => {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = now();
      await (await fetch(`${base}/hub/api/`)).text();
      times.push(now() - t);
    }
    return percentile(times, 50);
  };
  await median(proxyUrl);
  return Math.max(0, (await median(proxyUrl)) - (await median(hubUrl)));
}

// ------------------------------------------------------ the browser's side

/** Cookies by path, as a browser keeps them for one origin. */
class CookieJar {
  private readonly cookies = new Map<string, { path: string; value: string }>();

  take(setCookie: string[] | undefined) {
    for (const line of setCookie ?? []) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttr = attrs
        .map(a => a.trim())
        .find(a => a.toLowerCase().startsWith('path='));
      const path = pathAttr ? pathAttr.slice(5) : '/';
      const key = `${path};${name}`;
      if (value === '' || value === '""') this.cookies.delete(key);
      else this.cookies.set(key, { path, value: `${name}=${value}` });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(c => url.pathname.startsWith(c.path.replace(/\/$/, '')))
      .map(c => c.value)
      .join('; ');
  }
}

/**
 * One browser navigation: node:http rather than fetch, which always sends
 * `Sec-Fetch-Mode: cors` (JupyterHub accepts cookie auth on a GET without
 * an _xsrf token only for a navigation).
 */
function navigate(
  url: URL,
  jar: CookieJar,
  form?: URLSearchParams,
): Promise<{ status: number; location?: string; text: string }> {
  const body = form ? Buffer.from(form.toString()) : undefined;
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: body ? 'POST' : 'GET',
        headers: {
          Accept: 'text/html',
          'Sec-Fetch-Mode': 'navigate',
          'Sec-Fetch-Dest': 'document',
          Cookie: jar.header(url),
          ...(body
            ? {
                'Content-Type': 'application/x-www-form-urlencoded',
                'Content-Length': body.length,
              }
            : {}),
        },
      },
      res => {
        jar.take(res.headers['set-cookie']);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A navigation as a browser makes it: the jar's cookies, redirects followed. */
async function browse(jar: CookieJar, start: string, form?: URLSearchParams) {
  let url = new URL(start);
  let redirects = 0;
  let res = await navigate(url, jar, form);
  while (res.status >= 300 && res.status < 400 && res.location) {
    url = new URL(res.location, url);
    if (++redirects > 10) throw new Error(`redirect loop at ${url}`);
    res = await navigate(url, jar);
  }
  return { status: res.status, url, redirects, text: res.text };
}

/** Logs in to JupyterHub's own page, once, as the user did before. */
async function logInToHub(hubUrl: string) {
  const jar = new CookieJar();
  const form = await browse(jar, `${hubUrl}/hub/login`);
  const xsrf = /name="_xsrf" value="([^"]+)"/.exec(form.text)?.[1];
  const body = new URLSearchParams({
    username: HUB_USER,
    password: PASSWORD,
    ...(xsrf ? { _xsrf: xsrf } : {}),
  });
  // next: the hub's home; its default would spawn the user's default server.
  const done = await browse(jar, `${hubUrl}/hub/login?next=/hub/home`, body);
  if (done.status !== 200 || done.url.pathname !== '/hub/home') {
    throw new Error(
      `JupyterHub login as ${HUB_USER} → ${done.status} at ${done.url}`,
    );
  }
  return jar;
}

// ------------------------------------------------------------------- a run

interface Run {
  name: string;
  /** Create → JupyterLab's page, in ms, the user's wait. */
  total: number;
  portal: number;
  jupyterhub: number;
  firstPage: number;
  /** The client opening the progress stream after the 201 (ms). */
  client: number;
  /** POST /notebooks answered (ms): the wait before the progress bar shows. */
  createAnswer: number;
  /** Of portal: the POST before the spawn request, after it, the stream. */
  portalBeforeSpawn: number;
  portalAfterSpawn: number;
  portalStream: number;
  /** JupyterHub API calls during the POST (user read/create, spawn request). */
  hubApi: number;
  hubCalls: number;
  /** Spawn request at the hub → ready event back at the backend (ms). */
  hubSpawn: number;
  /** JupyterHub's own "took N seconds to start" for the server (ms). */
  hubLogSpawn?: number;
  progressEvents: number;
  pageRedirects: number;
  pageTries: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function oneRun(options: {
  api: MlApiClient;
  token: string;
  jar: CookieJar;
  proxy: Awaited<ReturnType<typeof startTimingProxy>>;
  hub: JupyterHubHandle;
  name: string;
}): Promise<Run> {
  const { api, token, jar, proxy, hub, name } = options;
  // What the My notebooks page and the dialog load before Create.
  await api.listNotebooks({ token });
  await api.getQuotas({}, { token });
  const firstCall = proxy.calls.length;

  const c0 = now();
  const created = await api.createNotebook(jupyterhubNotebookBody(name), {
    token,
  });
  const c1 = now();
  if (created.backend !== 'jupyterhub' || !created.url) {
    throw new Error(`not a JupyterHub notebook: ${JSON.stringify(created)}`);
  }
  const ref = { cluster: created.cluster, namespace: created.namespace, name };

  const c2 = now();
  let c3: number | undefined;
  let url: string | undefined;
  let progressEvents = 0;
  for await (const event of api.followNotebookProgress(ref, { token })) {
    progressEvents++;
    if (event.failed) throw new Error(`spawn failed: ${event.message}`);
    if (event.ready) {
      c3 = now();
      url = event.url ?? created.url;
    }
  }
  if (c3 === undefined || !url) throw new Error('no ready event');

  // The Open button: JupyterLab, through JupyterHub's proxy and login.
  let pageTries = 0;
  let page: Awaited<ReturnType<typeof browse>>;
  for (;;) {
    pageTries++;
    page = await browse(jar, url);
    if (page.status === 200 && /JupyterLab/.test(page.text)) break;
    if (now() - c3 > 60_000) {
      throw new Error(`JupyterLab at ${url} answers ${page.status}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
  const c4 = now();

  const calls = proxy.calls.slice(firstCall);
  const inPost = calls.filter(c => c.start >= c0 && c.start <= c1);
  const spawnPath = `/hub/api/users/${HUB_USER}/servers/${name}`;
  const spawn = inPost.find(c => c.method === 'POST' && c.path === spawnPath);
  const stream = calls.find(
    c => c.start >= c2 && c.path.startsWith(`${spawnPath}/progress`),
  );
  if (!spawn?.end || !stream?.ready) {
    throw new Error(`the proxy did not see the spawn and its ready event`);
  }
  const hubApi = sum(inPost.map(c => (c.end ?? c1) - c.start));
  const hubBeforeSpawn = sum(
    inPost.filter(c => c.start < spawn.start).map(c => c.end! - c.start),
  );
  const portalBeforeSpawn = spawn.start - c0 - hubBeforeSpawn;
  const portalPost = c1 - c0 - hubApi;
  const portalStream = stream.start - c2 + (c3 - stream.ready);
  const hubLog = new RegExp(
    `${HUB_USER}:${name} took ([0-9.]+) seconds to start`,
  ).exec(fs.readFileSync(hub.logFile, 'utf8'));

  await api.deleteNotebook(ref, { token });
  // The next run starts when JupyterLab has stopped and the hub forgot it.
  for (let i = 0; i < 300; i++) {
    const user = await hub.api<{ servers: Record<string, object> }>(
      'GET',
      `/users/${HUB_USER}?include_stopped_servers=1`,
    );
    if (!user.servers[name]) break;
    await new Promise(r => setTimeout(r, 100));
  }

  return {
    name,
    total: c4 - c0,
    portal: portalPost + portalStream,
    jupyterhub: hubApi + (stream.ready - stream.start),
    firstPage: c4 - c3,
    client: c2 - c1,
    createAnswer: c1 - c0,
    portalBeforeSpawn,
    portalAfterSpawn: portalPost - portalBeforeSpawn,
    portalStream,
    hubApi,
    hubCalls: inPost.length,
    hubSpawn: stream.ready - spawn.start,
    ...(hubLog ? { hubLogSpawn: Number(hubLog[1]) * 1000 } : {}),
    progressEvents,
    pageRedirects: page.redirects,
    pageTries,
  };
}

// ------------------------------------------------------------------ reports

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

const ms = (x: number | undefined) =>
  x === undefined ? '' : Math.round(x * 10) / 10;

function uptime() {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    const load = os.loadavg().map(x => x.toFixed(2));
    return `load average: ${load.join(', ')}`;
  }
}

async function main() {
  const args = readArgs();
  const loadBefore = uptime();
  console.log(`before: ${loadBefore}`);

  const [hub, kube] = await Promise.all([
    startJupyterHub({ password: PASSWORD }),
    startKubeApiServer({ seed: clusterBSeed(), controllers: true }),
  ]);
  const proxy = await startTimingProxy(hub.url);
  const env: ServerEnv = {
    kube: { url: kube.url, token: kube.token, caData: kube.caData },
    jupyterhub: {
      url: proxy.url,
      apiToken: hub.serviceToken,
      // The Open link goes to JupyterHub itself, not through the bench's proxy.
      publicUrl: hub.url,
    },
  };
  const child = fork(__filename, ['--server'], {
    env: { ...process.env, BENCH_NOTEBOOKS_ENV: JSON.stringify(env) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const token = mockCredentials.user.token(ADA);
  let api: MlApiClient | undefined;
  const created: string[] = [];
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.on('message', (m: any) => {
        if (typeof m?.port === 'number') resolve(m.port);
      });
      child.once('exit', code =>
        reject(new Error(`backend exited with ${code}`)),
      );
    });
    const baseUrl = `http://127.0.0.1:${port}/api/ml`;
    api = new MlApiClient({
      discoveryApi: { getBaseUrl: async () => baseUrl },
    });
    const jar = await logInToHub(hub.url);
    const overhead = await proxyOverheadMs(hub.url, proxy.url);

    const runs: Run[] = [];
    for (let i = 1; i <= args.runs; i++) {
      const name = `bench-${i}`;
      created.push(name);
      const run = await oneRun({ api, token, jar, proxy, hub, name });
      runs.push(run);
      console.log(
        `run ${i}: total ${ms(run.total)} ms = portal ${ms(
          run.portal,
        )} + JupyterHub ${ms(run.jupyterhub)} + first page ${ms(
          run.firstPage,
        )} + client ${ms(run.client)}`,
      );
    }

    const keys = [
      'total',
      'portal',
      'jupyterhub',
      'firstPage',
      'client',
      'createAnswer',
      'portalBeforeSpawn',
      'portalAfterSpawn',
      'portalStream',
      'hubApi',
      'hubSpawn',
      'hubLogSpawn',
    ] as const;
    const median = Object.fromEntries(
      keys.map(k => {
        const values = runs
          .map(r => r[k])
          .filter((v): v is number => v !== undefined);
        return [k, values.length ? percentile(values, 50) : undefined];
      }),
    ) as Record<(typeof keys)[number], number>;
    const shares = runs.map(r => (100 * r.portal) / r.total);
    const share = percentile(shares, 50);
    console.table(
      [...runs, { name: 'median', ...median }].map(r => ({
        run: r.name,
        'total ms': ms(r.total),
        'portal ms': ms(r.portal),
        'JupyterHub ms': ms(r.jupyterhub),
        'first page ms': ms(r.firstPage),
        'client ms': ms(r.client),
        'portal %': ms((100 * r.portal) / r.total),
        'hub spawn ms': ms(r.hubSpawn),
        'hub log ms': ms(r.hubLogSpawn),
      })),
    );
    console.table(
      [...runs, { name: 'median', ...median }].map(r => ({
        run: r.name,
        'POST answered ms': ms(r.createAnswer),
        'portal before spawn ms': ms(r.portalBeforeSpawn),
        'portal after spawn ms': ms(r.portalAfterSpawn),
        'portal stream ms': ms(r.portalStream),
        'hub API ms (POST)': ms(r.hubApi),
        'hub calls': 'hubCalls' in r ? r.hubCalls : '',
        redirects: 'pageRedirects' in r ? r.pageRedirects : '',
      })),
    );
    const loadAfter = uptime();
    console.log(
      `portal share (median of runs): ${share.toFixed(
        1,
      )} % — target <= ${TARGET_PERCENT} %: ${
        share <= TARGET_PERCENT ? 'met' : 'MISSED'
      }`,
    );
    console.log(
      `timing proxy adds ${ms(
        overhead,
      )} ms per JupyterHub call (counted as JupyterHub)`,
    );
    console.log(`after: ${loadAfter}`);
    console.log(
      JSON.stringify({
        bench: 'notebooks',
        runs: runs.length,
        median,
        portalSharePercent: Math.round(share * 10) / 10,
        targetPercent: TARGET_PERCENT,
        proxyOverheadMs: overhead,
        load: { before: loadBefore, after: loadAfter },
        each: runs,
      }),
    );
  } catch (e) {
    // JupyterHub's side of a failure; its log goes with its temp dir.
    const log = fs.readFileSync(hub.logFile, 'utf8').split('\n');
    console.error(log.slice(-40).join('\n'));
    throw e;
  } finally {
    // Whatever a failed run left: delete through the portal, then stop all.
    if (api) {
      const left = await api.listNotebooks({ token }).catch(() => undefined);
      for (const nb of left?.items ?? []) {
        if (!created.includes(nb.name)) continue;
        await api.deleteNotebook(nb, { token }).catch(e => console.error(e));
      }
    }
    child.disconnect();
    await new Promise(resolve => {
      child.once('exit', resolve);
      setTimeout(() => child.kill(), 10_000).unref();
    });
    await proxy.stop();
    await Promise.all([hub.stop(), kube.stop()]);
  }
}

const isServer = process.argv.includes('--server');
(isServer ? serve() : main()).then(
  () => {
    if (!isServer) process.exit(0);
  },
  error => {
    console.error(error);
    process.exit(1);
  },
);
