import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { TENSORBOARD_LOGDIR_TAG } from '@mlplatform/plugin-ml-common';
import {
  describeIfBinary,
  findBinary,
  makeTempDir,
  MlflowHandle,
  mlflowBinary,
  removeTempDir,
  startMlflow,
  tensorboardBinary,
  writeTensorBoardEvents,
} from '@mlplatform/test-services';
import path from 'node:path';
import request from 'supertest';
import {
  asUser as as,
  userInfoServiceFactory,
} from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import {
  experimentEntities,
  mlflowAdmin,
  registriesFor,
  SeededExperiments,
  seedExperiments,
} from './services/experiments/__testUtils__/experimentFixture';

jest.setTimeout(120_000);

const ADA = 'user:default/ada';
const EVE = 'user:default/eve';
const ROOT = 'user:default/root';

/** What a TensorBoard at `url` serves, or undefined when nothing answers. */
async function servedBy(url: string) {
  try {
    const res = await fetch(`${url}data/environment`);
    return res.ok
      ? ((await res.json()) as { data_location: string })
      : undefined;
  } catch {
    return undefined;
  }
}

async function waitFor<T>(what: () => Promise<T | undefined>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await what();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise(r => setTimeout(r, 300));
  }
}

// A run's own TensorBoard as a process of the backend (ml.tensorboard.local):
// the real `tensorboard` from the venv started and stopped by the plugin on
// the run's log dir, real MLflow runs naming their dirs, the real permission
// backend, the audit trail.
describeIfBinary([mlflowBinary, tensorboardBinary])(
  "a run's TensorBoard as a local process (real TensorBoard, real MLflow)",
  () => {
    let mlflow: MlflowHandle;
    let seeded: SeededExperiments;
    let logRoot: string;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stopBackend: () => Promise<void>;
    /** A run whose TensorBoard the first test leaves running. */
    let keptRun: string;
    const dirOf = (run: string) => path.join(logRoot, 'fraud-detector', run);
    const tag = (runId: string, value: string) =>
      mlflow.post('runs/set-tag', {
        run_id: runId,
        key: TENSORBOARD_LOGDIR_TAG,
        value,
      });

    beforeAll(async () => {
      logRoot = makeTempDir('tensorboard-local');
      writeTensorBoardEvents(path.join(dirOf('low-lr'), 'train'), {
        loss: [1.2, 0.8, 0.5],
      });
      mlflow = await startMlflow({ basicAuth: mlflowAdmin });
      seeded = await seedExperiments(mlflow);
      await tag(seeded.runs.lowLr, dirOf('low-lr'));
      await tag(seeded.runs.failed, '/etc');
      const backend = await startTestBackend({
        features: [
          mlPlugin,
          permissionPlugin,
          mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
          oboAuthServiceFactory,
          userInfoServiceFactory({
            [ADA]: ['group:default/fraud-team'],
            [EVE]: ['group:default/nlp-team'],
            [ROOT]: ['group:default/platform-team'],
          }),
          catalogServiceMock.factory({ entities: experimentEntities }),
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              ml: {
                registries: JSON.parse(JSON.stringify(registriesFor(mlflow))),
                tensorboard: {
                  url: 'http://127.0.0.1:1',
                  logRoots: [logRoot],
                  local: {
                    command: findBinary(tensorboardBinary)!,
                    maxPerUser: 2,
                  },
                },
              },
            },
          }),
        ],
      });
      server = backend.server;
      stopBackend = () => backend.stop();
    }, 150_000);

    afterAll(async () => {
      await stopBackend?.();
      await mlflow?.stop();
      if (logRoot) removeTempDir(logRoot);
    });

    const runPath = (runId: string) =>
      `/api/ml/models/default/fraud-detector/experiment/runs/${runId}/tensorboard`;
    const start = (user: string, runId: string) =>
      request(server).post(runPath(runId)).set(as(user));
    const stop = (user: string, runId: string) =>
      request(server).delete(runPath(runId)).set(as(user));

    it("starts the real TensorBoard on the run's log dir, holds the cap under concurrent starts, and stops it for its creator only, audited", async () => {
      const { lowLr } = seeded.runs;
      const outside = await start(ADA, seeded.runs.failed);
      expect(outside.status).toBe(400);
      expect(outside.body.error.message).toContain(
        'is outside the configured log roots',
      );

      const started = await start(ADA, lowLr);
      expect(started.status).toBe(201);
      expect(started.body).toMatchObject({
        runId: lowLr,
        cluster: 'localhost',
        namespace: '',
        name: `tb-${lowLr}`,
        logspath: dirOf('low-lr'),
        created: true,
      });
      const url: string = started.body.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      // A real TensorBoard, serving the run's own directory.
      const env = await waitFor(() => servedBy(url));
      expect(env?.data_location).toBe(dirOf('low-lr'));
      const runs = await waitFor(async () => {
        const listed = (await (
          await fetch(`${url}data/runs`)
        ).json()) as string[];
        return listed.includes('train') ? listed : undefined;
      });
      expect(runs).toEqual(['train']);

      const again = await start(ADA, lowLr);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ created: false, ready: true, url });
      const eve = await start(EVE, lowLr);
      expect(eve.status).toBe(409);
      expect(eve.body.error.message).toBe(
        `TensorBoard tb-${lowLr} for run ${lowLr} already runs on localhost, started by someone else`,
      );

      // Five more at once, one place left under maxPerUser 2.
      const more: string[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await mlflow.post<{
          run: { info: { run_id: string } };
        }>('runs/create', {
          experiment_id: seeded.experimentId,
          run_name: `local-${i}`,
        });
        more.push(created.run.info.run_id);
        await tag(created.run.info.run_id, dirOf(`local-${i}`));
      }
      const answers = await Promise.all(more.map(r => start(ADA, r)));
      expect(answers.map(a => a.status).sort()).toEqual([
        201, 409, 409, 409, 409,
      ]);
      expect(answers.find(a => a.status === 409)!.body.error.message).toMatch(
        new RegExp(
          `^${ADA} already has 2 TensorBoard\\(s\\) on localhost \\(at most 2\\)`,
        ),
      );
      const second = answers.find(a => a.status === 201)!.body;

      const notTheirs = await stop(EVE, lowLr);
      expect(notTheirs.status).toBe(403);
      expect(notTheirs.body.error.message).toBe(
        `TensorBoard tb-${lowLr} on localhost was started by ${ADA}; only its creator stops it`,
      );
      expect(await servedBy(url)).toBeDefined();
      expect((await stop(ADA, lowLr)).status).toBe(204);
      // The process is gone: nothing answers on its port.
      expect(await servedBy(url)).toBeUndefined();
      const gone = await stop(ADA, lowLr);
      expect(gone.status).toBe(404);
      // A place is free again.
      keptRun = more.find(r => r !== second.runId)!;
      expect((await start(ADA, keptRun)).status).toBe(201);

      const audit = await request(server)
        .get('/api/ml/audit?action=ml.tensorboard.delete')
        .set(as(ROOT));
      expect(
        audit.body.items.map((e: any) => [e.actor, e.outcome]).reverse(),
      ).toEqual([
        [EVE, 'refused'],
        [ADA, 'succeeded'],
        [ADA, 'refused'],
      ]);
      const created = await request(server)
        .get('/api/ml/audit?action=ml.tensorboard.create')
        .set(as(ROOT));
      expect(
        created.body.items.filter((e: any) => e.outcome === 'succeeded'),
      ).toHaveLength(4);
      expect(created.body.items[0].targetRef).toMatch(
        /^tensorboard:localhost\/tb-/,
      );
    });

    it('stops what it started when the backend stops', async () => {
      const kept = await start(ADA, keptRun);
      expect(kept.status).toBe(200);
      const running: string = kept.body.url;
      expect(await waitFor(() => servedBy(running))).toBeDefined();
      await stopBackend();
      stopBackend = async () => {};
      expect(await servedBy(running)).toBeUndefined();
    });
  },
);
