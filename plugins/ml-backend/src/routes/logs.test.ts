/*
 * The logs API through its router, against the stand-in Kubernetes API
 * server (pods/log as the real one serves it) and the Loki stand-in: pods of
 * a Model, a Pipeline's runs and a notebook, their lines, follow, download,
 * the log store's window limit, LogQL injection and the 403/400 answers.
 */
import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  KubeApiServer,
  LOGS_ANNOTATION,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { LokiStandIn, startLokiStandIn } from '@mlplatform/test-services';
import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { ClusterService } from '../services/kubernetes/ClusterService';
import { LogStoreService } from '../services/logs/LogStoreService';
import { LokiLogStore } from '../services/logs/LokiLogStore';
import { PodLogsService } from '../services/logs/PodLogsService';
import { createLogsRouter } from './logs';
import { testClusters } from '../__testUtils__/testClusters';

jest.setTimeout(30_000);

const auth = { Authorization: mockCredentials.user.header('user:default/ada') };

const model = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
});

const ENTITIES = [
  model('fraud-detector', {
    'backstage.io/kubernetes-id': 'fraud-detector',
    'mlplatform.io/logs-selector': 'namespace="fraud", app="fraud-detector"',
  }),
  model('injector', {
    'mlplatform.io/logs-selector': 'namespace="fraud"} or {namespace=~".+"',
  }),
  model('other-team', { 'mlplatform.io/logs-selector': 'namespace="recsys"' }),
  model('bare', {}),
  {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'fraud-training', namespace: 'default' },
    spec: {
      type: 'training',
      lifecycle: 'production',
      owner: 'fraud-team',
      orchestrator: {
        type: 'kubernetes-job',
        id: 'fraud-train',
        namespace: 'fraud',
      },
    },
  },
];

const pod = (
  namespace: string,
  name: string,
  containers: string[],
  annotations: Record<string, string> = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace,
    labels: { 'backstage.io/kubernetes-id': 'fraud-detector' },
    annotations,
  },
  spec: {
    containers: containers.map(c => ({ name: c, image: `example/${c}:1` })),
  },
});

const SEED = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fraud' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'recsys' } },
  pod('fraud', 'fraud-detector-7d9f', ['kserve-container', 'agent'], {
    [LOGS_ANNOTATION]: JSON.stringify({
      'kserve-container': [
        'GET /predict 200',
        'GET /predict 500 timeout',
        'GET /predict 200',
      ],
      agent: ['batching on'],
    }),
  }),
  pod('recsys', 'fraud-detector-copy', ['main']),
  {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'fraud-train-1',
      namespace: 'fraud',
      labels: { 'mlplatform.io/pipeline': 'fraud-train' },
    },
    spec: {
      template: {
        metadata: {
          annotations: {
            [LOGS_ANNOTATION]: 'epoch 1 loss 0.4\nepoch 2 loss 0.3',
          },
        },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'train', image: 'example/train:1' }],
        },
      },
    },
  },
];

/** Allows everything but `ml.logs.read` on the namespaces in `denied`. */
function permissionsDenying(denied: Set<string>): PermissionsService {
  return {
    async authorize(
      requests: any[],
      _o?: { credentials: BackstageCredentials },
    ) {
      return requests.map(r => ({
        result: denied.has(`${r.resourceRef}`)
          ? AuthorizeResult.DENY
          : AuthorizeResult.ALLOW,
      }));
    },
    async authorizeConditional(requests: any[]) {
      return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
    },
  } as unknown as PermissionsService;
}

