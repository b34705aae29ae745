import fs from 'node:fs';
import { describeIfBinary, MissingBinaryError } from './binaries';
import { MlflowHandle, mlflowBinary, startMlflow } from './mlflow';
import { mlflowRestClient, seedMlflowModel } from './mlflowClient';
import { isPortOpen } from './ports';

jest.setTimeout(30_000);

describe('mlflowBinary', () => {
  it('tells a reader without the venv to run the bootstrap', () => {
    const missing = { ...mlflowBinary, candidates: ['/nonexistent/mlflow'] };
    expect(new MissingBinaryError(missing).message).toMatch(
      /Install it with: \. scripts\/bootstrap\.sh \(pip installs requirements-services\.txt/,
    );
  });
});

describeIfBinary(mlflowBinary)('startMlflow', () => {
  let mlflow: MlflowHandle;
  const basicAuth = { username: 'admin', password: 'test-Passw0rd-long' };

  beforeAll(async () => {
    mlflow = await startMlflow({ basicAuth });
  }, 120_000);
  afterAll(() => mlflow?.stop());

  it('refuses requests without the admin credentials', async () => {
    const anonymous = mlflowRestClient(mlflow.url);
    await expect(anonymous.get('registered-models/search')).rejects.toThrow(
      /→ 401/,
    );
  });

  it('serves the registry: a seeded model has versions from runs, aliases and dataset inputs', async () => {
    const seeded = await seedMlflowModel(mlflow, {
      name: 'churn-model',
      description: 'Predicts churn.',
      versions: [
        { metrics: { auc: 0.8 }, params: { lr: '0.1' } },
        {
          metrics: { auc: 0.85 },
          tags: { framework: 'sklearn' },
          dataset: { name: 'churn-features', digest: 'abc123' },
        },
      ],
      aliases: { champion: '2' },
    });
    expect(seeded.versions.map(v => v.version)).toEqual(['1', '2']);

    const { model_version: champion } = await mlflow.get(
      'registered-models/alias',
      { name: 'churn-model', alias: 'champion' },
    );
    expect(champion).toMatchObject({
      version: '2',
      run_id: seeded.versions[1].runId,
      tags: [{ key: 'framework', value: 'sklearn' }],
    });
    const { run } = await mlflow.get('runs/get', {
      run_id: seeded.versions[1].runId,
    });
    expect(run.data.metrics).toEqual([
      expect.objectContaining({ key: 'auc', value: 0.85 }),
    ]);
    expect(run.inputs.dataset_inputs[0].dataset).toMatchObject({
      name: 'churn-features',
      digest: 'abc123',
    });
  });

  it('stops, freeing its port and removing its state', async () => {
    await mlflow.stop();
    expect(await isPortOpen(mlflow.port)).toBe(false);
    expect(fs.existsSync(mlflow.dir)).toBe(false);
  });
});
