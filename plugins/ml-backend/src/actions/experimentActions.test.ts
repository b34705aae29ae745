import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  startMlflow,
} from '@mlplatform/test-services';
import { ExperimentsService } from '../services/experiments/ExperimentsService';
import {
  experimentEntities,
  mlflowAdmin,
  registriesFor,
  SeededExperiments,
  seedExperiments,
} from '../services/experiments/__testUtils__/experimentFixture';
import { registerExperimentActions } from './experimentActions';

jest.setTimeout(60_000);

describeIfBinary(mlflowBinary)('ml:compare-runs (real MLflow)', () => {
  let mlflow: MlflowHandle;
  let seeded: SeededExperiments;
  let experiments: ExperimentsService;
  const registry = actionsRegistryServiceMock();
  const credentials = mockCredentials.user('user:default/ada');

  // startMlflow waits up to 90 s; a shared machine under load needs it.
  beforeAll(async () => {
    mlflow = await startMlflow({ basicAuth: mlflowAdmin });
    seeded = await seedExperiments(mlflow);
    experiments = ExperimentsService.create({
      registries: registriesFor(mlflow),
      catalog: catalogServiceMock({ entities: experimentEntities }),
      logger: mockServices.logger.mock(),
    });
    registerExperimentActions({ actionsRegistry: registry, experiments });
  }, 150_000);

  afterAll(async () => {
    experiments?.close();
    await mlflow?.stop();
  });

  const invoke = (input: object) =>
    registry.invoke({
      id: 'test:compare-runs',
      input: input as any,
      credentials,
    });

  it('summarises each metric per run and the parameters that differ', async () => {
    const { baseline, lowLr } = seeded.runs;
    const { output } = await invoke({
      entity: 'fraud-detector',
      runs: [baseline, lowLr],
    });
    expect(output).toMatchObject({
      entityRef: 'model:default/fraud-detector',
      experiment: { name: 'fraud-detector' },
      runs: [
        { id: baseline, name: 'baseline', gitCommit: '1a2b3c4d5e6f' },
        { id: lowLr, name: 'low-lr', modelVersions: ['fraud-detector v1'] },
      ],
      differingParams: [
        { name: 'lr', values: { [baseline]: '0.1', [lowLr]: '0.01' } },
      ],
      sameParams: { batch_size: '64', epochs: '6' },
    });
    const loss = (output as any).metrics.find((m: any) => m.name === 'loss');
    expect(loss.runs).toContainEqual({
      runId: lowLr,
      steps: 6,
      last: expect.closeTo(0.2, 6),
      min: expect.closeTo(0.2, 6),
      max: expect.closeTo(1.1, 6),
    });
  });

  it('refuses what the HTTP API refuses, with its message', async () => {
    await expect(
      invoke({
        entity: 'fraud-detector',
        runs: ['a', 'b', 'c', 'd', 'e', 'f'],
      }),
    ).rejects.toThrow(
      'Invalid input: runs: at most 5 runs can be compared at once',
    );
    await expect(
      invoke({ entity: 'dataset:default/x', runs: ['a', 'b'] }),
    ).rejects.toThrow(
      '"dataset:default/x" is a dataset, not a model or pipeline',
    );
    await expect(
      invoke({
        entity: 'pipeline:default/fraud-training',
        runs: [seeded.runs.baseline, seeded.foreignRun],
      }),
    ).rejects.toThrow(/belongs to experiment/);
  });
});
