import { mockServices } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { DATASET_CONFIG_MEDIA_TYPE } from '@mlplatform/plugin-ml-common';
import {
  OciDistributionClient,
  pushDataset,
  pushModel,
} from '@mlplatform/plugin-ml-oci';
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

/** Runs an entity through the ML processor; returns its relations. */
async function process(entity: Entity) {
  const processor = new MlEntitiesProcessor();
  const location = { type: 'url', target: 'test' };
  const processed = await processor.preProcessEntity(entity);
  expect(await processor.validateEntityKind(processed)).toBe(true);
  const relations: string[] = [];
  await processor.postProcessEntity(processed, location, result => {
    if (result.type === 'relation') {
      const { source, type, target } = result.relation;
      relations.push(
        `${stringifyEntityRef(source)} ${type} ${stringifyEntityRef(target)}`,
      );
    }
  });
  return { processed, relations: relations.sort() };
}

describeIfBinary(serverBinaries.registry)(
  'RegistryModelEntityProvider with datasets',
  () => {
    let registry: RegistryHandle;
    let provider: RegistryModelEntityProvider;
    const connection = new CollectingConnection();
    const requests: string[] = [];
    const described = new Set<string>();
    const logger = mockServices.logger.mock();

    const push = (
      repository: string,
      tag: string,
      extra: Partial<Parameters<typeof pushDataset>[0]> = {},
    ) =>
      pushDataset({
        registry: registry.url,
        repository,
        tag,
        location: `s3://ml-data/${repository}/${tag}/`,
        created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
        ...extra,
      });

    beforeAll(async () => {
      registry = await startRegistry();
      for (const [tag, rows] of [
        ['v1', 1000],
        ['v2', 1500],
        ['v3', 2100],
      ] as const) {
        await push('datasets/fraud-features', tag, {
          datasetType: 'features',
          format: 'parquet',
          rows,
          classification: 'confidential',
          owner: 'group:default/fraud-team',
          producedBy: 'pipeline:default/fraud-features-pipeline',
          pipelineRun: `features-${tag}`,
          derivedFrom: ['card-transactions-raw'],
          schemaDigest: `sha256:${'ab'.repeat(32)}`,
          schemaRef: 'https://schemas.example.com/fraud/features.avsc',
          aliases: tag === 'v2' ? ['production'] : [],
          files: [{ name: 'schema.avsc', data: Buffer.from('{}') }],
        });
      }
      await push('datasets/raw/card-transactions', 'v1', { format: 'csv' });
      // A dataset version that does not say where its data is.
      const config = await registry.pushBlob('datasets/nowhere', '{}');
      await registry.putManifest('datasets/nowhere', 'v1', {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: DATASET_CONFIG_MEDIA_TYPE, ...config },
        layers: [],
        annotations: { 'mlplatform.io/owner': 'group:default/x' },
      });
      // A model pushed under the dataset prefix is not a dataset.
      await pushModel({
        registry: registry.url,
        repository: 'datasets/misplaced-model',
        tag: 'v1',
        file: { name: 'm.onnx', data: Buffer.from('w') },
        owner: 'group:default/x',
      });
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag: 'v1',
        file: { name: 'm.onnx', data: Buffer.from('weights') },
        owner: 'group:default/fraud-team',
        trainedOn: ['dataset:default/fraud-features'],
        aliases: ['production'],
      });
      await push('datasets/hand-written', 'v1', {
        owner: 'group:default/fraud-team',
      });
      described.add(`oci://${registry.host}/datasets/hand-written`);

      provider = new RegistryModelEntityProvider({
        sources: [
          {
            endpoint: { name: 'local', url: registry.url },
            prefix: 'models/',
          },
        ],
        logger,
        defaultOwner: 'group:default/data-platform',
        describedElsewhere: async () => described,
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

    it('ingests dataset repositories as valid Dataset entities with lineage, next to the models', async () => {
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'full',
        repositories: 6,
        entities: 3,
        models: 1,
        datasets: 2,
        failed: [],
      });
      expect([...connection.entities.keys()].sort()).toEqual([
        'dataset:default/fraud-features',
        'dataset:default/raw-card-transactions',
        'model:default/fraud-detector',
      ]);
      const features = connection.entities.get(
        'dataset:default/fraud-features',
      )!;
      // production points at v2: the entity describes v2, not the newest.
      expect(features.spec).toEqual({
        type: 'features',
        lifecycle: 'production',
        owner: 'group:default/fraud-team',
        location: 's3://ml-data/datasets/fraud-features/v2/',
        format: 'parquet',
        schema: { ref: 'https://schemas.example.com/fraud/features.avsc' },
        classification: 'confidential',
        derivedFrom: ['card-transactions-raw'],
        producedBy: 'pipeline:default/fraud-features-pipeline',
      });
      expect(features.metadata.annotations).toMatchObject({
        'mlplatform.io/registry-ref': `oci://${registry.host}/datasets/fraud-features`,
        'mlplatform.io/registry-versions': 'v3,v2,v1',
        'mlplatform.io/registry-aliases': 'production=v2',
        'mlplatform.io/rows': '1500',
        'mlplatform.io/schema-digest': `sha256:${'ab'.repeat(32)}`,
      });
      const { relations } = await process(features);
      expect(relations).toEqual([
        'dataset:default/card-transactions-raw sourceOf dataset:default/fraud-features',
        'dataset:default/fraud-features derivedFrom dataset:default/card-transactions-raw',
        'dataset:default/fraud-features ownedBy group:default/fraud-team',
        'dataset:default/fraud-features producedBy pipeline:default/fraud-features-pipeline',
        'group:default/fraud-team ownerOf dataset:default/fraud-features',
        'pipeline:default/fraud-features-pipeline produces dataset:default/fraud-features',
      ]);

      const raw = connection.entities.get(
        'dataset:default/raw-card-transactions',
      )!;
      expect(raw.spec).toEqual({
        type: 'table',
        lifecycle: 'experimental',
        owner: 'group:default/data-platform',
        location: 's3://ml-data/datasets/raw/card-transactions/v1/',
        format: 'csv',
      });
      const processedRaw = (await process(raw)).processed;
      expect(processedRaw.spec?.classification).toBe('internal');
      await process(connection.entities.get('model:default/fraud-detector')!);

      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringContaining(
          'skipped local/datasets/nowhere: version v1 has no mlplatform.io/location annotation',
        ),
      );
    });

    it('re-fetches nothing and emits nothing when the registry is unchanged', async () => {
      requests.length = 0;
      const mutationsBefore = connection.mutations.length;
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'delta',
        changed: 0,
        upserted: 0,
        datasets: 2,
      });
      expect(manifestGets()).toEqual([]);
      // As for models: the catalog, each repository's tags, a HEAD per alias.
      expect(requests.sort()).toEqual([
        'GET /v2/_catalog',
        'GET /v2/datasets/fraud-features/tags/list',
        'GET /v2/datasets/misplaced-model/tags/list',
        'GET /v2/datasets/nowhere/tags/list',
        'GET /v2/datasets/raw/card-transactions/tags/list',
        'GET /v2/models/fraud-detector/tags/list',
        'HEAD /v2/datasets/fraud-features/manifests/production',
        'HEAD /v2/models/fraud-detector/manifests/production',
      ]);
      expect(connection.mutations.length).toBe(mutationsBefore);
    });

    it('after the production alias moves, re-emits only that Dataset', async () => {
      const client = new OciDistributionClient({
        name: 'local',
        url: registry.url,
      });
      const v3 = await client.getManifest('datasets/fraud-features', 'v3');
      await client.putManifest(
        'datasets/fraud-features',
        'production',
        v3.raw,
        v3.mediaType,
      );
      client.close();

      requests.length = 0;
      const result = await provider.refresh();
      expect(result).toMatchObject({
        mutation: 'delta',
        changed: 1,
        upserted: 1,
        removed: 0,
        datasets: 2,
      });
      // v3's manifest, by digest: the first run did not read the newest
      // version, as production (v2) carried every annotation the entity
      // would take from it.
      expect(manifestGets()).toEqual([
        `GET /v2/datasets/fraud-features/manifests/${encodeURIComponent(
          v3.digest,
        )}`,
      ]);
      const last = connection.mutations[connection.mutations.length - 1];
      expect(
        last.type === 'delta' && last.added.map(d => d.entity.metadata.name),
      ).toEqual(['fraud-features']);
      const features = connection.entities.get(
        'dataset:default/fraud-features',
      )!;
      expect(features.metadata.annotations).toMatchObject({
        'mlplatform.io/registry-aliases': 'production=v3',
        'mlplatform.io/rows': '2100',
      });
      expect(features.spec?.location).toBe(
        's3://ml-data/datasets/fraud-features/v3/',
      );
      expect(connection.entities.size).toBe(3);
    });

    it('takes over a repository once no hand-written Dataset describes it', async () => {
      described.clear();
      const result = await provider.refresh();
      expect(result).toMatchObject({ mutation: 'delta', upserted: 1 });
      const entity = connection.entities.get('dataset:default/hand-written')!;
      expect(entity.spec?.owner).toBe('group:default/fraud-team');
      await process(entity);
    });
  },
);

