import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  catalogProcessingExtensionPoint,
  EntityProvider,
} from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushDataset, pushModel } from '@mlplatform/plugin-ml-oci';
import {
  describeIfBinary,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import { catalogModuleMlRegistryModels } from './module';
import { RegistryModelEntityProvider } from './RegistryModelEntityProvider';

async function start(data: object, catalogEntities: Entity[] = []) {
  const providers: EntityProvider[] = [];
  await startTestBackend({
    extensionPoints: [
      [
        catalogProcessingExtensionPoint,
        {
          addEntityProvider: (...p: Array<EntityProvider | EntityProvider[]>) =>
            providers.push(...p.flat()),
          addProcessor: () => {},
          addPlaceholderResolver: () => {},
          setOnProcessingErrorHandler: () => {},
        },
      ],
    ],
    features: [
      catalogModuleMlRegistryModels,
      mockServices.rootConfig.factory({ data }),
      catalogServiceMock.factory({ entities: catalogEntities }),
    ],
  });
  return providers;
}

const registries = [
  { name: 'local', type: 'oci', url: 'http://127.0.0.1:5000' },
  { name: 'mlflow', type: 'mlflow', url: 'http://127.0.0.1:5001' },
];

describe('catalogModuleMlRegistryModels', () => {
  it('adds no provider unless catalog.providers.mlRegistryModels is set', async () => {
    expect(await start({ ml: { registries } })).toEqual([]);
  });

  it('adds the provider when configured', async () => {
    const providers = await start({
      ml: { registries },
      catalog: { providers: { mlRegistryModels: { defaultOwner: 'ml-team' } } },
    });
    expect(providers.map(p => p.getProviderName())).toEqual([
      'ml-registry-models',
    ]);
  });

  it('refuses a registry name that is not an OCI registry under ml.registries', async () => {
    await expect(
      start({
        ml: { registries },
        catalog: {
          providers: {
            mlRegistryModels: { registries: [{ name: 'mlflow' }] },
          },
        },
      }),
    ).rejects.toThrow(
      /catalog.providers.mlRegistryModels.registries\[0\].name "mlflow" is not an OCI registry under ml.registries/,
    );
  });

  it('refuses a dataset prefix equal to the model prefix, or not a string', async () => {
    const withRegistry = (entry: object) =>
      start({
        ml: { registries },
        catalog: {
          providers: {
            mlRegistryModels: { registries: [{ name: 'local', ...entry }] },
          },
        },
      });
    await expect(
      withRegistry({ prefix: 'ml/', datasetPrefix: 'ml/' }),
    ).rejects.toThrow(
      'catalog.providers.mlRegistryModels.registries[0].datasetPrefix must differ from prefix ("ml/"), or be false for no datasets',
    );
    await expect(withRegistry({ datasetPrefix: 3 })).rejects.toThrow(
      'catalog.providers.mlRegistryModels.registries[0].datasetPrefix must be a repository prefix such as datasets/, or false',
    );
  });
});

describeIfBinary(serverBinaries.registry)(
  'catalogModuleMlRegistryModels with a registry',
  () => {
    jest.setTimeout(60_000);

    it('ingests datasets under the default prefix, leaving repositories hand-written Models and Datasets describe to them', async () => {
      const registry = await startRegistry();
      try {
        for (const repository of ['datasets/described', 'datasets/ours']) {
          await pushDataset({
            registry: registry.url,
            repository,
            tag: 'v1',
            location: `s3://data/${repository}/`,
            owner: 'group:default/data-team',
          });
        }
        await pushModel({
          registry: registry.url,
          repository: 'models/described',
          tag: 'v1',
          file: { name: 'm.onnx', data: Buffer.from('w') },
          owner: 'group:default/data-team',
        });
        const handWritten = (kind: string, repository: string): Entity => ({
          apiVersion: 'mlplatform.io/v1alpha1',
          kind,
          metadata: {
            name: `hand-written-${kind.toLocaleLowerCase('en-US')}`,
            annotations: {
              'backstage.io/managed-by-location': 'url:https://example.com/x',
              'mlplatform.io/registry-ref': `oci://${registry.host}/${repository}`,
            },
          },
          spec: {},
        });
        const providers = await start(
          {
            ml: {
              registries: [{ name: 'local', type: 'oci', url: registry.url }],
            },
            catalog: {
              providers: {
                mlRegistryModels: {
                  schedule: {
                    frequency: { hours: 1 },
                    timeout: { minutes: 1 },
                    initialDelay: { hours: 1 },
                  },
                },
              },
            },
          },
          [
            handWritten('Dataset', 'datasets/described'),
            handWritten('Model', 'models/described'),
          ],
        );
        const provider = providers[0] as RegistryModelEntityProvider;
        const added: Entity[] = [];
        await provider.connect({
          applyMutation: async m => {
            if (m.type === 'full') added.push(...m.entities.map(e => e.entity));
          },
          refresh: async () => {},
        });
        expect(await provider.refresh()).toMatchObject({
          mutation: 'full',
          models: 0,
          datasets: 1,
        });
        expect(added.map(e => `${e.kind}:${e.metadata.name}`)).toEqual([
          'Dataset:ours',
        ]);
        provider.close();
      } finally {
        await registry.stop();
      }
    });
  },
);
