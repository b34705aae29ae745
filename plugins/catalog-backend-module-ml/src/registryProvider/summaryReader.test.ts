import {
  OciDistributionClient,
  OciModelSummaryReader,
  pushDataset,
  pushModel,
} from '@mlplatform/plugin-ml-oci';
import {
  DATASET_CONFIG_MEDIA_TYPE,
  MODEL_CONFIG_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';

jest.setTimeout(60_000);

describeIfBinary(serverBinaries.registry)('OciModelSummaryReader', () => {
  let registry: RegistryHandle;
  let client: OciDistributionClient;
  const requests: string[] = [];

  const push = (repository: string, tag: string, aliases: string[] = []) =>
    pushModel({
      registry: registry.url,
      repository,
      tag,
      file: { name: 'model.onnx', data: Buffer.from(`${repository}:${tag}`) },
      created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
      owner: 'group:default/fraud-team',
      metrics: { auc: Number(tag.slice(1)) / 10 },
      aliases,
    });

  /** A model manifest as an older pusher wrote it: no version annotation. */
  const putLegacy = async (repository: string, tag: string) => {
    const config = await registry.pushBlob(repository, `{"v":"${tag}"}`);
    await registry.putManifest(repository, tag, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: MODEL_CONFIG_MEDIA_TYPE, ...config },
      layers: [],
      annotations: { 'mlplatform.io/owner': 'group:default/x', tag },
    });
  };

  beforeAll(async () => {
    registry = await startRegistry();
    await push('models/a', 'v1');
    await push('models/a', 'v2', ['production']);
    await push('models/a', 'v3');
    await putLegacy('models/legacy', 'v1');
    await putLegacy('models/legacy', 'v2');
    await push('models/mixed', 'v3');
    const image = await registry.pushBlob('models/mixed', '{}');
    await registry.putManifest('models/mixed', 'v4', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        ...image,
      },
      layers: [],
    });
    client = new OciDistributionClient(
      { name: 'local', url: registry.url },
      {
        onRequest: (method, url) => requests.push(`${method} ${url.pathname}`),
      },
    );
  });

  afterAll(async () => {
    client?.close();
    await registry?.stop();
  });

  it('reads tags, the newest version and each alias: three requests', async () => {
    const reader = new OciModelSummaryReader(client);
    requests.length = 0;
    const summary = await reader.readRepositorySummary('models/a');
    expect(requests).toEqual([
      'GET /v2/models/a/tags/list',
      'GET /v2/models/a/manifests/v3',
      'GET /v2/models/a/manifests/production',
    ]);
    expect(summary.versionNames).toEqual(['v3', 'v2', 'v1']);
    expect(summary.aliases).toEqual({ production: 'v2' });
    expect(summary.current).toMatchObject({
      version: 'v2',
      aliases: ['production'],
      metrics: { auc: 0.2 },
    });
    expect(summary.newest).toMatchObject({ version: 'v3', aliases: [] });

    // Unchanged: a tags/list and a HEAD of the alias, same summary.
    requests.length = 0;
    const again = await reader.readRepositorySummary('models/a');
    expect(requests).toEqual([
      'GET /v2/models/a/tags/list',
      'HEAD /v2/models/a/manifests/production',
    ]);
    expect(again.fingerprint).toBe(summary.fingerprint);

    // The alias moves: no version manifest is downloaded again.
    const v3 = await client.getManifest('models/a', 'v3');
    await client.putManifest(
      'models/a',
      'production',
      v3.raw,
      'application/vnd.oci.image.manifest.v1+json',
    );
    requests.length = 0;
    const moved = await reader.readRepositorySummary('models/a');
    expect(moved.fingerprint).not.toBe(summary.fingerprint);
    expect(moved.aliases).toEqual({ production: 'v3' });
    expect(moved.current?.version).toBe('v3');
    expect(requests.filter(r => r.includes('/manifests/v'))).toEqual([]);
  });

  it('with newestFallbackFor, reads the newest version only when production lacks one of those annotations', async () => {
    // models/a's versions carry an owner but no model type.
    const sparing = new OciModelSummaryReader(client, {
      newestFallbackFor: ['mlplatform.io/owner'],
    });
    requests.length = 0;
    const summary = await sparing.readRepositorySummary('models/a');
    expect(requests).toEqual([
      'GET /v2/models/a/tags/list',
      'GET /v2/models/a/manifests/production',
    ]);
    expect(summary.current).toMatchObject({
      version: summary.aliases.production,
      aliases: ['production'],
    });
    expect(summary.newest).toBeUndefined();

    const needing = new OciModelSummaryReader(client, {
      newestFallbackFor: ['mlplatform.io/owner', 'mlplatform.io/model-type'],
    });
    requests.length = 0;
    const full = await needing.readRepositorySummary('models/a');
    expect(requests).toEqual([
      'GET /v2/models/a/tags/list',
      'GET /v2/models/a/manifests/production',
      'GET /v2/models/a/manifests/v3',
    ]);
    expect(full.current?.version).toBe(summary.current?.version);
  });

  it('finds the version of an alias without a version annotation by digest', async () => {
    const v1 = await client.getManifest('models/legacy', 'v1');
    await client.putManifest(
      'models/legacy',
      'production',
      v1.raw,
      'application/vnd.oci.image.manifest.v1+json',
    );
    const reader = new OciModelSummaryReader(client);
    requests.length = 0;
    const summary = await reader.readRepositorySummary('models/legacy');
    expect(summary.aliases).toEqual({ production: 'v1' });
    expect(requests).toEqual([
      'GET /v2/models/legacy/tags/list',
      'GET /v2/models/legacy/manifests/v2',
      'GET /v2/models/legacy/manifests/production',
      'HEAD /v2/models/legacy/manifests/v1',
    ]);
  });

  it('skips artifacts that are not models when picking the newest version', async () => {
    const reader = new OciModelSummaryReader(client);
    const summary = await reader.readRepositorySummary('models/mixed');
    expect(summary.versionNames).toEqual(['v4', 'v3']);
    expect(summary.current?.version).toBe('v3');
    expect(summary.newest).toBeUndefined();
  });

  it('reads dataset repositories with the dataset config media type, and only dataset versions', async () => {
    for (const tag of ['v1', 'v2']) {
      await pushDataset({
        registry: registry.url,
        repository: 'datasets/mixed',
        tag,
        location: `s3://data/${tag}/`,
        rows: Number(tag.slice(1)) * 10,
        created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
        aliases: tag === 'v1' ? ['production'] : [],
      });
    }
    // A model pushed to the dataset repository by mistake, newest of all.
    await pushModel({
      registry: registry.url,
      repository: 'datasets/mixed',
      tag: 'v3',
      file: { name: 'm.onnx', data: Buffer.from('w') },
    });
    const datasets = new OciModelSummaryReader(client, {
      configMediaType: DATASET_CONFIG_MEDIA_TYPE,
    });
    const summary = await datasets.readRepositorySummary('datasets/mixed');
    expect(summary.aliases).toEqual({ production: 'v1' });
    expect(summary.current).toMatchObject({
      version: 'v1',
      annotations: {
        'mlplatform.io/location': 's3://data/v1/',
        'mlplatform.io/rows': '10',
      },
    });
    expect(summary.newest).toMatchObject({
      version: 'v2',
      annotations: { 'mlplatform.io/location': 's3://data/v2/' },
    });
    // The model reader sees only the model, and no dataset alias.
    const models = new OciModelSummaryReader(client);
    const asModels = await models.readRepositorySummary('datasets/mixed');
    expect(asModels.current?.version).toBe('v3');
    expect(asModels.aliases).toEqual({});
  });
});
