import { mockServices } from '@backstage/backend-test-utils';
import {
  describeIfBinary,
  getFreePort,
  MlflowHandle,
  mlflowBinary,
  MlflowSeededModel,
  seedMlflowModel,
  startMlflow,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import { MlflowRegistryAdapter } from './MlflowRegistryAdapter';
import { RegistryService } from './RegistryService';

jest.setTimeout(30_000);

const admin = { username: 'admin', password: 'mlflow-Adm1n-password' };

/**
 * The REST API requests MLflow has answered so far, from its access log.
 * A marker request is logged after every earlier one (one worker), so
 * waiting for it makes the count exact.
 */
async function requestsSoFar(mlflow: MlflowHandle): Promise<string[]> {
  const marker = `marker-${Date.now()}-${Math.random()}`;
  await fetch(`${mlflow.url}/health?${marker}`);
  for (let i = 0; i < 100; i++) {
    const log = fs.readFileSync(mlflow.logFile, 'utf8');
    if (log.includes(marker)) {
      return [
        ...log.matchAll(/"(GET|POST) \/api\/2\.0\/mlflow\/([^? ]+)/g),
      ].map(m => `${m[1]} ${m[2]}`);
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`MLflow did not log ${marker}`);
}

describeIfBinary(mlflowBinary)('MLflow registry adapter (real MLflow)', () => {
  let mlflow: MlflowHandle;
  let seeded: MlflowSeededModel;
  let service: RegistryService;
  const ref = 'mlflow://transaction-anomaly';
  const t0 = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    mlflow = await startMlflow({ basicAuth: admin });
    seeded = await seedMlflowModel(mlflow, {
      name: 'transaction-anomaly',
      description: 'Unsupervised anomaly score.',
      experiment: 'fraud/transaction-anomaly',
      versions: [0.4, 0.41, 0.42].map((precision, i) => ({
        startTime: t0 + i * 86_400_000,
        metrics: { precision_at_1pct: precision },
        params: { n_estimators: String(100 * (i + 1)) },
        tags: { framework: 'sklearn' },
        dataset: { name: 'fraud-features', digest: `d${i}` },
      })),
      aliases: { champion: '1' },
    });
    service = RegistryService.create({
      registries: [
        { name: 'mlflow', type: 'mlflow', url: mlflow.url, ...admin },
      ],
      logger: mockServices.logger.mock(),
      versionsCacheTtlMs: 0,
    });
  }, 120_000);
  afterAll(async () => {
    service?.close();
    await mlflow?.stop();
  });

  it('lists versions newest first with aliases, run metrics, run links and dataset digests', async () => {
    const versions = await service.listVersions(ref);
    expect(versions.map(v => [v.version, v.aliases])).toEqual([
      ['3', []],
      ['2', []],
      ['1', ['champion']],
    ]);
    expect(versions[0]).toMatchObject({
      metrics: { precision_at_1pct: 0.42 },
      framework: 'sklearn',
      sourceRun: {
        id: seeded.versions[2].runId,
        url: `${mlflow.url}/#/experiments/${seeded.experimentId}/runs/${seeded.versions[2].runId}`,
      },
      datasetDigests: ['d2'],
      annotations: { framework: 'sklearn' },
    });
    // Registered just now, not at the run's start.
    expect(Date.parse(versions[0].created!)).toBeGreaterThan(
      Date.now() - 600_000,
    );
  });

  it('walks every page of model-versions/search with page_token', async () => {
    const adapter = new MlflowRegistryAdapter(
      { name: 'mlflow', url: mlflow.url, ...admin },
      { pageSize: 2 },
    );
    try {
      const before = (await requestsSoFar(mlflow)).length;
      const versions = await adapter.listVersions(ref);
      expect(versions.map(v => v.version)).toEqual(['3', '2', '1']);
      const sent = (await requestsSoFar(mlflow)).slice(before);
      expect(sent.filter(r => r === 'GET model-versions/search')).toHaveLength(
        2,
      );
    } finally {
      adapter.close();
    }
  });

  it('moves an alias and reports the previous version', async () => {
    expect(await service.setAlias(ref, 'champion', '3')).toEqual({
      previousVersion: '1',
    });
    expect(await service.setAlias(ref, 'challenger', '2')).toEqual({
      previousVersion: undefined,
    });
    const { model_version: champion } = await mlflow.get(
      'registered-models/alias',
      { name: 'transaction-anomaly', alias: 'champion' },
    );
    expect(champion.version).toBe('3');
    const versions = await service.listVersions(ref);
    expect(versions.map(v => [v.version, v.aliases])).toEqual([
      ['3', ['champion']],
      ['2', ['challenger']],
      ['1', []],
    ]);
  });

  it('refuses bad input before sending anything and maps MLflow errors', async () => {
    const before = (await requestsSoFar(mlflow)).length;
    await expect(service.setAlias(ref, 'v2', '2')).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/may not be v<number>/),
    });
    await expect(service.setAlias(ref, 'champion', 'latest')).rejects.toThrow(
      /MLflow versions are numbers/,
    );
    await expect(service.listVersions('mlflow://bad name')).rejects.toThrow(
      /Invalid registry ref "mlflow:\/\/bad name"/,
    );
    expect(await requestsSoFar(mlflow)).toHaveLength(before);

    await expect(service.setAlias(ref, 'champion', '9')).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringMatching(
        /^Version 9 of "transaction-anomaly" not found in MLflow registry "mlflow" \(127\.0\.0\.1:\d+\): RESOURCE_DOES_NOT_EXIST /,
      ),
    });
    const { model_version: champion } = await mlflow.get(
      'registered-models/alias',
      { name: 'transaction-anomaly', alias: 'champion' },
    );
    expect(champion.version).toBe('3');
    await expect(
      service.listVersions('mlflow://unknown-model'),
    ).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('refuses an MLflow ref when no MLflow is configured, without contacting one', async () => {
    const ociOnly = RegistryService.create({
      registries: [{ name: 'oci', type: 'oci', url: 'http://127.0.0.1:1' }],
      logger: mockServices.logger.mock(),
    });
    const before = (await requestsSoFar(mlflow)).length;
    await expect(ociOnly.listVersions(ref)).rejects.toMatchObject({
      name: 'InputError',
      message: `No registry of type mlflow is configured under ml.registries for "${ref}"`,
    });
    expect(await requestsSoFar(mlflow)).toHaveLength(before);
    ociOnly.close();
  });

  it('maps a wrong password (401) and an unreachable server to errors naming the registry', async () => {
    const wrong = RegistryService.create({
      registries: [
        {
          name: 'mlflow',
          type: 'mlflow',
          url: mlflow.url,
          username: admin.username,
          password: 'nope',
        },
      ],
      logger: mockServices.logger.mock(),
    });
    await expect(wrong.listVersions(ref)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(
        /The MLflow registry "mlflow" \(127\.0\.0\.1:\d+\) refused the configured credentials .*\(HTTP 401\)/,
      ),
    });
    wrong.close();

    const closedPort = await getFreePort();
    const down = RegistryService.create({
      registries: [
        {
          name: 'team-mlflow',
          type: 'mlflow',
          url: `http://127.0.0.1:${closedPort}`,
        },
      ],
      logger: mockServices.logger.mock(),
    });
    await expect(down.listVersions(ref)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: `MLflow registry "team-mlflow" (127.0.0.1:${closedPort}) is unreachable: ECONNREFUSED`,
    });
    down.close();
  });
});
