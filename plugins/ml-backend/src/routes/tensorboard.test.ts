import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { TENSORBOARD_LOGDIR_TAG } from '@mlplatform/plugin-ml-common';
import {
  describeIfBinary,
  makeTempDir,
  MlflowHandle,
  mlflowBinary,
  removeTempDir,
  startMlflow,
  startTensorBoard,
  tensorboardBinary,
  TensorBoardHandle,
  writeTensorBoardEvents,
} from '@mlplatform/test-services';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { ExperimentsService } from '../services/experiments/ExperimentsService';
import {
  experimentEntities,
  mlflowAdmin,
  registriesFor,
  SeededExperiments,
  seedExperiments,
} from '../services/experiments/__testUtils__/experimentFixture';
import { TensorBoardService } from '../services/tensorboard/TensorBoardService';
import { TensorBoardConfig } from '../services/tensorboard/tensorboardConfig';
import { createTensorBoardRouter } from './tensorboard';

jest.setTimeout(60_000);

const auth = { Authorization: mockCredentials.user.header('user:default/ada') };
const trainLoss = [1.2, 0.8, 0.55, 0.41, 0.33];
const valAuc = [0.7, 0.78, 0.84, 0.87, 0.9];

// End to end: event files written by the ML project template's own writer
// (Debian's python3, standard library only), served by a real TensorBoard,
// named by a real MLflow run's tag, read through the route.
describeIfBinary([mlflowBinary, tensorboardBinary])(
  "a run's TensorBoard (real MLflow, real TensorBoard)",
  () => {
    let mlflow: MlflowHandle;
    let tensorboard: TensorBoardHandle;
    let seeded: SeededExperiments;
    let logRoot: string;
    let runDir: string;
    let experiments: ExperimentsService;
    const services: TensorBoardService[] = [];

    const appWith = async (config?: Partial<TensorBoardConfig>) => {
      const service = TensorBoardService.create({
        config: config && {
          url: tensorboard.url,
          publicUrl: 'https://tensorboard.example.com',
          logRoots: [logRoot],
          requestTimeoutMs: 5000,
          ...config,
        },
        experiments,
        logger: mockServices.logger.mock(),
      });
      services.push(service);
      const router = await createTensorBoardRouter({
        httpAuth: mockServices.httpAuth(),
        tensorboard: service,
        userInfo: mockServices.userInfo(),
      });
      return express().use(router).use(mockErrorHandler());
    };
    let app: express.Express;

    const tag = (runId: string, value: string) =>
      mlflow.post('runs/set-tag', {
        run_id: runId,
        key: TENSORBOARD_LOGDIR_TAG,
        value,
      });

    beforeAll(async () => {
      logRoot = makeTempDir('tensorboard-runs');
      runDir = path.join(logRoot, 'fraud-detector', 'low-lr');
      writeTensorBoardEvents(path.join(runDir, 'train'), {
        loss: trainLoss,
        'acc (%)': [50, 60, 70, 80, 90],
      });
      writeTensorBoardEvents(path.join(runDir, 'eval'), { val_auc: valAuc });
      // Another run's files, in a sibling whose name shares the prefix.
      writeTensorBoardEvents(path.join(logRoot, 'fraud-detector', 'low-lr2'), {
        loss: [9, 9],
      });
      [mlflow, tensorboard] = await Promise.all([
        startMlflow({ basicAuth: mlflowAdmin }),
        startTensorBoard({ logdir: logRoot }),
      ]);
      seeded = await seedExperiments(mlflow);
      await tag(seeded.runs.lowLr, runDir);
      await tag(seeded.runs.failed, '/etc');
      await tag(seeded.runs.live, `${logRoot}/../escape`);
      await tensorboard.waitForRun('fraud-detector/low-lr/eval');
      await tensorboard.waitForRun('fraud-detector/low-lr/train');
      experiments = ExperimentsService.create({
        registries: registriesFor(mlflow),
        catalog: catalogServiceMock({ entities: experimentEntities }),
        logger: mockServices.logger.mock(),
      });
      app = await appWith({});
    }, 150_000);

    afterAll(async () => {
      for (const s of services) s.close();
      experiments?.close();
      await Promise.all([mlflow?.stop(), tensorboard?.stop()]);
      if (logRoot) await removeTempDir(logRoot);
    });

    const get = (target: express.Express, url: string) =>
      request(target).get(url).set(auth);
    const runPath = (runId: string, kind = 'models/default/fraud-detector') =>
      `/${kind}/experiment/runs/${runId}/tensorboard`;
    const message = (res: request.Response) => res.body.error?.message;

    it('reads the scalars the template wrote, by directory and tag, with the link that opens TensorBoard', async () => {
      const res = await get(app, runPath(seeded.runs.lowLr));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        configured: true,
        runId: seeded.runs.lowLr,
        logDir: runDir,
        tags: ['acc (%)', 'loss', 'val_auc'],
        url: `https://tensorboard.example.com/?runFilter=${encodeURIComponent(
          '^fraud-detector/low-lr($|/)',
        )}#timeseries`,
      });
      expect(res.body.cluster).toBeUndefined();
      const series = res.body.scalars.map((s: any) => `${s.dir} ${s.tag}`);
      expect(series).toEqual(['eval val_auc', 'train acc (%)', 'train loss']);
      const loss = res.body.scalars.find((s: any) => s.tag === 'loss');
      expect(loss.points.map((p: any) => p.step)).toEqual([0, 1, 2, 3, 4]);
      loss.points.forEach((p: any, i: number) => {
        expect(p.value).toBeCloseTo(trainLoss[i], 5); // float32 in the file
        expect(Math.abs(p.wallTime - Date.now())).toBeLessThan(600_000);
      });
    });

    it('gives the same answer for a Pipeline naming the experiment, and filters tags, odd characters included', async () => {
      const res = await get(
        app,
        `${runPath(
          seeded.runs.lowLr,
          'pipelines/default/fraud-training',
        )}?tags=${encodeURIComponent('acc (%),val_auc')}`,
      );
      expect(res.status).toBe(200);
      expect(
        res.body.scalars.map((s: any) => [s.dir, s.tag, s.points.length]),
      ).toEqual([
        ['eval', 'val_auc', 5],
        ['train', 'acc (%)', 5],
      ]);
    });

    it('names the cluster where the run can have its own TensorBoard, when ml.tensorboard.kubeflow is set', async () => {
      const withCluster = await appWith({
        kubeflow: {
          cluster: 'gpu-cluster-a',
          url: 'https://kubeflow.example.com',
          volumes: [],
          maxPerUser: 2,
        },
      });
      const res = await get(withCluster, runPath(seeded.runs.lowLr));
      expect(res.body.cluster).toBe('gpu-cluster-a');
    });

    it('names localhost as where the run can have its own TensorBoard, when ml.tensorboard.local is set', async () => {
      const local = await appWith({
        local: {
          command: '/usr/bin/tensorboard',
          host: '127.0.0.1',
          publicHost: '127.0.0.1',
          maxPerUser: 2,
        },
      });
      const res = await get(local, runPath(seeded.runs.lowLr));
      expect(res.body.cluster).toBe('localhost');
    });

    it('says so for a run that names no log dir, and when no TensorBoard is configured', async () => {
      const none = await get(app, runPath(seeded.runs.baseline));
      expect(none.status).toBe(200);
      expect(none.body).toEqual({
        configured: false,
        runId: seeded.runs.baseline,
        reason: expect.stringContaining(TENSORBOARD_LOGDIR_TAG),
      });
      const unconfigured = await get(
        await appWith(undefined),
        runPath(seeded.runs.lowLr),
      );
      expect(unconfigured.status).toBe(200);
      expect(unconfigured.body.configured).toBe(false);
      expect(unconfigured.body.reason).toMatch(/ml\.tensorboard\.url/);
    });

    it('refuses a log dir outside the configured roots with 400, before asking TensorBoard anything', async () => {
      // Nothing listens on port 1: a request to TensorBoard would be a 503.
      const offline = await appWith({ url: 'http://127.0.0.1:1' });
      for (const runId of [seeded.runs.failed, seeded.runs.live]) {
        const res = await get(offline, runPath(runId));
        expect(res.status).toBe(400);
        expect(message(res)).toContain(TENSORBOARD_LOGDIR_TAG);
        expect(message(res)).toContain(`ml.tensorboard.logRoots): ${logRoot}`);
      }
      const escape = await get(offline, runPath(seeded.runs.live));
      expect(message(escape)).toMatch(/has a \.\. segment/);
      // The same run with TensorBoard offline otherwise: 503, naming it.
      const down = await get(offline, runPath(seeded.runs.lowLr));
      expect(down.status).toBe(503);
      expect(message(down)).toMatch(
        /TensorBoard \(127\.0\.0\.1:1\) is unreachable/,
      );
    });

    it('refuses bad input with 400 naming the field, and unknown runs with 404', async () => {
      const badId = await get(app, runPath('not-a-run!'));
      expect(badId.status).toBe(400);
      expect(message(badId)).toMatch(/^Invalid model: runId: run ids are/);

      const control = await get(
        app,
        `${runPath(seeded.runs.lowLr)}?tags=${encodeURIComponent('loss\nx')}`,
      );
      expect(control.status).toBe(400);
      expect(message(control)).toMatch(
        /^Invalid query: tags\.0: tags are 1-250 printable characters/,
      );

      const unknownTag = await get(
        app,
        `${runPath(seeded.runs.lowLr)}?tags=${encodeURIComponent(
          'loss{job="a"}',
        )}`,
      );
      expect(unknownTag.status).toBe(400);
      expect(message(unknownTag)).toBe(
        `TensorBoard has no scalar tag "loss{job="a"}" under ${runDir}; it has "acc (%)", "loss", "val_auc"`,
      );

      const extra = await get(app, `${runPath(seeded.runs.lowLr)}?run=x`);
      expect(extra.status).toBe(400);

      const unknownRun = await get(app, runPath('0'.repeat(32)));
      expect(unknownRun.status).toBe(404);
      expect(message(unknownRun)).toContain(`No run ${'0'.repeat(32)}`);

      const foreign = await get(app, runPath(seeded.foreignRun));
      expect(foreign.status).toBe(400);
      expect(message(foreign)).toMatch(/belongs to experiment/);
    });

    it('costs TensorBoard one request per series however many viewers ask at once', async () => {
      // A counting pass-through in front of the real TensorBoard.
      const seen: string[] = [];
      const proxy = http.createServer((req, res) => {
        seen.push(req.url!.split('?')[0]);
        const upstream = http.get(`${tensorboard.url}${req.url}`, up => {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
        });
        upstream.on('error', () => res.destroy());
      });
      await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
      try {
        const { port } = proxy.address() as AddressInfo;
        const counted = await appWith({ url: `http://127.0.0.1:${port}` });
        const answers = await Promise.all(
          Array.from({ length: 6 }, () =>
            get(counted, runPath(seeded.runs.lowLr)),
          ),
        );
        const again = await get(counted, runPath(seeded.runs.lowLr));
        expect([...answers, again].map(r => r.status)).toEqual(
          Array(7).fill(200),
        );
        expect(again.body).toEqual(answers[0].body);
        expect(seen.sort()).toEqual([
          '/data/environment',
          '/data/plugin/scalars/scalars',
          '/data/plugin/scalars/scalars',
          '/data/plugin/scalars/scalars',
          '/data/plugin/scalars/tags',
          '/data/runs',
        ]);
      } finally {
        await new Promise(r => proxy.close(r));
      }
    });

    it('sees event files written later once its cache is fresh, and the runs listing names the log dir', async () => {
      const fresh = await appWith({});
      writeTensorBoardEvents(path.join(runDir, 'test'), { test_auc: [0.91] });
      await tensorboard.waitForRun('fraud-detector/low-lr/test');
      const res = await get(fresh, runPath(seeded.runs.lowLr));
      expect(res.body.tags).toContain('test_auc');

      const runs = await experiments.listRuns(
        { kind: 'model', namespace: 'default', name: 'fraud-detector' },
        {},
        mockCredentials.user('user:default/ada'),
      );
      const byName = Object.fromEntries(
        (runs as any).runs.map((r: any) => [r.name, r.tensorboardLogDir]),
      );
      expect(byName['low-lr']).toBe(runDir);
      expect(byName.baseline).toBeUndefined();
    });
  },
);
