import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  startMlflow,
} from '@mlplatform/test-services';
import express from 'express';
import request from 'supertest';
import { ExperimentsService } from '../services/experiments/ExperimentsService';
import {
  experimentEntities,
  mlflowAdmin,
  mlflowRequests,
  registriesFor,
  SeededExperiments,
  seedExperiments,
} from '../services/experiments/__testUtils__/experimentFixture';
import { createExperimentsRouter } from './experiments';

jest.setTimeout(60_000);

const auth = { Authorization: mockCredentials.user.header('user:default/ada') };

describeIfBinary(mlflowBinary)('experiments routes (real MLflow)', () => {
  let mlflow: MlflowHandle;
  let seeded: SeededExperiments;
  let experiments: ExperimentsService;
  let app: express.Express;

  // startMlflow waits up to 90 s; a shared machine under load needs it.
  beforeAll(async () => {
    mlflow = await startMlflow({ basicAuth: mlflowAdmin });
    seeded = await seedExperiments(mlflow);
    experiments = ExperimentsService.create({
      registries: registriesFor(mlflow),
      catalog: catalogServiceMock({ entities: experimentEntities }),
      logger: mockServices.logger.mock(),
    });
    const router = await createExperimentsRouter({
      httpAuth: mockServices.httpAuth(),
      experiments,
    });
    app = express().use(router).use(mockErrorHandler());
  }, 150_000);

  afterAll(async () => {
    experiments?.close();
    await mlflow?.stop();
  });

  const get = (path: string) => request(app).get(path).set(auth);
  const message = (res: request.Response) => res.body.error?.message;

  it('lists the runs of a Model and of a Pipeline', async () => {
    const model = await get(
      '/models/default/fraud-detector/experiment/runs?status=finished&orderBy=metric&metric=val_auc',
    );
    expect(model.status).toBe(200);
    expect(model.body.runs.map((r: any) => r.name)).toEqual([
      'low-lr',
      'baseline',
    ]);
    const pipeline = await get(
      '/pipelines/default/fraud-training/experiment/runs?limit=2',
    );
    expect(pipeline.status).toBe(200);
    expect(pipeline.body.runs).toHaveLength(2);
  });

  it('compares runs', async () => {
    const { baseline, lowLr } = seeded.runs;
    const res = await get(
      `/models/default/fraud-detector/experiment/compare?runs=${baseline},${lowLr}&metrics=loss`,
    );
    expect(res.status).toBe(200);
    expect(res.body.metrics).toHaveLength(1);
    expect(res.body.metrics[0].histories[lowLr]).toHaveLength(6);
    expect(res.body.params.find((p: any) => p.name === 'lr').differs).toBe(
      true,
    );
  });

  it('answers "not configured" with what to set for an entity without the annotation', async () => {
    const res = await get('/models/default/no-experiment/experiment/runs');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      configured: false,
      entityRef: 'model:default/no-experiment',
      reason:
        'model:default/no-experiment names no MLflow experiment: add the annotation mlplatform.io/mlflow-experiment: <experiment name> to its catalog-info.yaml',
    });
  });

  it.each([
    [
      'more than five runs',
      '/models/default/fraud-detector/experiment/compare?runs=a,b,c,d,e,f',
      400,
      'Invalid query: runs: at most 5 runs can be compared at once',
    ],
    [
      'one run',
      '/models/default/fraud-detector/experiment/compare?runs=a',
      400,
      'Invalid query: runs: pick at least 2 runs to compare',
    ],
    [
      'a PromQL-like metric name',
      '/models/default/fraud-detector/experiment/compare?runs=a,b&metrics=loss%7Bjob%3D%22x%22%7D',
      400,
      'Invalid query: metrics.0: must be letters, digits',
    ],
    [
      'a path-like metric name',
      '/models/default/fraud-detector/experiment/runs?orderBy=metric&metric=..%2F..%2Fetc',
      400,
      'Invalid query: metric: must be letters, digits',
    ],
    [
      'an unknown status',
      '/models/default/fraud-detector/experiment/runs?status=done',
      400,
      'Invalid query: status:',
    ],
    [
      'an unknown experiment',
      '/models/default/ghost/experiment/runs',
      404,
      'No experiment "no-such-experiment" in MLflow "team-mlflow"',
    ],
    [
      'an unknown entity',
      '/models/default/nobody/experiment/runs',
      404,
      'No Model default/nobody in the catalog',
    ],
    [
      'an entity without the annotation, compared',
      '/models/default/no-experiment/experiment/compare?runs=a,b',
      404,
      'names no MLflow experiment',
    ],
  ])('refuses %s', async (_what, path, status, reason) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(message(res)).toContain(reason);
  });

  it('404s unknown run ids and 400s a run of another experiment', async () => {
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const missing = await get(
      `/models/default/fraud-detector/experiment/compare?runs=${seeded.runs.baseline},${unknown}`,
    );
    expect(missing.status).toBe(404);
    expect(message(missing)).toBe(`No run ${unknown} in MLflow "team-mlflow"`);
    const foreign = await get(
      `/models/default/fraud-detector/experiment/compare?runs=${seeded.runs.baseline},${seeded.foreignRun}`,
    );
    expect(foreign.status).toBe(400);
    expect(message(foreign)).toContain(
      `${seeded.foreignRun} belongs to experiment ${seeded.otherExperimentId}`,
    );
  });

  it('contacts MLflow not at all for input it refuses', async () => {
    const before = (await mlflowRequests(mlflow)).length;
    await get(
      '/models/default/fraud-detector/experiment/compare?runs=a,b,c,d,e,f',
    );
    await get(
      '/models/default/fraud-detector/experiment/compare?runs=a,b&metrics=..%2Fx',
    );
    expect((await mlflowRequests(mlflow)).length).toBe(before);
  });
});
