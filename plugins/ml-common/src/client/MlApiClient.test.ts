import { ResponseError } from '@backstage/errors';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { MlApiClient } from './MlApiClient';

interface Seen {
  method: string;
  url: string;
  authorization?: string;
  contentType?: string;
  body?: unknown;
}

// A real HTTP server stands in for the ML backend: what the client puts on
// the wire is what the backend's router would see.
describe('MlApiClient', () => {
  let server: http.Server;
  let baseUrl = '';
  const seen: Seen[] = [];
  let reply: { status: number; body?: unknown; raw?: string } = {
    status: 200,
    body: {},
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', chunk => (text += chunk));
      req.on('end', () => {
        seen.push({
          method: req.method!,
          url: req.url!,
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
          body: text ? JSON.parse(text) : undefined,
        });
        if (reply.raw !== undefined) {
          res.writeHead(reply.status, { 'content-type': 'text/plain' });
          res.end(reply.raw);
          return;
        }
        if (reply.body === undefined) {
          res.writeHead(reply.status).end();
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    reply = { status: 200, body: { ok: true } };
  });

  const client = () =>
    new MlApiClient({
      discoveryApi: { getBaseUrl: async id => `${baseUrl}/api/${id}` },
    });

  const model = { namespace: 'default', name: 'fraud-detector' };
  const pipeline = { namespace: 'default', name: 'fraud-detector-training' };
  const notebook = {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    name: 'eda',
  };
  const createRequest = {
    name: 'eda',
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
    cpu: '2',
    memory: '8Gi',
    gpus: 1,
  };

  // Every route of the backend that a Backstage caller uses.
  it.each<
    [
      string,
      (c: MlApiClient) => Promise<unknown>,
      Omit<Seen, 'authorization' | 'contentType'>,
    ]
  >([
    ['getHealth', c => c.getHealth(), { method: 'GET', url: '/api/ml/health' }],
    [
      'getOverview',
      c => c.getOverview(),
      { method: 'GET', url: '/api/ml/overview' },
    ],
    [
      'getQuotas',
      c =>
        c.getQuotas({
          cluster: 'gpu-cluster-a',
          team: 'group:default/fraud-team',
        }),
      {
        method: 'GET',
        url: '/api/ml/quotas?cluster=gpu-cluster-a&team=group%3Adefault%2Ffraud-team',
      },
    ],
    [
      'getQuotas, unfiltered',
      c => c.getQuotas(),
      { method: 'GET', url: '/api/ml/quotas' },
    ],
    [
      'listNotebooks',
      c => c.listNotebooks(),
      { method: 'GET', url: '/api/ml/notebooks' },
    ],
    [
      'createNotebook',
      c => c.createNotebook(createRequest),
      { method: 'POST', url: '/api/ml/notebooks', body: createRequest },
    ],
    [
      'stopNotebook',
      c => c.stopNotebook({ ...notebook, cluster: 'gpu/a' }),
      { method: 'POST', url: '/api/ml/notebooks/gpu%2Fa/fraud/eda/stop' },
    ],
    [
      'startNotebook',
      c => c.startNotebook(notebook),
      {
        method: 'POST',
        url: '/api/ml/notebooks/gpu-cluster-a/fraud/eda/start',
      },
    ],
    [
      'deleteNotebook',
      c => c.deleteNotebook(notebook),
      { method: 'DELETE', url: '/api/ml/notebooks/gpu-cluster-a/fraud/eda' },
    ],
    [
      'getModelHealth',
      c => c.getModelHealth(model, { window: '6h' }),
      {
        method: 'GET',
        url: '/api/ml/models/default/fraud-detector/health?window=6h',
      },
    ],
    [
      'getModelHealth, backend default window',
      c => c.getModelHealth(model),
      { method: 'GET', url: '/api/ml/models/default/fraud-detector/health' },
    ],
    [
      'getModelVersions',
      c => c.getModelVersions({ namespace: 'a/b', name: 'm' }),
      { method: 'GET', url: '/api/ml/models/a%2Fb/m/versions' },
    ],
    [
      'promoteModel, exactly alias and version',
      c =>
        c.promoteModel(model, {
          alias: 'production',
          version: 'v3',
          other: 1,
        } as any),
      {
        method: 'POST',
        url: '/api/ml/models/default/fraud-detector/aliases',
        body: { alias: 'production', version: 'v3' },
      },
    ],
    [
      'getModelAlertActions',
      c => c.getModelAlertActions(model, { limit: 10 }),
      {
        method: 'GET',
        url: '/api/ml/models/default/fraud-detector/alert-actions?limit=10',
      },
    ],
    [
      'getPipelineRuns',
      c => c.getPipelineRuns(pipeline, { limit: 1 }),
      {
        method: 'GET',
        url: '/api/ml/pipelines/default/fraud-detector-training/runs?limit=1',
      },
    ],
    [
      'startPipelineRun, parameters always sent',
      c => c.startPipelineRun(pipeline, {}),
      {
        method: 'POST',
        url: '/api/ml/pipelines/default/fraud-detector-training/runs',
        body: { parameters: {} },
      },
    ],
    [
      'getAuditEvents, only the filters that are set',
      c =>
        c.getAuditEvents({
          actor: 'user:default/alice',
          entity: '',
          to: undefined,
          limit: 25,
        }),
      {
        method: 'GET',
        url: '/api/ml/audit?actor=user%3Adefault%2Falice&limit=25',
      },
    ],
  ])('%s', async (_name, call, expected) => {
    await call(client());
    expect(seen).toEqual([
      expect.objectContaining({
        ...expected,
        body: expected.body,
        authorization: undefined,
        contentType: expected.body ? 'application/json' : undefined,
      }),
    ]);
  });

  it('returns the parsed body, and nothing for a 204', async () => {
    reply = { status: 200, body: { clusters: [], quotas: [] } };
    await expect(client().getQuotas()).resolves.toEqual({
      clusters: [],
      quotas: [],
    });
    reply = { status: 204 };
    await expect(client().stopNotebook(notebook)).resolves.toBeUndefined();
  });

  it('sends the token of the call, and goes through the given fetchApi', async () => {
    const fetchSpy = jest.fn((input: any, init?: any) => fetch(input, init));
    const c = new MlApiClient({
      discoveryApi: { getBaseUrl: async id => `${baseUrl}/api/${id}` },
      fetchApi: { fetch: fetchSpy as typeof fetch },
    });
    await c.listNotebooks({ token: 'tok-1' });
    expect(seen[0].authorization).toBe('Bearer tok-1');
    expect(fetchSpy).toHaveBeenCalledTimes(1);
  });

  it('rejects a 403 with a ResponseError that says NotAllowedError and the backend reason', async () => {
    const message =
      'user:default/eve may not promote model:default/fraud-detector: not a member of group:default/fraud-team, which owns it';
    reply = {
      status: 403,
      body: {
        error: { name: 'NotAllowedError', message },
        response: { statusCode: 403 },
      },
    };
    const error = await client()
      .promoteModel(model, { alias: 'production', version: 'v3' })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error).toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      message,
      body: { error: { name: 'NotAllowedError', message } },
      cause: { name: 'NotAllowedError', message },
    });
  });

  it('keeps what a non-Backstage error body says', async () => {
    reply = { status: 502, raw: 'upstream connect error' };
    const error = await client()
      .getHealth()
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(502);
    expect(error.message).toMatch(/502.*upstream connect error/);
  });
});
