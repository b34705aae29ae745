import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { TENSORBOARD_LOGDIR_TAG } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  startMlflow,
} from '@mlplatform/test-services';
import request from 'supertest';
import { clusterASeed } from './__testUtils__/kubeSeeds';
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

jest.setTimeout(60_000);

const ADA = 'user:default/ada';
const EVE = 'user:default/eve';
const BOB = 'user:default/bob';
const ROOT = 'user:default/root';
const ROOTS = '/mnt/tensorboard';
const TB = 'tensorboard.kubeflow.org/v1alpha1';

// A run's own TensorBoard on a Kubeflow cluster, through the whole plugin:
// real MLflow runs naming their log dirs, the test API server with the
// vendored Tensorboard CRD, the real permission backend with the repo's
// kind of policy, the audit trail.
describeIfBinary(mlflowBinary)(
  "a run's TensorBoard on a Kubeflow cluster (real MLflow, test API server)",
  () => {
    let mlflow: MlflowHandle;
    let seeded: SeededExperiments;
    let cluster: KubeApiServer;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: () => Promise<void>;

    beforeAll(async () => {
      [mlflow, cluster] = await Promise.all([
        startMlflow({ basicAuth: mlflowAdmin }),
        startKubeApiServer({ seed: clusterASeed(), controllers: true }),
      ]);
      seeded = await seedExperiments(mlflow);
      const tag = (runId: string, value: string) =>
        mlflow.post('runs/set-tag', {
          run_id: runId,
          key: TENSORBOARD_LOGDIR_TAG,
          value,
        });
      await tag(seeded.runs.lowLr, `${ROOTS}/fraud-detector/low-lr`);
      await tag(seeded.runs.baseline, `${ROOTS}/fraud-detector/baseline`);
      await tag(seeded.runs.live, `${ROOTS}/fraud-detector/live`);
      await tag(seeded.runs.failed, '/etc/secrets');
      const backend = await startTestBackend({
        features: [
          mlPlugin,
          permissionPlugin,
          mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
          oboAuthServiceFactory,
          userInfoServiceFactory({
            [ADA]: ['group:default/fraud-team'],
            [BOB]: ['group:default/fraud-team'],
            [EVE]: ['group:default/nlp-team'],
            [ROOT]: ['group:default/platform-team'],
          }),
          catalogServiceMock.factory({ entities: experimentEntities }),
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              ml: {
                kubernetes: {
                  requestTimeoutSeconds: 2,
                  clusters: [
                    {
                      name: 'gpu-cluster-a',
                      url: cluster.url,
                      token: cluster.token,
                      caData: cluster.caData,
                    },
                  ],
                },
                // MlRegistryConfig is not a JsonValue type; the same data as config.
                registries: JSON.parse(JSON.stringify(registriesFor(mlflow))),
                tensorboard: {
                  url: 'http://127.0.0.1:1',
                  logRoots: [ROOTS],
                  kubeflow: {
                    cluster: 'gpu-cluster-a',
                    url: 'https://kubeflow.example.com',
                    volumes: [
                      {
                        logRoot: ROOTS,
                        namespace: 'fraud',
                        claim: 'fraud-tensorboard',
                      },
                    ],
                    maxPerUser: 2,
                  },
                },
              },
            },
          }),
        ],
      });
      server = backend.server;
      stop = () => backend.stop();
    }, 150_000);

    afterAll(async () => {
      await stop?.();
      await Promise.all([mlflow?.stop(), cluster?.stop()]);
    });

    const start = (user: string, runId: string) =>
      request(server)
        .post(
          `/api/ml/models/default/fraud-detector/experiment/runs/${runId}/tensorboard`,
        )
        .set(as(user));
    const tensorboards = () =>
      cluster.list(TB, 'Tensorboard', 'fraud').map((t: any) => t.metadata.name);
    const name = (runId: string) => `tb-${runId}`;

    it('creates the run its Tensorboard in the namespace of the volume, owned by the user, and returns it again', async () => {
      const res = await start(ADA, seeded.runs.lowLr);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        runId: seeded.runs.lowLr,
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        name: name(seeded.runs.lowLr),
        logspath: 'pvc://fraud-tensorboard/fraud-detector/low-lr',
        url: `https://kubeflow.example.com/tensorboard/fraud/${name(
          seeded.runs.lowLr,
        )}/`,
        created: true,
        ready: false,
      });
      const stored = cluster.get(
        TB,
        'Tensorboard',
        'fraud',
        name(seeded.runs.lowLr),
      ) as any;
      expect(stored.spec).toEqual({
        logspath: 'pvc://fraud-tensorboard/fraud-detector/low-lr',
      });
      expect(stored.metadata.labels['mlplatform.io/created-by']).toBe(
        'user.default.ada',
      );
      expect(stored.metadata.annotations['mlplatform.io/created-by']).toBe(ADA);

      const again = await start(ADA, seeded.runs.lowLr);
      expect(again.status).toBe(200);
      expect(again.body.created).toBe(false);
      expect(tensorboards()).toEqual([name(seeded.runs.lowLr)]);
    });

    it('refuses a member of another team with 403, and a log dir outside the roots with 400, creating nothing', async () => {
      const eve = await start(EVE, seeded.runs.baseline);
      expect(eve.status).toBe(403);
      expect(eve.body.error.message).toBe(
        `${EVE} is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a`,
      );
      const outside = await start(ADA, seeded.runs.failed);
      expect(outside.status).toBe(400);
      expect(outside.body.error.message).toContain(
        'is outside the configured log roots',
      );
      const badRun = await start(ADA, 'not-a-run!');
      expect(badRun.status).toBe(400);
      expect(tensorboards()).toEqual([name(seeded.runs.lowLr)]);
    });

    it('holds each user to maxPerUser TensorBoards per namespace (409 with the numbers), and audits every attempt', async () => {
      expect((await start(ADA, seeded.runs.baseline)).status).toBe(201);
      const third = await start(ADA, seeded.runs.live);
      expect(third.status).toBe(409);
      expect(third.body.error.message).toMatch(
        new RegExp(
          `^${ADA} already has 2 TensorBoard\\(s\\) in fraud on gpu-cluster-a \\(at most 2\\)`,
        ),
      );
      expect(tensorboards().sort()).toEqual(
        [name(seeded.runs.lowLr), name(seeded.runs.baseline)].sort(),
      );

      const audit = await request(server)
        .get('/api/ml/audit?action=ml.tensorboard.create')
        .set(as(ROOT));
      expect(audit.status).toBe(200);
      expect(
        audit.body.items
          .map((e: any) => [e.actor, e.outcome, e.targetRef])
          .reverse(),
      ).toEqual([
        [
          ADA,
          'succeeded',
          `tensorboard:gpu-cluster-a/fraud/${name(seeded.runs.lowLr)}`,
        ],
        [
          ADA,
          'succeeded',
          `tensorboard:gpu-cluster-a/fraud/${name(seeded.runs.lowLr)}`,
        ],
        [
          EVE,
          'refused',
          `tensorboard:gpu-cluster-a/fraud/${name(seeded.runs.baseline)}`,
        ],
        [
          ADA,
          'succeeded',
          `tensorboard:gpu-cluster-a/fraud/${name(seeded.runs.baseline)}`,
        ],
        [
          ADA,
          'refused',
          `tensorboard:gpu-cluster-a/fraud/${name(seeded.runs.live)}`,
        ],
      ]);
    });

    const stopOf = (user: string, runId: string) =>
      request(server)
        .delete(
          `/api/ml/models/default/fraud-detector/experiment/runs/${runId}/tensorboard`,
        )
        .set(as(user));

    it('stops a TensorBoard for its creator only, audited, which frees a place under the cap', async () => {
      const { lowLr, live } = seeded.runs;
      const eve = await stopOf(EVE, lowLr);
      expect(eve.status).toBe(403);
      expect(eve.body.error.message).toBe(
        `${EVE} is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a`,
      );
      // A teammate passes the permission, but it is not theirs.
      const bob = await stopOf(BOB, lowLr);
      expect(bob.status).toBe(403);
      expect(bob.body.error.message).toBe(
        `TensorBoard ${name(
          lowLr,
        )} in fraud on gpu-cluster-a was started by ${ADA}; only its creator stops it`,
      );
      expect(tensorboards()).toContain(name(lowLr));

      expect((await stopOf(ADA, lowLr)).status).toBe(204);
      expect(tensorboards()).not.toContain(name(lowLr));
      const again = await stopOf(ADA, lowLr);
      expect(again.status).toBe(404);
      expect(again.body.error.message).toBe(
        `run ${lowLr} has no TensorBoard ${name(
          lowLr,
        )} in fraud on gpu-cluster-a`,
      );
      // One of two again: the third run's TensorBoard now starts.
      expect((await start(ADA, live)).status).toBe(201);

      const audit = await request(server)
        .get('/api/ml/audit?action=ml.tensorboard.delete')
        .set(as(ROOT));
      expect(
        audit.body.items
          .map((e: any) => [e.actor, e.outcome, e.targetRef])
          .reverse(),
      ).toEqual(
        [
          [EVE, 'refused'],
          [BOB, 'refused'],
          [ADA, 'succeeded'],
          [ADA, 'refused'],
        ].map(([actor, outcome]) => [
          actor,
          outcome,
          `tensorboard:gpu-cluster-a/fraud/${name(lowLr)}`,
        ]),
      );
    });

    it('holds the cap under concurrent starts: of 8 at once, maxPerUser start and the rest get 409', async () => {
      const runs: string[] = [];
      for (let i = 0; i < 8; i++) {
        const created = await mlflow.post<{
          run: { info: { run_id: string } };
        }>('runs/create', {
          experiment_id: seeded.experimentId,
          run_name: `hpo-${i}`,
        });
        const runId = created.run.info.run_id;
        await mlflow.post('runs/set-tag', {
          run_id: runId,
          key: TENSORBOARD_LOGDIR_TAG,
          value: `${ROOTS}/fraud-detector/hpo-${i}`,
        });
        runs.push(runId);
      }
      const answers = await Promise.all(runs.map(r => start(BOB, r)));
      const statuses = answers.map(a => a.status).sort();
      expect(statuses).toEqual([201, 201, 409, 409, 409, 409, 409, 409]);
      const bobs = cluster
        .list(TB, 'Tensorboard', 'fraud')
        .filter(
          (t: any) =>
            t.metadata.annotations['mlplatform.io/created-by'] === BOB,
        );
      expect(bobs).toHaveLength(2);
      for (const refused of answers.filter(a => a.status === 409)) {
        expect(refused.body.error.message).toMatch(
          new RegExp(
            `^${BOB} already has 2 TensorBoard\\(s\\) in fraud on gpu-cluster-a \\(at most 2\\)`,
          ),
        );
      }
    });
  },
);