describeIfBinary(serverBinaries.registry)('dataset prefixes', () => {
  it('ingests no datasets with datasetPrefix false, and gives a repository under both prefixes to the longer one', async () => {
    const registry = await startRegistry();
    try {
      await pushDataset({
        registry: registry.url,
        repository: 'ml/datasets/clicks',
        tag: 'v1',
        location: 'gs://clicks/2026/',
        owner: 'group:default/growth',
      });
      await pushModel({
        registry: registry.url,
        repository: 'ml/ranker',
        tag: 'v1',
        file: { name: 'm.onnx', data: Buffer.from('w') },
        owner: 'group:default/growth',
      });
      const ingest = async (datasetPrefix: string | false) => {
        const connection = new CollectingConnection();
        const provider = new RegistryModelEntityProvider({
          sources: [
            {
              endpoint: { name: 'r', url: registry.url },
              prefix: 'ml/',
              datasetPrefix,
            },
          ],
          logger: mockServices.logger.mock(),
        });
        await provider.connect(connection);
        const result = await provider.refresh();
        provider.close();
        return { result, refs: [...connection.entities.keys()].sort() };
      };
      expect(await ingest('ml/datasets/')).toMatchObject({
        result: { models: 1, datasets: 1 },
        refs: ['dataset:default/clicks', 'model:default/ranker'],
      });
      // Without datasets, the dataset repository is read as a model
      // repository and holds no model: no entity.
      expect(await ingest(false)).toMatchObject({
        result: { models: 1, datasets: 0 },
        refs: ['model:default/ranker'],
      });
    } finally {
      await registry.stop();
    }
  });
});
