import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  catalogProcessingExtensionPoint,
  EntityProvider,
} from '@backstage/plugin-catalog-node';
import { catalogModuleMlRegistryModels } from './module';

async function start(data: object) {
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
});
