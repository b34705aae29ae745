import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  compareRunsQuerySchema,
  ExperimentEntityRef,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  startMlflow,
} from '@mlplatform/test-services';
import {
  experimentEntities,
  mlflowAdmin,
  mlflowRequests,
  registriesFor,
  SeededExperiments,
  seedExperiments,
} from './__testUtils__/experimentFixture';
import { ExperimentsService } from './ExperimentsService';

jest.setTimeout(60_000);

const model = (name: string): ExperimentEntityRef => ({
  kind: 'model',
  namespace: 'default',
  name,
});
const credentials = mockCredentials.user('user:default/ada');
const compare = (runs: string[], metrics?: string) =>
  parseMlInput(
    compareRunsQuerySchema,
    { runs: runs.join(','), ...(metrics ? { metrics } : {}) },
    'query',
  );

describeIfBinary(mlflowBinary)('ExperimentsService (real MLflow)', () => {
  let mlflow: MlflowHandle;
  let seeded: SeededExperiments;
  let service: ExperimentsService;

  // startMlflow waits up to 90 s; a shared machine under load needs it.
  beforeAll(async () => {
    mlflow = await startMlflow({ basicAuth: mlflowAdmin });
    seeded = await seedExperiments(mlflow);
    service = ExperimentsService.create({
      registries: registriesFor(mlflow),
      catalog: catalogServiceMock({ entities: experimentEntities }),
      logger: mockServices.logger.mock(),
      // Tiny pages, so listing and histories walk several of them.
      client: { runsPageSize: 2, historyPageSize: 4 },
    });
  }, 150_000);

  afterAll(async () => {
    service?.close();
    await mlflow?.stop();
  });

  it('lists the runs newest first with status, times, user, commit, params, metrics, links and the version they produced', async () => {
    const res = await service.listRuns(
      model('fraud-detector'),
      {},
      credentials,
    );
    if (!res.configured) throw new Error(res.reason);
    expect(res.experiment).toEqual({
      id: seeded.experimentId,
      name: 'fraud-detector',
      registry: 'team-mlflow',
      url: `${mlflow.url}/#/experiments/${seeded.experimentId}`,
    });
    expect(res.runs.map(r => r.name)).toEqual([
      'live',
      'diverged',
      'low-lr',
      'baseline',
    ]);
    const lowLr = res.runs[2];
    expect(lowLr).toEqual({
      id: seeded.runs.lowLr,
      name: 'low-lr',
      status: 'finished',
      startedAt: '2026-11-20T10:00:00.000Z',
      finishedAt: '2026-11-20T10:06:00.000Z',
      durationSeconds: 360,
      user: 'ada',
      gitCommit: '9f8e7d6c5b4a',
      params: { lr: '0.01', epochs: '6', batch_size: '64' },
      metrics: {
        loss: expect.closeTo(0.2, 6),
        val_auc: expect.closeTo(0.95, 6),
      },
      url: `${mlflow.url}/#/experiments/${seeded.experimentId}/runs/${seeded.runs.lowLr}`,
      modelVersions: [
        {
          name: 'fraud-detector',
          version: '1',
          url: `${mlflow.url}/#/models/fraud-detector/versions/1`,
        },
      ],
    });
    expect(res.runs[1]).toMatchObject({ status: 'failed', user: 'grace' });
    expect(res.runs[0]).toMatchObject({ status: 'running' });
    expect(res.runs[0].finishedAt).toBeUndefined();
    // What the search varied, not what every run shares (epochs).
    expect(res.keyParams).toEqual(['batch_size', 'dropout', 'lr']);
    expect(res.metricNames).toEqual(['loss', 'val_auc']);
  });

  it('filters by status, orders by a metric and limits', async () => {
    const finished = await service.listRuns(
      model('fraud-detector'),
      { status: 'finished' },
      credentials,
    );
    expect(finished.configured && finished.runs.map(r => r.name)).toEqual([
      'low-lr',
      'baseline',
    ]);
    const byAuc = await service.listRuns(
      model('fraud-detector'),
      { orderBy: 'metric', metric: 'val_auc', direction: 'desc', limit: 1 },
      credentials,
    );
    expect(byAuc.configured && byAuc.runs.map(r => r.name)).toEqual(['low-lr']);
    const byLoss = await service.listRuns(
      model('fraud-detector'),
      { orderBy: 'metric', metric: 'loss', direction: 'asc', limit: 3 },
      credentials,
    );
    expect(byLoss.configured && byLoss.runs.map(r => r.name)).toEqual([
      'low-lr',
      'baseline',
      'live',
    ]);
  });

  it('reads the experiment of a Pipeline and of a registry-qualified annotation', async () => {
    const pipeline = await service.listRuns(
      { kind: 'pipeline', namespace: 'default', name: 'fraud-training' },
      {},
      credentials,
    );
    const qualified = await service.listRuns(
      model('fraud-detector-qualified'),
      {},
      credentials,
    );
    expect(pipeline.configured && pipeline.runs).toHaveLength(4);
    expect(qualified.configured && qualified.experiment.id).toBe(
      seeded.experimentId,
    );
  });

  it('answers an identical listing from its cache, without asking MLflow again', async () => {
    const query = { status: 'failed' as const };
    await service.listRuns(model('fraud-detector'), query, credentials);
    const before = (await mlflowRequests(mlflow)).length;
    await Promise.all([
      service.listRuns(model('fraud-detector'), query, credentials),
      service.listRuns(model('fraud-detector'), query, credentials),
    ]);
    expect((await mlflowRequests(mlflow)).length).toBe(before);
  });

  it('compares runs: every history of each metric per run, and the parameter diff', async () => {
    const { baseline, lowLr, failed } = seeded.runs;
    const res = await service.compareRuns(
      model('fraud-detector'),
      compare([lowLr, baseline, failed]),
      credentials,
    );
    expect(res.runs.map(r => r.name)).toEqual([
      'low-lr',
      'baseline',
      'diverged',
    ]);
    expect(res.metrics.map(m => m.name)).toEqual(['loss', 'val_auc']);
    const loss = res.metrics[0].histories;
    // Six steps, read in pages of four.
    expect(loss[baseline].map(p => p.step)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(loss[baseline][0]).toEqual({
      step: 0,
      timestamp: Date.UTC(2026, 10, 20, 9),
      value: 1.2,
    });
    expect(loss[failed].map(p => p.value)).toEqual([1.3, 4.5]);
    // The failed run logged no val_auc: no line, not an empty one.
    expect(Object.keys(res.metrics[1].histories).sort()).toEqual(
      [baseline, lowLr].sort(),
    );
    expect(res.params).toEqual([
      {
        name: 'batch_size',
        values: { [lowLr]: '64', [baseline]: '64', [failed]: undefined },
        differs: true,
      },
      {
        name: 'dropout',
        values: { [lowLr]: undefined, [baseline]: undefined, [failed]: '0.2' },
        differs: true,
      },
      {
        name: 'epochs',
        values: { [lowLr]: '6', [baseline]: '6', [failed]: '6' },
        differs: false,
      },
      {
        name: 'lr',
        values: { [lowLr]: '0.01', [baseline]: '0.1', [failed]: '1.0' },
        differs: true,
      },
    ]);
  });

  it('charts only the metrics asked for', async () => {
    const { baseline, lowLr } = seeded.runs;
    const res = await service.compareRuns(
      model('fraud-detector'),
      compare([baseline, lowLr], 'val_auc'),
      credentials,
    );
    expect(res.metrics.map(m => m.name)).toEqual(['val_auc']);
  });

  describe('bad input', () => {
    it('says what to set for an entity without the annotation', async () => {
      await expect(
        service.listRuns(model('no-experiment'), {}, credentials),
      ).resolves.toEqual({
        configured: false,
        entityRef: 'model:default/no-experiment',
        reason: expect.stringContaining(
          'add the annotation mlplatform.io/mlflow-experiment',
        ),
      });
      await expect(
        service.compareRuns(
          model('no-experiment'),
          compare([seeded.runs.baseline, seeded.runs.lowLr]),
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: expect.stringContaining('names no MLflow experiment'),
      });
    });

    it('says no MLflow is configured when ml.registries has none', async () => {
      const bare = ExperimentsService.create({
        registries: [],
        catalog: catalogServiceMock({ entities: experimentEntities }),
        logger: mockServices.logger.mock(),
      });
      await expect(
        bare.listRuns(model('fraud-detector'), {}, credentials),
      ).resolves.toMatchObject({
        configured: false,
        reason: expect.stringContaining('type: mlflow under ml.registries'),
      });
    });

    it('404s an unknown experiment, naming it', async () => {
      await expect(
        service.listRuns(model('ghost'), {}, credentials),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: expect.stringContaining('experiment "no-such-experiment"'),
      });
    });

    it('404s unknown run ids, naming them', async () => {
      const unknown = '0123456789abcdef0123456789abcdef';
      await expect(
        service.compareRuns(
          model('fraud-detector'),
          compare([seeded.runs.baseline, unknown]),
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: `No run ${unknown} in MLflow "team-mlflow"`,
      });
    });

    it('400s a run of another experiment', async () => {
      await expect(
        service.compareRuns(
          model('fraud-detector'),
          compare([seeded.runs.baseline, seeded.foreignRun]),
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          `${seeded.foreignRun} belongs to experiment ${seeded.otherExperimentId}, not to "fraud-detector"`,
        ),
      });
    });

    it('400s more than five runs, and a metric no run logged', async () => {
      const six = Object.values(seeded.runs).concat(['a', 'b']);
      await expect(
        service.compareRuns(
          model('fraud-detector'),
          { runs: six },
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: 'Compare 2 to 5 runs; got 6',
      });
      await expect(
        service.compareRuns(
          model('fraud-detector'),
          compare([seeded.runs.baseline, seeded.runs.lowLr], 'f1'),
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('None of the runs logged metric "f1"'),
      });
    });

    it('404s an entity the caller cannot see or of another kind', async () => {
      await expect(
        service.listRuns(
          { kind: 'pipeline', namespace: 'default', name: 'fraud-detector' },
          {},
          credentials,
        ),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: 'No Pipeline default/fraud-detector in the catalog',
      });
    });
  });
});
