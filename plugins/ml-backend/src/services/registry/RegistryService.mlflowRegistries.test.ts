import { mockServices } from '@backstage/backend-test-utils';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  seedMlflowModel,
  startMlflow,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import { RegistryService } from './RegistryService';

jest.setTimeout(30_000);

/** Lines of MLflow's access log: one per request it answered. */
function apiRequests(mlflow: MlflowHandle): number {
  return fs
    .readFileSync(mlflow.logFile, 'utf8')
    .split('\n')
    .filter(l => l.includes('/api/2.0/mlflow/')).length;
}

describeIfBinary(mlflowBinary)(
  'RegistryService with two MLflow registries (real MLflow)',
  () => {
    let teamA: MlflowHandle;
    let teamB: MlflowHandle;
    let service: RegistryService;

    beforeAll(async () => {
      [teamA, teamB] = await Promise.all([startMlflow(), startMlflow()]);
      // The same registered model name in both, with different histories.
      await seedMlflowModel(teamA, {
        name: 'churn',
        versions: [{ metrics: { auc: 0.7 } }],
      });
      await seedMlflowModel(teamB, {
        name: 'churn',
        versions: [{ metrics: { auc: 0.8 } }, { metrics: { auc: 0.9 } }],
        aliases: { champion: '2' },
      });
      service = RegistryService.create({
        registries: [
          { name: 'team-a', type: 'mlflow', url: teamA.url },
          { name: 'team-b', type: 'mlflow', url: teamB.url },
        ],
        logger: mockServices.logger.mock(),
        versionsCacheTtlMs: 0,
      });
    }, 180_000);
    afterAll(async () => {
      service?.close();
      await Promise.all([teamA?.stop(), teamB?.stop()]);
    });

    it('reads each qualified ref from its own registry', async () => {
      const a = await service.listVersions('mlflow://team-a/churn');
      const b = await service.listVersions('mlflow://team-b/churn');
      expect(a.map(v => [v.version, v.metrics?.auc])).toEqual([['1', 0.7]]);
      expect(b.map(v => [v.version, v.aliases, v.metrics?.auc])).toEqual([
        ['2', ['champion'], 0.9],
        ['1', [], 0.8],
      ]);
      expect(service.registryName('mlflow://team-b/churn')).toBe('team-b');
    });

    it('moves an alias in the named registry only', async () => {
      expect(
        await service.setAlias('mlflow://team-a/churn', 'champion', '1'),
      ).toEqual({ previousVersion: undefined });
      const b = await service.listVersions('mlflow://team-b/churn');
      expect(b.find(v => v.version === '2')?.aliases).toEqual(['champion']);
    });

    it('refuses a bare ref while two MLflow registries are configured, naming both', async () => {
      const before = apiRequests(teamA) + apiRequests(teamB);
      await expect(
        service.listVersions('mlflow://churn'),
      ).rejects.toMatchObject({
        name: 'InputError',
        message:
          'Registry ref "mlflow://churn" is ambiguous: 2 MLflow registries are configured under ml.registries ("team-a", "team-b"); name one, as mlflow://<registry>/churn',
      });
      expect(apiRequests(teamA) + apiRequests(teamB)).toBe(before);
    });

    it('refuses an unknown registry name before contacting anything', async () => {
      const before = apiRequests(teamA) + apiRequests(teamB);
      await expect(
        service.setAlias('mlflow://team-c/churn', 'champion', '1'),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringContaining(
          'MLflow registry "team-c" of "mlflow://team-c/churn" is not configured under ml.registries (MLflow registries: "team-a", "team-b")',
        ),
      });
      expect(() => service.resolve('mlflow://team-a/a/churn')).toThrow(
        /Invalid registry ref/,
      );
      expect(apiRequests(teamA) + apiRequests(teamB)).toBe(before);
    });
  },
);

describe('RegistryService with one MLflow registry', () => {
  it('serves the bare ref and the qualified one from it', () => {
    const service = RegistryService.create({
      registries: [
        { name: 'mlflow', type: 'mlflow', url: 'http://127.0.0.1:1' },
        { name: 'oci', type: 'oci', url: 'http://127.0.0.1:2' },
      ],
      logger: mockServices.logger.mock(),
    });
    expect(service.registryName('mlflow://churn')).toBe('mlflow');
    expect(service.registryName('mlflow://mlflow/churn')).toBe('mlflow');
    expect(() => service.resolve('mlflow://other/churn')).toThrow(
      /MLflow registry "other" .* \(MLflow registries: "mlflow"\)/,
    );
    service.close();
  });
});
