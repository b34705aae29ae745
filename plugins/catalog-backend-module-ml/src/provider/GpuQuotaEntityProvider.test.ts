import { mockServices } from '@backstage/backend-test-utils';
import { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import {
  GpuQuotasResponse,
  MlApiClient,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import { DefaultMlService } from '@mlplatform/plugin-ml-node';
import { MlEntitiesProcessor } from '../processor/MlEntitiesProcessor';
import { GpuQuotaEntityProvider, toEntities } from './GpuQuotaEntityProvider';
import http from 'node:http';
import { AddressInfo } from 'node:net';

const fraud: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  team: 'group:default/fraud-team',
  source: 'resourcequota',
  name: 'gpu-quota',
  resources: [
    { resource: 'nvidia.com/gpu', hard: 8, used: 5, free: 3, borrowable: 0 },
  ],
  pending: [],
};
const nlp: NamespaceGpuQuota = {
  cluster: 'gpu-cluster-b',
  namespace: 'nlp',
  team: 'group:default/nlp-team',
  source: 'kueue',
  name: 'nlp-cq',
  clusterQueue: 'nlp-cq',
  localQueue: 'nlp-lq',
  resources: [
    {
      resource: 'nvidia.com/gpu',
      flavor: 'h100',
      hard: 4,
      used: 4,
      free: 0,
      borrowable: 0,
    },
    {
      resource: 'nvidia.com/mig-1g.10gb',
      flavor: 'a100-mig',
      hard: 14,
      used: 10,
      free: 4,
      borrowable: 2,
      borrowingLimit: 7,
    },
  ],
  pending: [],
};

describe('toEntities', () => {
  it('maps a ResourceQuota and a Kueue queue to valid GpuQuota entities', async () => {
    const entities = toEntities([fraud, nlp], undefined);
    expect(entities.map(e => e.metadata.name)).toEqual([
      'fraud-gpu-quota',
      'nlp-gpu-quota',
    ]);
    expect(entities[0].spec).toEqual({
      owner: 'group:default/fraud-team',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      source: { type: 'resourcequota', resourceQuota: 'gpu-quota' },
      limits: { gpus: { 'nvidia.com/gpu': 8 } },
    });
    expect(entities[1].spec).toMatchObject({
      source: { type: 'kueue', clusterQueue: 'nlp-cq', localQueue: 'nlp-lq' },
      limits: { gpus: { 'nvidia.com/gpu': 4, 'nvidia.com/mig-1g.10gb': 14 } },
      borrowingLimit: { gpus: { 'nvidia.com/mig-1g.10gb': 7 } },
    });
    // What the provider emits passes the ML processor's schema validation.
    const processor = new MlEntitiesProcessor();
    for (const entity of entities) {
      await expect(processor.validateEntityKind(entity as any)).resolves.toBe(
        true,
      );
    }
  });

  it('disambiguates names when a namespace appears on several clusters or quotas', () => {
    const names = toEntities(
      [
        fraud,
        { ...fraud, cluster: 'gpu-cluster-b' },
        { ...fraud, cluster: 'gpu-cluster-b', name: 'gpu-quota-2' },
      ],
      undefined,
    ).map(e => e.metadata.name);
    expect(names).toEqual([
      'fraud-gpu-cluster-a-gpu-quota',
      'fraud-gpu-cluster-b-gpu-quota-gpu-quota',
      'fraud-gpu-cluster-b-gpu-quota-2-gpu-quota',
    ]);
    expect(new Set(names).size).toBe(3);
  });

  it('keeps names within 63 characters and unique', () => {
    const long = 'n'.repeat(60);
    const names = toEntities(
      [
        { ...fraud, namespace: long, name: 'a' },
        { ...fraud, namespace: long, name: 'b' },
      ],
      undefined,
    ).map(e => e.metadata.name);
    expect(names.every(n => n.length <= 63)).toBe(true);
    expect(names[0]).not.toEqual(names[1]);
  });

  it('uses the default owner for unlabelled namespaces, else skips them', () => {
    const unlabelled = { ...fraud, team: undefined };
    const skipped: string[] = [];
    expect(toEntities([unlabelled], undefined, s => skipped.push(s))).toEqual(
      [],
    );
    expect(skipped).toEqual(['namespace fraud on gpu-cluster-a']);
    expect(
      toEntities([unlabelled], 'group:default/platform')[0].spec.owner,
    ).toBe('group:default/platform');
  });

  it('ignores quotas without GPU resources', () => {
    expect(toEntities([{ ...fraud, resources: [] }], 'group:x')).toEqual([]);
  });
});

describe('GpuQuotaEntityProvider', () => {
  let server: http.Server;
  let response: { status: number; body: unknown };
  const seenAuth: string[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seenAuth.push(String(req.headers.authorization));
      if (req.url !== '/api/ml/quotas') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(response.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(response.body));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));

  function setup() {
    const { port } = server.address() as AddressInfo;
    const mutations: any[] = [];
    const connection: EntityProviderConnection = {
      applyMutation: async m => {
        mutations.push(m);
      },
      refresh: async () => {},
    };
    const auth = mockServices.auth();
    const provider = new GpuQuotaEntityProvider({
      // The real ML service over the stand-in, as the module's default factory builds it.
      ml: new DefaultMlService({
        auth,
        client: new MlApiClient({
          discoveryApi: {
            getBaseUrl: async () => `http://127.0.0.1:${port}/api/ml`,
          },
        }),
      }),
      auth,
      logger: mockServices.logger.mock(),
      taskRunner: { run: async () => {} },
    });
    return { provider, connection, mutations };
  }

  const both = (a: boolean, b: boolean): GpuQuotasResponse => ({
    clusters: [
      { name: 'gpu-cluster-a', available: a, error: a ? undefined : 'down' },
      { name: 'gpu-cluster-b', available: b, error: b ? undefined : 'down' },
    ],
    quotas: [...(a ? [fraud] : []), ...(b ? [nlp] : [])],
  });

  it('applies a full mutation with a service token, and keeps the last known quotas of a cluster that goes down', async () => {
    const { provider, connection, mutations } = setup();
    await provider.connect(connection);

    response = { status: 200, body: both(true, true) };
    await expect(provider.refresh()).resolves.toEqual({
      applied: true,
      entities: 2,
      unavailable: [],
    });
    expect(seenAuth.at(-1)).toMatch(/^Bearer .+/);
    expect(mutations[0].type).toBe('full');
    expect(mutations[0].entities.map((e: any) => e.locationKey)).toEqual([
      'ml-gpu-quotas:gpu-cluster-a',
      'ml-gpu-quotas:gpu-cluster-b',
    ]);

    // Cluster b down: its quota stays in the catalog, with the value it last had.
    response = { status: 200, body: both(true, false) };
    await expect(provider.refresh()).resolves.toMatchObject({
      applied: true,
      entities: 2,
      unavailable: ['gpu-cluster-b'],
    });
    expect(
      mutations[1].entities.map((e: any) => e.entity.metadata.name).sort(),
    ).toEqual(['fraud-gpu-quota', 'nlp-gpu-quota']);

    // The quota is removed from the cluster: the entity goes.
    response = {
      status: 200,
      body: { ...both(true, true), quotas: [fraud] },
    };
    await provider.refresh();
    expect(
      mutations[2].entities.map((e: any) => e.entity.metadata.name),
    ).toEqual(['fraud-gpu-quota']);
  });

  it('removes nothing while a cluster has never answered', async () => {
    const { provider, connection, mutations } = setup();
    await provider.connect(connection);
    response = { status: 200, body: both(true, false) };
    await expect(provider.refresh()).resolves.toEqual({
      applied: false,
      entities: 0,
      unavailable: ['gpu-cluster-b'],
    });
    expect(mutations).toEqual([]);
  });

  it('changes nothing when the ML backend answers an error', async () => {
    const { provider, connection, mutations } = setup();
    await provider.connect(connection);
    response = {
      status: 500,
      body: {
        error: { name: 'Error', message: 'boom' },
        response: { statusCode: 500 },
      },
    };
    await expect(provider.refresh()).rejects.toThrow(/boom/);
    expect(mutations).toEqual([]);
  });

  it('refuses to refresh before it is connected', async () => {
    const { provider } = setup();
    await expect(provider.refresh()).rejects.toThrow(/not connected/);
  });
});
