import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { actionsRegistryServiceMock } from '@backstage/backend-test-utils/alpha';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  KubeApiServer,
  LOGS_ANNOTATION,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { LokiStandIn, startLokiStandIn } from '@mlplatform/test-services';
import { ClusterService } from '../services/kubernetes/ClusterService';
import { LogStoreService } from '../services/logs/LogStoreService';
import { LokiLogStore } from '../services/logs/LokiLogStore';
import { PodLogsService } from '../services/logs/PodLogsService';
import { registerLogActions } from './logActions';
import { testClusters } from '../__testUtils__/testClusters';

jest.setTimeout(30_000);

const MODEL = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: {
    name: 'fraud-detector',
    namespace: 'default',
    annotations: {
      'backstage.io/kubernetes-id': 'fraud-detector',
      'mlplatform.io/logs-selector': 'namespace="fraud", app="fraud-detector"',
    },
  },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
};

describe('ml:get-logs', () => {
  let kube: KubeApiServer;
  let loki: LokiStandIn;
  let clusters: ClusterService;
  let allow = true;
  const registry = actionsRegistryServiceMock();
  const credentials = mockCredentials.user('user:default/ada');

  beforeAll(async () => {
    kube = await startKubeApiServer({
      crds: [],
      seed: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fraud' } },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'fraud-detector-7d9f',
            namespace: 'fraud',
            labels: { 'backstage.io/kubernetes-id': 'fraud-detector' },
            annotations: {
              [LOGS_ANNOTATION]: 'GET /predict 200\nGET /predict 500 timeout',
            },
          },
          spec: { containers: [{ name: 'server', image: 'example/s:1' }] },
        },
      ],
    });
    loki = await startLokiStandIn({
      streams: [
        {
          labels: { namespace: 'fraud', app: 'fraud-detector' },
          lines: [{ ms: Date.now() - 5000, line: 'from loki' }],
        },
      ],
    });
    clusters = testClusters({ c1: kube });
    const catalog = catalogServiceMock({ entities: [MODEL as any] });
    const permissions = {
      async authorize(
        requests: any[],
        _o: { credentials: BackstageCredentials },
      ) {
        return requests.map(() => ({
          result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
        }));
      },
    } as unknown as PermissionsService;
    const logger = mockServices.logger.mock();
    registerLogActions({
      actionsRegistry: registry,
      podLogs: PodLogsService.create({
        clusters,
        catalog,
        permissions,
        maxTailLines: 1000,
        logger,
      }),
      logStore: LogStoreService.create({
        adapter: LokiLogStore.create({
          config: { url: loki.url, maxWindowSeconds: 86400, timeoutMs: 5000 },
          logger,
        }),
        maxWindowSeconds: 86400,
        clusterNames: () => clusters.names(),
        catalog,
        permissions,
      }),
    });
  });

  afterAll(async () => {
    clusters?.close();
    await kube?.stop();
    await loki?.stop();
  });

  const invoke = (input: object) =>
    registry.invoke({ id: 'test:get-logs', input: input as any, credentials });

  it("reads the newest pod's lines, filtered by the search, and names the pods", async () => {
    const { output } = await invoke({
      entity: 'fraud-detector',
      search: 'TIMEOUT',
    });
    expect(output).toEqual({
      source: 'pods',
      pod: {
        cluster: 'c1',
        namespace: 'fraud',
        name: 'fraud-detector-7d9f',
        container: 'server',
      },
      pods: ['fraud-detector-7d9f'],
      lines: [
        { time: expect.stringMatching(/Z$/), text: 'GET /predict 500 timeout' },
      ],
    });
  });

  it('reads the log store with the LogQL built from the annotation', async () => {
    const { output } = await invoke({
      entity: 'model:default/fraud-detector',
      source: 'store',
    });
    expect(output).toMatchObject({
      source: 'store',
      query: '{namespace="fraud", app="fraud-detector"}',
      lines: [{ text: 'from loki' }],
    });
  });

  it("refuses bad input with the API schema's message, and a denied namespace", async () => {
    await expect(
      invoke({ entity: 'fraud-detector', since: 'forever' }),
    ).rejects.toThrow(
      'Invalid input: since: must be a duration such as 30s, 15m, 1h or 7d',
    );
    await expect(
      invoke({ entity: 'fraud-detector', lines: 20000 }),
    ).rejects.toThrow('Invalid input: tail: must be at most 10000');
    allow = false;
    try {
      await expect(invoke({ entity: 'fraud-detector' })).rejects.toMatchObject({
        name: 'NotAllowedError',
      });
    } finally {
      allow = true;
    }
  });
});