describe('logs routes', () => {
  let kube: KubeApiServer;
  let loki: LokiStandIn;
  let app: express.Express;
  let clusters: ClusterService;
  const denied = new Set(['test-cluster/recsys']);
  const now = Date.now();

  beforeAll(async () => {
    kube = await startKubeApiServer({ seed: SEED, crds: [] });
    loki = await startLokiStandIn({
      streams: [
        {
          labels: { namespace: 'fraud', app: 'fraud-detector' },
          lines: [
            { ms: now - 3 * 3600_000, line: 'old line' },
            { ms: now - 60_000, line: 'predict timeout after 2s' },
            { ms: now - 30_000, line: 'predict ok' },
          ],
        },
        {
          labels: { namespace: 'recsys', app: 'ranker' },
          lines: [{ ms: now - 10_000, line: 'secret of another team' }],
        },
      ],
    });
    clusters = testClusters({ 'test-cluster': kube });
    const catalog = catalogServiceMock({ entities: ENTITIES as any });
    const permissions = permissionsDenying(denied);
    const logger = mockServices.logger.mock();
    const router = await createLogsRouter({
      httpAuth: mockServices.httpAuth(),
      podLogs: PodLogsService.create({
        clusters,
        catalog,
        permissions,
        maxTailLines: 1000,
        logger,
      }),
      logStore: LogStoreService.create({
        adapter: LokiLogStore.create({
          config: {
            url: loki.url,
            maxWindowSeconds: 6 * 3600,
            timeoutMs: 5000,
            tenant: 'team-fraud',
          },
          logger,
        }),
        maxWindowSeconds: 6 * 3600,
        clusterNames: () => clusters.names(),
        catalog,
        permissions,
      }),
    });
    app = express().use(router).use(mockErrorHandler());
  });

  afterAll(async () => {
    clusters?.close();
    await kube?.stop();
    await loki?.stop();
  });

  const get = (path: string) => request(app).get(path).set(auth);
  const message = (res: request.Response) => res.body.error?.message;
  const podQuery =
    'cluster=test-cluster&podNamespace=fraud&pod=fraud-detector-7d9f';

  it("lists a Model's serving pods, leaving out namespaces the caller may not read", async () => {
    const res = await get('/models/default/fraud-detector/logs/pods');
    expect(res.status).toBe(200);
    expect(res.body.configured).toBe(true);
    expect(res.body.selector).toBe('backstage.io/kubernetes-id=fraud-detector');
    expect(res.body.pods).toEqual([
      expect.objectContaining({
        cluster: 'test-cluster',
        namespace: 'fraud',
        name: 'fraud-detector-7d9f',
        phase: 'Running',
        containers: [
          { name: 'kserve-container', started: true },
          { name: 'agent', started: true },
        ],
      }),
    ]);
    expect(res.body.errors).toEqual([
      {
        cluster: 'test-cluster',
        message:
          'pods in test-cluster/recsys left out: permission ml.logs.read denied',
      },
    ]);
  });

  it('says what to add when a Model names no pods', async () => {
    const res = await get('/models/default/bare/logs/pods');
    expect(res.body).toMatchObject({ configured: false, pods: [] });
    expect(res.body.message).toContain('backstage.io/kubernetes-id');
  });

  it('reads a container with tail and search, as JSON lines with times', async () => {
    const res = await get(
      `/models/default/fraud-detector/logs?${podQuery}&container=kserve-container&tail=2&search=TIMEOUT`,
    );
    expect(res.status).toBe(200);
    expect(res.body.pod).toEqual({
      cluster: 'test-cluster',
      namespace: 'fraud',
      name: 'fraud-detector-7d9f',
      container: 'kserve-container',
    });
    expect(res.body.scanned).toBe(2);
    expect(res.body.lines).toEqual([
      {
        time: expect.stringMatching(/^\d{4}-.*Z$/),
        text: 'GET /predict 500 timeout',
      },
    ]);
    const agent = await get(
      `/models/default/fraud-detector/logs?${podQuery}&container=agent`,
    );
    expect(agent.body.lines.map((l: any) => l.text)).toEqual(['batching on']);
  });

  it('downloads the lines as a text file', async () => {
    const res = await get(
      `/models/default/fraud-detector/logs?${podQuery}&container=agent&download=true`,
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="fraud-detector-7d9f-agent.log"',
    );
    expect(res.text).toMatch(/^\d{4}-\S+Z batching on\n$/);
  });

  it('follows: new lines arrive on the open response until the client leaves', async () => {
    const server = http.createServer(app);
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      let text = '';
      const req = http.get(
        `http://127.0.0.1:${port}/models/default/fraud-detector/logs?${podQuery}&container=agent&follow=true&tail=1`,
        { headers: auth },
      );
      const res = await new Promise<http.IncomingMessage>(r =>
        req.on('response', r),
      );
      expect(res.statusCode).toBe(200);
      res.on('data', d => (text += d));
      await waitFor(() => text.includes('batching on'));
      kube.appendPodLog(
        'fraud',
        'fraud-detector-7d9f',
        'agent',
        'flushed 32 requests',
      );
      await waitFor(() => text.includes('flushed 32 requests'));
      req.destroy();
    } finally {
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    }
  });

  it("reads a Pipeline run's pod, named by its Job", async () => {
    const pods = await get('/pipelines/default/fraud-training/logs/pods');
    expect(pods.body.pods).toEqual([
      expect.objectContaining({ namespace: 'fraud', run: 'fraud-train-1' }),
    ]);
    const name = pods.body.pods[0].name;
    const res = await get(
      `/pipelines/default/fraud-training/logs?cluster=test-cluster&podNamespace=fraud&pod=${name}`,
    );
    expect(res.body.lines.map((l: any) => l.text)).toEqual([
      'epoch 1 loss 0.4',
      'epoch 2 loss 0.3',
    ]);
  });

  it("refuses a pod that is not the entity's, a denied namespace and bad input", async () => {
    const foreign = await get(
      `/pipelines/default/fraud-training/logs?${podQuery}`,
    );
    expect(foreign.status).toBe(404);
    expect(message(foreign)).toContain('is not one of this pipeline');

    const deniedRes = await get(
      '/models/default/fraud-detector/logs?cluster=test-cluster&podNamespace=recsys&pod=fraud-detector-copy',
    );
    expect(deniedRes.status).toBe(403);
    expect(message(deniedRes)).toBe(
      'not allowed to read logs in namespace recsys on test-cluster: permission ml.logs.read denied',
    );

    const tooMany = await get(
      `/models/default/fraud-detector/logs?${podQuery}&tail=5000`,
    );
    expect(tooMany.status).toBe(400);
    expect(message(tooMany)).toBe(
      'Invalid query: tail: must be at most 1000 (ml.logs.maxTailLines)',
    );
    const badSince = await get(
      `/models/default/fraud-detector/logs?${podQuery}&since=yesterday`,
    );
    expect(badSince.status).toBe(400);
    expect(message(badSince)).toBe(
      'Invalid query: since: must be a duration such as 30s, 15m, 1h or 7d',
    );
    const noContainer = await get(
      `/models/default/fraud-detector/logs?${podQuery}&container=nope`,
    );
    expect(noContainer.status).toBe(400);
    expect(message(noContainer)).toContain(
      'has no container nope; it has kserve-container, agent',
    );
    const badPath = await get('/models/default/..%2Fx/logs/pods');
    expect(badPath.status).toBe(400);
  });

  it("queries Loki with LogQL built from the entity's matchers, within the window", async () => {
    loki.requests.length = 0;
    const res = await get(
      '/models/default/fraud-detector/logs/store?since=1h&search=Timeout',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      configured: true,
      store: 'loki',
      query: '{namespace="fraud", app="fraud-detector"} |~ "(?i)Timeout"',
      truncated: false,
    });
    expect(res.body.lines).toEqual([
      {
        time: expect.stringMatching(/Z$/),
        text: 'predict timeout after 2s',
        labels: { namespace: 'fraud', app: 'fraud-detector' },
      },
    ]);
    expect(loki.requests).toHaveLength(1);
    expect(loki.requests[0].headers['x-scope-orgid']).toBe('team-fraud');
  });

  it('refuses LogQL injection, a window over the maximum and a namespace the caller may not read, before asking Loki', async () => {
    loki.requests.length = 0;
    const injected = await get('/models/default/injector/logs/store');
    expect(injected.status).toBe(400);
    expect(message(injected)).toMatch(
      /^annotation mlplatform.io\/logs-selector is not a list of label matchers: /,
    );
    const start = new Date(now - 7 * 3600_000).toISOString();
    const wide = await get(
      `/models/default/fraud-detector/logs/store?start=${start}`,
    );
    expect(wide.status).toBe(400);
    expect(message(wide)).toContain(
      'is longer than 6h, the most one log query may cover (ml.logs.loki.maxWindow)',
    );
    const other = await get('/models/default/other-team/logs/store');
    expect(other.status).toBe(403);
    const bare = await get('/models/default/bare/logs/store');
    expect(bare.body).toMatchObject({ configured: false, store: 'loki' });
    expect(loki.requests).toHaveLength(0);
  });

  it('contacts only the configured Loki: a redirect elsewhere is not followed', async () => {
    const elsewhere = await startLokiStandIn();
    try {
      loki.redirectQueriesTo(`${elsewhere.url}/loki/api/v1/query_range`);
      const res = await get('/models/default/fraud-detector/logs/store');
      expect(res.status).toBe(503);
      expect(message(res)).toContain('answered with a redirect');
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      loki.redirectQueriesTo(null);
      await elsewhere.stop();
    }
  });
});

async function waitFor(check: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise(r => setTimeout(r, 50));
  }
}
