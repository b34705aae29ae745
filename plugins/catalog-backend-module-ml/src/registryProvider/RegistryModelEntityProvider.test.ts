import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { OciDistributionClient, pushModel } from '@mlplatform/plugin-ml-oci';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import { CollectingConnection } from '../__testUtils__/collectingConnection';
import { MlEntitiesProcessor } from '../processor/MlEntitiesProcessor';
import { RegistryModelEntityProvider } from './RegistryModelEntityProvider';

jest.setTimeout(60_000);

async function validate(entity: Entity) {
  const processor = new MlEntitiesProcessor();
  return processor.validateEntityKind(await processor.preProcessEntity(entity));
}

describeIfBinary(serverBinaries.registry)('RegistryModelEntityProvider', () => {
  describe.each([
    ['without auth', undefined],
    ['with basic auth', { username: 'ingest', password: 'pw' }],
  ] as const)('%s', (_label, htpasswd) => {
    let registry: RegistryHandle;
    let provider: RegistryModelEntityProvider;
    const connection = new CollectingConnection();
    const requests: string[] = [];
    const push = (
      repository: string,
      tag: string,
      extra: Partial<Parameters<typeof pushModel>[0]> = {},
    ) =>
      pushModel({
        registry: registry.url,
        ...htpasswd,
        repository,
        tag,
        file: {
          name: 'model.onnx',
          data: Buffer.from(`weights of ${repository}`),
        },
        created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
        ...extra,
      });

    beforeAll(async () => {
      registry = await startRegistry(htpasswd ? { htpasswd } : {});
      for (const [tag, auc] of [
        ['v1', 0.91],
        ['v2', 0.95],
        ['v3', 0.97],
      ] as const) {
        await push('models/fraud-detector', tag, {
          framework: 'onnx',
          metrics: { auc },
          owner: 'group:default/fraud-team',
          pipeline: 'pipeline:default/fraud-detector-training',
          trainedOn: ['dataset:default/fraud-features', 'chargeback-labels'],
          modelType: 'classifier',
          aliases: tag === 'v2' ? ['production'] : [],
        });
      }
      await push('models/recsys/ranker', 'v1', { framework: 'xgboost' });
      await push('other/outside-prefix', 'v1', {
        owner: 'group:default/x',
      });
      // A container image next to the models: not a model artifact.
      const blob = await registry.pushBlob('models/webapp', '{}');
      await registry.putManifest('models/webapp', 'latest', {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          ...blob,
        },
        layers: [],
      });
      provider = new RegistryModelEntityProvider({
        sources: [
          {
            endpoint: { name: 'local', url: registry.url, ...htpasswd },
            prefix: 'models/',
          },
        ],
        logger: mockServices.logger.mock(),
        defaultOwner: 'group:default/ml-platform',
        clientOptions: {
          onRequest: (method, url) =>
            requests.push(`${method} ${url.pathname}`),
        },
      });
      await provider.connect(connection);
    });

    afterAll(async () => {
      provider?.close();
      await registry?.stop();
    });

    const manifestGets = () =>
      requests.filter(r => /^GET .*\/manifests\//.test(r));

    it('ingests model repositories under the prefix as valid Model entities', async () => {
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'full',
        repositories: 3,
        entities: 2,
        failed: [],
      });
      expect([...connection.entities.keys()].sort()).toEqual([
        'model:default/fraud-detector',
        'model:default/recsys-ranker',
      ]);
      const fraud = connection.entities.get('model:default/fraud-detector')!;
      expect(fraud.spec).toEqual({
        type: 'classifier',
        lifecycle: 'production',
        owner: 'group:default/fraud-team',
        registry: `oci://${registry.host}/models/fraud-detector`,
        framework: 'onnx',
        trainedOn: ['dataset:default/fraud-features', 'chargeback-labels'],
        producedBy: 'pipeline:default/fraud-detector-training',
        metrics: { auc: 0.95 },
      });
      expect(fraud.metadata.annotations).toMatchObject({
        'mlplatform.io/registry-ref': `oci://${registry.host}/models/fraud-detector`,
        'mlplatform.io/registry-versions': 'v3,v2,v1',
        'mlplatform.io/registry-aliases': 'production=v2',
      });
      const recsys = connection.entities.get('model:default/recsys-ranker')!;
      expect(recsys.spec).toMatchObject({
        type: 'model',
        lifecycle: 'experimental',
        owner: 'group:default/ml-platform',
        framework: 'xgboost',
      });
      for (const entity of connection.entities.values()) {
        expect(await validate(entity)).toBe(true);
      }
    });

    it('re-fetches nothing and emits nothing when the registry is unchanged', async () => {
      requests.length = 0;
      const mutationsBefore = connection.mutations.length;
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'delta',
        changed: 0,
        upserted: 0,
      });
      expect(manifestGets()).toEqual([]);
      // The catalog, each repository's tags, and a HEAD per alias tag only.
      expect(requests.sort()).toEqual([
        'GET /v2/_catalog',
        'GET /v2/models/fraud-detector/tags/list',
        'GET /v2/models/recsys/ranker/tags/list',
        'GET /v2/models/webapp/tags/list',
        'HEAD /v2/models/fraud-detector/manifests/production',
        'HEAD /v2/models/webapp/manifests/latest',
      ]);
      expect(connection.mutations.length).toBe(mutationsBefore);
      expect(connection.entities.size).toBe(2);
    });

    it('after a promotion and a new model, updates only what changed, without duplicates', async () => {
      // Promote production v2 -> v3 the way the ML backend does: re-tag.
      const client = new OciDistributionClient({
        name: 'local',
        url: registry.url,
        ...htpasswd,
      });
      const v3 = await client.getManifest('models/fraud-detector', 'v3');
      await client.putManifest(
        'models/fraud-detector',
        'production',
        v3.raw,
        v3.mediaType,
      );
      client.close();
      await push('models/churn', 'v1', { owner: 'group:default/growth' });

      requests.length = 0;
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'delta',
        changed: 2,
        upserted: 2,
        removed: 0,
        entities: 3,
      });
      // The new model's manifest, and v3's by the digest production now
      // points at: the first run did not read v3 (production, v2, carried
      // every annotation the entity takes from the newest version). recsys
      // is untouched.
      expect(manifestGets().sort()).toEqual([
        'GET /v2/models/churn/manifests/v1',
        `GET /v2/models/fraud-detector/manifests/${encodeURIComponent(
          v3.digest,
        )}`,
      ]);
      expect(
        requests.filter(r => r.includes('recsys/ranker/manifests')),
      ).toEqual([]);
      const last = connection.mutations[connection.mutations.length - 1];
      expect(last.type).toBe('delta');
      expect(
        last.type === 'delta' &&
          last.added.map(d => d.entity.metadata.name).sort(),
      ).toEqual(['churn', 'fraud-detector']);

      const fraud = connection.entities.get('model:default/fraud-detector')!;
      expect(
        fraud.metadata.annotations?.['mlplatform.io/registry-aliases'],
      ).toBe('production=v3');
      expect(fraud.spec?.metrics).toEqual({ auc: 0.97 });
      expect([...connection.entities.keys()].sort()).toEqual([
        'model:default/churn',
        'model:default/fraud-detector',
        'model:default/recsys-ranker',
      ]);
    });

    it('removes the Model of a repository whose versions were all deleted', async () => {
      const head = await registry.request('/v2/models/churn/manifests/v1', {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      const digest = head.headers.get('docker-content-digest');
      const del = await registry.request(
        `/v2/models/churn/manifests/${digest}`,
        {
          method: 'DELETE',
        },
      );
      expect(del.status).toBe(202);
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'delta',
        removed: 1,
        entities: 2,
      });
      expect(connection.entities.has('model:default/churn')).toBe(false);
    });
  });

  it('keeps its entities and applies nothing when the registry is down at first', async () => {
    const connection = new CollectingConnection();
    const provider = new RegistryModelEntityProvider({
      sources: [
        {
          endpoint: { name: 'down', url: 'http://127.0.0.1:1' },
          prefix: 'models/',
        },
      ],
      logger: mockServices.logger.mock(),
    });
    await provider.connect(connection);
    expect(await provider.refresh()).toMatchObject({
      mutation: 'none',
      failed: ['down'],
    });
    expect(connection.mutations).toEqual([]);
    provider.close();
  });
  it('leaves repositories that other entities describe to them, and waits while the catalog cannot say', async () => {
    const registry = await startRegistry();
    try {
      for (const repository of ['models/hand-written', 'models/only-here']) {
        await pushModel({
          registry: registry.url,
          repository,
          tag: 'v1',
          file: { name: 'm.onnx', data: Buffer.from(repository) },
          owner: 'group:default/fraud-team',
        });
      }
      let described: Set<string> | Error = new Error('catalog not ready');
      const connection = new CollectingConnection();
      const provider = new RegistryModelEntityProvider({
        sources: [
          { endpoint: { name: 'r', url: registry.url }, prefix: 'models/' },
        ],
        logger: mockServices.logger.mock(),
        describedElsewhere: async () => {
          if (described instanceof Error) throw described;
          return described;
        },
      });
      await provider.connect(connection);
      expect(await provider.refresh()).toMatchObject({ mutation: 'none' });
      expect(connection.mutations).toEqual([]);

      described = new Set([`oci://${registry.host}/models/hand-written`]);
      expect(await provider.refresh()).toMatchObject({
        mutation: 'full',
        entities: 1,
      });
      expect([...connection.entities.keys()]).toEqual([
        'model:default/only-here',
      ]);

      // The hand-written entity goes away: the provider takes over.
      described = new Set();
      expect(await provider.refresh()).toMatchObject({
        mutation: 'delta',
        upserted: 1,
      });
      expect([...connection.entities.keys()].sort()).toEqual([
        'model:default/hand-written',
        'model:default/only-here',
      ]);
      provider.close();
    } finally {
      await registry.stop();
    }
  });
});
