import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import {
  catalogProcessingExtensionPoint,
  EntityProvider,
} from '@backstage/plugin-catalog-node';
import { catalogModuleMlFeast } from './module';

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
    features: [catalogModuleMlFeast, mockServices.rootConfig.factory({ data })],
  });
  return providers;
}

describe('catalogModuleMlFeast', () => {
  it('adds no provider unless catalog.providers.mlFeast is set', async () => {
    expect(await start({})).toEqual([]);
  });

  it('adds the provider, named after the registry, when configured', async () => {
    const providers = await start({
      catalog: {
        providers: {
          mlFeast: {
            name: 'team-feast',
            url: 'http://127.0.0.1:6572',
            projects: ['fraud'],
            defaultOwner: 'ml-platform',
          },
        },
      },
    });
    expect(providers.map(p => p.getProviderName())).toEqual([
      'ml-feast:team-feast',
    ]);
  });

  it.each([
    [{ url: 'not a url' }, /catalog.providers.mlFeast.url is not a URL/],
    [
      { url: 'file:///etc/passwd' },
      /catalog.providers.mlFeast.url must be an http\(s\) URL/,
    ],
    [
      { url: 'http://127.0.0.1:6572', name: 'Team Feast' },
      /catalog.providers.mlFeast.name must be lower-case/,
    ],
    [
      { url: 'http://127.0.0.1:6572', defaultOwner: 'not a ref!' },
      /catalog.providers.mlFeast.defaultOwner is not an entity reference/,
    ],
  ])('refuses bad config %j', async (mlFeast, message) => {
    await expect(
      start({ catalog: { providers: { mlFeast } } }),
    ).rejects.toThrow(message);
  });
});
