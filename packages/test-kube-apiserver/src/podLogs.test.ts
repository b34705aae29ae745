/*
 * pods/log against the real kubectl 1.32 (-c, --tail, --since, --timestamps,
 * -f) and over HTTPS for what kubectl hides: the errors' Status bodies,
 * limitBytes and sinceTime.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { KubeApiServer, LOGS_ANNOTATION, startKubeApiServer } from './index';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = fs.existsSync(KUBECTL);
if (!haveKubectl && process.env.CI) {
  throw new Error(`${KUBECTL} is required in CI for the kubectl tests`);
}
const describeIfKubectl = haveKubectl ? describe : describe.skip;

const NS = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logs' } };
const pod = (name: string, containers: string[], annotations = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'logs', annotations },
  spec: {
    containers: containers.map(c => ({ name: c, image: `example/${c}:1` })),
  },
});

describeIfKubectl('pods/log', () => {
  let server: KubeApiServer;
  let dir: string;
  let kubeconfig: string;
  const children: ChildProcess[] = [];

  const kubectl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
      execFile(
        KUBECTL,
        ['--kubeconfig', kubeconfig, '-n', 'logs', ...args],
        { timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? Number((err as any).code ?? 1) : 0,
            stdout,
            stderr,
          }),
      );
    });

  const get = (p: string) =>
    new Promise<{ status: number; type: string; body: string }>(
      (resolve, reject) => {
        https
          .get(
            `${server.url}${p}`,
            {
              ca: server.caPem,
              headers: { Authorization: `Bearer ${server.token}` },
            },
            res => {
              const chunks: Buffer[] = [];
              res.on('data', c => chunks.push(c));
              res.on('end', () =>
                resolve({
                  status: res.statusCode!,
                  type: String(res.headers['content-type']),
                  body: Buffer.concat(chunks).toString('utf8'),
                }),
              );
            },
          )
          .on('error', reject);
      },
    );
  const logPath = (name: string, q = '') =>
    `/api/v1/namespaces/logs/pods/${name}/log${q}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-logs-test-'));
    server = await startKubeApiServer({
      seed: [
        NS,
        pod('web', ['server', 'sidecar'], {
          [LOGS_ANNOTATION]: JSON.stringify({
            server: ['GET / 200', 'GET /predict 200', 'GET /predict 500'],
            sidecar: ['proxy up'],
          }),
        }),
        pod('single', ['main']),
        pod('done', ['main'], {
          'kube-apiserver.test/phase': 'Succeeded',
          [LOGS_ANNOTATION]: 'epoch 1\nepoch 2',
        }),
      ],
    });
    kubeconfig = await server.writeKubeconfig(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    for (const c of children) c.kill();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl logs -c reads one container; the only container needs no -c', async () => {
    const server1 = await kubectl(['logs', 'web', '-c', 'server']);
    expect(server1.stdout).toBe(
      'GET / 200\nGET /predict 200\nGET /predict 500\n',
    );
    const sidecar = await kubectl(['logs', 'pod/web', '-c', 'sidecar']);
    expect(sidecar.stdout).toBe('proxy up\n');
    const single = await kubectl(['logs', 'single']);
    expect(single.code).toBe(0);
    expect(single.stdout).toBe(
      'starting main (example/main:1) in pod logs/single\nmain: loaded configuration\nmain: ready\n',
    );
  });

  it('kubectl logs --tail, --since and --timestamps', async () => {
    const tail = await kubectl(['logs', 'web', '-c', 'server', '--tail=1']);
    expect(tail.stdout).toBe('GET /predict 500\n');
    const since = await kubectl(['logs', 'web', '-c', 'server', '--since=1h']);
    expect(since.stdout.split('\n')).toHaveLength(4);
    const ts = await kubectl(['logs', 'web', '-c', 'sidecar', '--timestamps']);
    expect(ts.stdout).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z proxy up\n$/,
    );
  });

  it('kubectl logs of an unknown container or pod says what the server said', async () => {
    const bad = await kubectl(['logs', 'web', '-c', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('container nope is not valid for pod web');
    const missing = await kubectl(['logs', 'ghost']);
    expect(missing.stderr).toContain('pods "ghost" not found');
  });

  it('kubectl logs -f streams lines appended while it follows, until stopped', async () => {
    const child = spawn(KUBECTL, [
      '--kubeconfig',
      kubeconfig,
      '-n',
      'logs',
      'logs',
      '-f',
      'single',
      '--tail=0',
    ]);
    children.push(child);
    let out = '';
    child.stdout.on('data', d => (out += d));
    await new Promise(r => setTimeout(r, 1000));
    server.appendPodLog('logs', 'single', 'main', 'late line 1');
    server.appendPodLog('logs', 'single', 'main', 'late line 2');
    const deadline = Date.now() + 10_000;
    while (!out.includes('late line 2') && Date.now() < deadline)
      await new Promise(r => setTimeout(r, 100));
    expect(out).toBe('late line 1\nlate line 2\n');
    expect(child.exitCode).toBeNull(); // still following
    child.kill();
  });

  it('kubectl logs -f of a finished pod prints its log and exits', async () => {
    const run = await kubectl(['logs', '-f', 'done']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('epoch 1\nepoch 2\nmain: exited with code 0\n');
  });

  it('serves text/plain with limitBytes, sinceTime and the real errors', async () => {
    const limited = await get(
      logPath('web', '?container=server&limitBytes=12'),
    );
    expect(limited.status).toBe(200);
    expect(limited.type).toBe('text/plain');
    expect(limited.body).toBe('GET / 200\nGE');

    const future = new Date(Date.now() + 60_000).toISOString();
    const after = await get(
      logPath('web', `?container=server&sinceTime=${future}`),
    );
    expect(after.body).toBe('');

    const choose = await get(logPath('web'));
    expect(choose.status).toBe(400);
    expect(JSON.parse(choose.body)).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      message:
        'a container name must be specified for pod web, choose one of: [server sidecar]',
    });

    const negative = await get(logPath('single', '?tailLines=-1'));
    expect(negative.status).toBe(422);
    expect(JSON.parse(negative.body).message).toBe(
      'PodLogOptions "single" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    const both = await get(
      logPath('single', `?sinceSeconds=5&sinceTime=${future}`),
    );
    expect(JSON.parse(both.body).message).toContain(
      'at most one of `sinceTime` or `sinceSeconds` may be specified',
    );
    const notFound = await get(logPath('ghost'));
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body).message).toBe('pods "ghost" not found');
  });
});
