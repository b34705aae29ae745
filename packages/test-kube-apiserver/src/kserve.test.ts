/*
 * KServe's InferenceService CRD (schema validation kept) and the simulated
 * controller's revisions, traffic split and conditions, through the real
 * kubectl and the server's own handle.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './cli';
import { KubeApiServer, startKubeApiServer } from './index';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = fs.existsSync(KUBECTL);
if (!haveKubectl && process.env.CI) {
  throw new Error(`${KUBECTL} is required in CI for the kubectl tests`);
}
const describeIfKubectl = haveKubectl ? describe : describe.skip;

const API = 'serving.kserve.io/v1beta1';
const isvc = (name: string, predictor: any, annotations?: any) => ({
  apiVersion: API,
  kind: 'InferenceService',
  metadata: {
    name,
    namespace: 'serve',
    ...(annotations ? { annotations } : {}),
  },
  spec: { predictor },
});
const model = (version: number) => ({
  model: {
    modelFormat: { name: 'sklearn' },
    storageUri: `models:/fraud-detector/${version}`,
  },
});

describe('KServe InferenceService on the test API server', () => {
  let server: KubeApiServer;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise(resolve => {
      execFile(
        KUBECTL,
        [
          '--kubeconfig',
          kubeconfig,
          '--cache-dir',
          path.join(dir, 'cache'),
          ...args,
        ],
        { timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? Number((err as any).code ?? 1) : 0,
            stdout,
            stderr,
          }),
      );
    });
  const get = (name: string): any =>
    server.get(API, 'InferenceService', 'serve', name);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kserve-test-'));
    server = await startKubeApiServer({
      seed: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'serve' } },
      ],
    });
    kubeconfig = await server.writeKubeconfig(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describeIfKubectl('with the real kubectl', () => {
    it('applies an InferenceService, lists it with the CRD printer columns and reads its status', async () => {
      const file = path.join(dir, 'isvc.yaml');
      fs.writeFileSync(
        file,
        [
          `apiVersion: ${API}`,
          'kind: InferenceService',
          'metadata: {name: fraud, namespace: serve}',
          'spec:',
          '  predictor:',
          '    minReplicas: 2',
          '    model:',
          '      modelFormat: {name: sklearn}',
          '      storageUri: models:/fraud-detector/3',
          '',
        ].join('\n'),
      );
      const applied = await kubectl(['apply', '-f', file]);
      expect(applied.stderr).toBe('');
      expect(applied.stdout.trim()).toBe(
        'inferenceservice.serving.kserve.io/fraud created',
      );
      const table = await kubectl(['get', 'isvc', '-n', 'serve']);
      expect(table.stderr).toBe('');
      const [head, row] = table.stdout.trim().split('\n');
      expect(head).toMatch(
        /^NAME\s+URL\s+READY\s+PREV\s+LATEST\s+PREVROLLEDOUTREVISION\s+LATESTREADYREVISION\s+AGE$/,
      );
      expect(row).toMatch(
        /^fraud\s+http:\/\/fraud-serve\.example\.com\s+True\s+100\s+<none>\s+fraud-predictor-00001\s+\d+s$/,
      );
      const json = await kubectl([
        'get',
        'inferenceservice',
        'fraud',
        '-n',
        'serve',
        '-o',
        'json',
      ]);
      const o = JSON.parse(json.stdout);
      expect(o.spec.predictor.minReplicas).toBe(2);
      expect(o.status.url).toBe('http://fraud-serve.example.com');
      expect(o.status.address.url).toBe('http://fraud.serve.svc.cluster.local');
      expect(
        o.status.conditions.find((c: any) => c.type === 'Ready').status,
      ).toBe('True');

      const crd = await kubectl([
        'get',
        'crd',
        'inferenceservices.serving.kserve.io',
      ]);
      expect(crd.code).toBe(0);
    });

    it('refuses a schema-invalid InferenceService with the field named, and creates nothing', async () => {
      const file = path.join(dir, 'bad.yaml');
      fs.writeFileSync(
        file,
        [
          `apiVersion: ${API}`,
          'kind: InferenceService',
          'metadata: {name: bad, namespace: serve}',
          'spec:',
          '  predictor:',
          '    minReplicas: two',
          '    model: {storageUri: 3}',
          '',
        ].join('\n'),
      );
      const applied = await kubectl(['apply', '-f', file]);
      expect(applied.code).not.toBe(0);
      expect(applied.stderr).toMatch(/spec\.predictor\.minReplicas/);
      expect(get('bad')).toBeUndefined();

      fs.writeFileSync(
        file,
        [
          `apiVersion: ${API}`,
          'kind: InferenceService',
          'metadata: {name: bad, namespace: serve}',
          'spec: {}',
          '',
        ].join('\n'),
      );
      const missing = await kubectl(['apply', '-f', file]);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/spec\.predictor: Required value/);
      expect(get('bad')).toBeUndefined();
    });
  });

  it('splits traffic by canaryTrafficPercent between the latest and the rolled-out revision, promotes and rolls back as KServe does', async () => {
    await server.apply(isvc('canary', model(1)));
    const predictor = () => get('canary').status.components.predictor;
    expect(predictor()).toMatchObject({
      latestCreatedRevision: 'canary-predictor-00001',
      latestReadyRevision: 'canary-predictor-00001',
      latestRolledoutRevision: 'canary-predictor-00001',
      traffic: [
        {
          revisionName: 'canary-predictor-00001',
          percent: 100,
          latestRevision: true,
        },
      ],
    });

    // version 2 as a 10 % canary: a new revision, 90 % stays on the old one
    await server.apply(
      isvc('canary', { ...model(2), canaryTrafficPercent: 10 }),
    );
    expect(predictor()).toMatchObject({
      latestCreatedRevision: 'canary-predictor-00002',
      latestRolledoutRevision: 'canary-predictor-00001',
      traffic: [
        {
          revisionName: 'canary-predictor-00002',
          percent: 10,
          tag: 'latest',
          latestRevision: true,
        },
        {
          revisionName: 'canary-predictor-00001',
          percent: 90,
          tag: 'prev',
          latestRevision: false,
        },
      ],
    });
    // only the percent changes: no new revision
    await server.apply(
      isvc('canary', { ...model(2), canaryTrafficPercent: 40 }),
    );
    expect(predictor().latestCreatedRevision).toBe('canary-predictor-00002');
    expect(predictor().traffic.map((t: any) => t.percent)).toEqual([40, 60]);
    // roll back: 0 % to the canary
    await server.apply(
      isvc('canary', { ...model(2), canaryTrafficPercent: 0 }),
    );
    expect(
      predictor().traffic.map((t: any) => [t.revisionName, t.percent]),
    ).toEqual([
      ['canary-predictor-00002', 0],
      ['canary-predictor-00001', 100],
    ]);
    // promote: all to the latest, which becomes the rolled-out revision
    await server.apply(isvc('canary', model(2)));
    expect(predictor()).toMatchObject({
      latestRolledoutRevision: 'canary-predictor-00002',
      previousRolledoutRevision: 'canary-predictor-00001',
      traffic: [{ revisionName: 'canary-predictor-00002', percent: 100 }],
    });
  });

  it('keeps the traffic on the last ready revision when the new one fails, Ready False with the reason', async () => {
    await server.apply(isvc('flaky', model(1)));
    await server.apply(
      isvc(
        'flaky',
        { ...model(2), canaryTrafficPercent: 20 },
        {
          'kube-apiserver.test/phase': 'Failed',
          'kube-apiserver.test/message': 'OOMKilled',
        },
      ),
    );
    const o = get('flaky');
    const cond = (t: string) =>
      o.status.conditions.find((c: any) => c.type === t);
    expect(cond('Ready')).toMatchObject({
      status: 'False',
      reason: 'RevisionFailed',
    });
    expect(cond('Ready').message).toContain('OOMKilled');
    expect(cond('PredictorReady').status).toBe('False');
    expect(o.status.components.predictor).toMatchObject({
      latestCreatedRevision: 'flaky-predictor-00002',
      latestReadyRevision: 'flaky-predictor-00001',
      traffic: [{ revisionName: 'flaky-predictor-00001', percent: 100 }],
    });
    expect(o.status.url).toBe('http://flaky-serve.example.com');
  });

  it('serves KServe by default; --no-kserve leaves it out', async () => {
    expect(parseArgs([]).crds).toContain('kserve');
    expect(parseArgs(['--no-kserve']).crds).not.toContain('kserve');
    const plain = await startKubeApiServer({ crds: [] });
    try {
      await expect(plain.create(isvc('x', model(1)))).rejects.toThrow();
    } finally {
      await plain.stop();
    }
  });
});
