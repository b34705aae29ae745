import { registerMswTestHooks } from '@backstage/frontend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { Notebook } from '@mlplatform/plugin-ml-common';
import { MlClient } from './MlClient';

const notebook: Notebook = {
  name: 'eda',
  cluster: 'gpu-cluster-a',
  namespace: 'fraud',
  team: 'group:default/fraud-team',
  createdBy: 'user:default/guest',
  image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
  cpu: '2',
  memory: '8Gi',
  storage: '10Gi',
  gpus: 1,
  gpuResource: 'nvidia.com/gpu',
  backend: 'statefulset',
  phase: 'Running',
  createdAt: '2026-11-23T10:00:00.000Z',
};

describe('MlClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new MlClient({
    discoveryApi: {
      getBaseUrl: async (id: string) => `http://backstage.test/api/${id}`,
    },
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });

  it('reads /api/ml/health', async () => {
    server.use(
      http.get('http://backstage.test/api/ml/health', () =>
        HttpResponse.json({
          version: '1.2.3',
          checkedAt: 'now',
          integrations: [],
        }),
      ),
    );
    await expect(client.getHealth()).resolves.toEqual({
      version: '1.2.3',
      checkedAt: 'now',
      integrations: [],
    });
  });

  it("shares a Model's health request in flight, and asks again once it is answered", async () => {
    let requests = 0;
    server.use(
      http.get(
        'http://backstage.test/api/ml/models/default/fraud-detector/health',
        ({ request }) => {
          requests += 1;
          return HttpResponse.json({
            entityRef: 'model:default/fraud-detector',
            window: new URL(request.url).searchParams.get('window'),
            verdict: 'healthy',
          });
        },
      ),
    );
    const ref = { namespace: 'default', name: 'fraud-detector' };
    const [a, b, other] = await Promise.all([
      client.getModelHealth(ref, '1h'),
      client.getModelHealth(ref, '1h'),
      client.getModelHealth(ref, '24h'),
    ]);
    expect(a).toBe(b);
    expect(other.window).toBe('24h');
    expect(requests).toBe(2);
    await client.getModelHealth(ref, '1h');
    expect(requests).toBe(3);
  });

  it('turns a backend error into a ResponseError carrying its message', async () => {
    server.use(
      http.get('http://backstage.test/api/ml/health', () =>
        HttpResponse.json(
          {
            error: { name: 'InputError', message: 'bad window' },
            response: { statusCode: 400 },
          },
          { status: 400 },
        ),
      ),
    );
    await expect(client.getHealth()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      body: { error: { message: 'bad window' } },
    });
  });

  describe('GPU quotas', () => {
    it('sends only the filters that are set, URL-encoded', async () => {
      let seen: URL | undefined;
      server.use(
        http.get('http://backstage.test/api/ml/quotas', ({ request }) => {
          seen = new URL(request.url);
          return HttpResponse.json({ clusters: [], quotas: [] });
        }),
      );
      await expect(
        client.getQuotas({
          cluster: 'gpu-cluster-a',
          team: 'group:default/fraud-team',
        }),
      ).resolves.toEqual({ clusters: [], quotas: [] });
      expect(seen?.searchParams.get('cluster')).toBe('gpu-cluster-a');
      expect(seen?.searchParams.get('team')).toBe('group:default/fraud-team');
      expect(seen?.searchParams.has('namespace')).toBe(false);

      await client.getQuotas();
      expect(seen?.search).toBe('');
    });

    it('rejects with the backend error', async () => {
      server.use(
        http.get('http://backstage.test/api/ml/quotas', () =>
          HttpResponse.json(
            {
              error: {
                name: 'NotAllowedError',
                message: 'ml.quota.read denied',
              },
              response: { statusCode: 403 },
            },
            { status: 403 },
          ),
        ),
      );
      await expect(client.getQuotas()).rejects.toMatchObject({
        statusCode: 403,
        body: { error: { message: 'ml.quota.read denied' } },
      });
    });
  });

  describe('notebooks', () => {
    it('lists the caller notebooks', async () => {
      server.use(
        http.get('http://backstage.test/api/ml/notebooks', () =>
          HttpResponse.json({
            items: [notebook],
            unavailableClusters: ['gpu-cluster-b'],
          }),
        ),
      );
      await expect(client.listNotebooks()).resolves.toEqual({
        items: [notebook],
        unavailableClusters: ['gpu-cluster-b'],
      });
    });

    it('creates a notebook with a JSON body', async () => {
      let body: unknown;
      let contentType: string | null = null;
      server.use(
        http.post(
          'http://backstage.test/api/ml/notebooks',
          async ({ request }) => {
            body = await request.json();
            contentType = request.headers.get('content-type');
            return HttpResponse.json(notebook, { status: 201 });
          },
        ),
      );
      const request = {
        name: 'eda',
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        image: notebook.image,
        cpu: '2',
        memory: '8Gi',
        gpus: 1,
        gpuResource: 'nvidia.com/gpu',
      };
      await expect(client.createNotebook(request)).resolves.toEqual(notebook);
      expect(body).toEqual(request);
      expect(contentType).toBe('application/json');
    });

    it('keeps the server reason when creation is refused', async () => {
      server.use(
        http.post('http://backstage.test/api/ml/notebooks', () =>
          HttpResponse.json(
            {
              error: {
                name: 'InputError',
                message:
                  'asked for 4 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
              },
              response: { statusCode: 400 },
            },
            { status: 400 },
          ),
        ),
      );
      await expect(
        client.createNotebook({
          name: 'big',
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          image: notebook.image,
          cpu: '2',
          memory: '8Gi',
          gpus: 4,
        }),
      ).rejects.toMatchObject({
        statusCode: 400,
        body: {
          error: {
            message:
              'asked for 4 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
          },
        },
      });
    });

    it('stops and starts a notebook by cluster, namespace and name', async () => {
      const calls: string[] = [];
      server.use(
        http.post(
          'http://backstage.test/api/ml/notebooks/:cluster/:namespace/:name/:action',
          ({ params }) => {
            calls.push(
              `${params.action} ${params.cluster}/${params.namespace}/${params.name}`,
            );
            return new HttpResponse(null, { status: 204 });
          },
        ),
      );
      const ref = { cluster: 'gpu-cluster-a', namespace: 'fraud', name: 'eda' };
      await expect(client.stopNotebook(ref)).resolves.toBeUndefined();
      await expect(client.startNotebook(ref)).resolves.toBeUndefined();
      expect(calls).toEqual([
        'stop gpu-cluster-a/fraud/eda',
        'start gpu-cluster-a/fraud/eda',
      ]);
    });

    it('escapes path segments', async () => {
      let path = '';
      server.use(
        http.post('http://backstage.test/api/ml/notebooks/*', ({ request }) => {
          path = new URL(request.url).pathname;
          return new HttpResponse(null, { status: 204 });
        }),
      );
      await client.stopNotebook({
        cluster: 'gpu/a',
        namespace: 'fraud',
        name: 'eda',
      });
      expect(path).toBe('/api/ml/notebooks/gpu%2Fa/fraud/eda/stop');
    });

    it('deletes a notebook and accepts the empty 204', async () => {
      let deleted = '';
      server.use(
        http.delete(
          'http://backstage.test/api/ml/notebooks/:cluster/:namespace/:name',
          ({ params }) => {
            deleted = `${params.cluster}/${params.namespace}/${params.name}`;
            return new HttpResponse(null, { status: 204 });
          },
        ),
      );
      await expect(
        client.deleteNotebook({
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'eda',
        }),
      ).resolves.toBeUndefined();
      expect(deleted).toBe('gpu-cluster-a/fraud/eda');
    });

    it('rejects a stop the backend refuses', async () => {
      server.use(
        http.post(
          'http://backstage.test/api/ml/notebooks/:cluster/:namespace/:name/stop',
          () =>
            HttpResponse.json(
              {
                error: {
                  name: 'NotFoundError',
                  message: 'notebook fraud/gone not found on gpu-cluster-a',
                },
                response: { statusCode: 404 },
              },
              { status: 404 },
            ),
        ),
      );
      await expect(
        client.stopNotebook({
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          name: 'gone',
        }),
      ).rejects.toMatchObject({
        statusCode: 404,
        body: {
          error: { message: 'notebook fraud/gone not found on gpu-cluster-a' },
        },
      });
    });
  });
  describe('models', () => {
    const ref = { namespace: 'default', name: 'fraud-detector' };

    it('reads a model health for a window', async () => {
      let seen: URL | undefined;
      server.use(
        http.get(
          'http://backstage.test/api/ml/models/:namespace/:name/health',
          ({ request }) => {
            seen = new URL(request.url);
            return HttpResponse.json({ verdict: 'healthy', window: '6h' });
          },
        ),
      );
      await expect(client.getModelHealth(ref, '6h')).resolves.toEqual({
        verdict: 'healthy',
        window: '6h',
      });
      expect(seen?.pathname).toBe(
        '/api/ml/models/default/fraud-detector/health',
      );
      expect(seen?.searchParams.get('window')).toBe('6h');

      await client.getModelHealth(ref);
      expect(seen?.searchParams.get('window')).toBe('1h');
    });

    it('reads the versions, escaping the path', async () => {
      let path = '';
      server.use(
        http.get('http://backstage.test/api/ml/models/*', ({ request }) => {
          path = new URL(request.url).pathname;
          return HttpResponse.json({ versions: [] });
        }),
      );
      await expect(
        client.getModelVersions({ namespace: 'a/b', name: 'm' }),
      ).resolves.toEqual({ versions: [] });
      expect(path).toBe('/api/ml/models/a%2Fb/m/versions');
    });

    it('promotes with exactly alias and version', async () => {
      let body: unknown;
      server.use(
        http.post(
          'http://backstage.test/api/ml/models/default/fraud-detector/aliases',
          async ({ request }) => {
            body = await request.json();
            return HttpResponse.json({
              entityRef: 'model:default/fraud-detector',
              alias: 'production',
              version: 'v3',
              previousVersion: 'v2',
            });
          },
        ),
      );
      const extra = { alias: 'production', version: 'v3', other: 1 };
      await expect(client.promoteModel(ref, extra)).resolves.toMatchObject({
        version: 'v3',
        previousVersion: 'v2',
      });
      expect(body).toEqual({ alias: 'production', version: 'v3' });
    });

    it('keeps the reason of a refused promotion', async () => {
      const message =
        'user:default/x may not promote model:default/fraud-detector: owned by group:default/fraud-team';
      server.use(
        http.post(
          'http://backstage.test/api/ml/models/:namespace/:name/aliases',
          () =>
            HttpResponse.json(
              {
                error: { name: 'NotAllowedError', message },
                response: { statusCode: 403 },
              },
              { status: 403 },
            ),
        ),
      );
      await expect(
        client.promoteModel(ref, { alias: 'production', version: 'v3' }),
      ).rejects.toMatchObject({
        statusCode: 403,
        body: { error: { message } },
      });
    });
  });

  describe('pipelines', () => {
    const ref = { namespace: 'default', name: 'fraud-detector-training' };
    const run = {
      id: 'fraud-detector-training-x7k2',
      status: 'running',
      trigger: { type: 'manual', by: 'user:default/guest' },
      parameters: { epochs: '10' },
    };

    it('reads the runs with a limit, escaping the path', async () => {
      let seen: URL | undefined;
      server.use(
        http.get('http://backstage.test/api/ml/pipelines/*', ({ request }) => {
          seen = new URL(request.url);
          return HttpResponse.json({ pipelineRef: 'p', runs: [run] });
        }),
      );
      await expect(
        client.getPipelineRuns(
          { namespace: 'a/b', name: 'train' },
          { limit: 1 },
        ),
      ).resolves.toEqual({ pipelineRef: 'p', runs: [run] });
      expect(seen?.pathname).toBe('/api/ml/pipelines/a%2Fb/train/runs');
      expect(seen?.searchParams.get('limit')).toBe('1');

      await client.getPipelineRuns(ref);
      expect(seen?.pathname).toBe(
        '/api/ml/pipelines/default/fraud-detector-training/runs',
      );
      expect(seen?.search).toBe('');
    });

    it('keeps the reason when the orchestrator is down', async () => {
      const message =
        'kubeflow at http://127.0.0.1:8888 did not answer: connect ECONNREFUSED';
      server.use(
        http.get(
          'http://backstage.test/api/ml/pipelines/:namespace/:name/runs',
          () =>
            HttpResponse.json(
              {
                error: { name: 'ServiceUnavailableError', message },
                response: { statusCode: 503 },
              },
              { status: 503 },
            ),
        ),
      );
      await expect(client.getPipelineRuns(ref)).rejects.toMatchObject({
        statusCode: 503,
        body: { error: { message } },
      });
    });

    it('starts a run with exactly the parameters', async () => {
      let body: unknown;
      server.use(
        http.post(
          'http://backstage.test/api/ml/pipelines/default/fraud-detector-training/runs',
          async ({ request }) => {
            body = await request.json();
            return HttpResponse.json({ run }, { status: 201 });
          },
        ),
      );
      await expect(
        client.startPipelineRun(ref, { parameters: { epochs: '10' } }),
      ).resolves.toEqual({ run });
      expect(body).toEqual({ parameters: { epochs: '10' } });

      await client.startPipelineRun(ref, {});
      expect(body).toEqual({ parameters: {} });
    });

    it('keeps the reason of a refused start', async () => {
      const message =
        'user:default/x may not run pipeline:default/fraud-detector-training';
      server.use(
        http.post(
          'http://backstage.test/api/ml/pipelines/:namespace/:name/runs',
          () =>
            HttpResponse.json(
              {
                error: { name: 'NotAllowedError', message },
                response: { statusCode: 403 },
              },
              { status: 403 },
            ),
        ),
      );
      await expect(
        client.startPipelineRun(ref, { parameters: {} }),
      ).rejects.toMatchObject({
        statusCode: 403,
        body: { error: { message } },
      });
    });
  });

  describe('alert actions', () => {
    it("reads a model's alert actions with a limit", async () => {
      let seen: URL | undefined;
      const items = [
        {
          alertname: 'ModelDriftHigh',
          fingerprint: 'f1',
          startsAt: '2026-11-23T14:00:00Z',
          action: 'retrain',
          status: 'started',
          summary: 'started run fraud-detector-training-x7k2',
          runId: 'fraud-detector-training-x7k2',
          at: '2026-11-23T14:02:00Z',
        },
      ];
      server.use(
        http.get(
          'http://backstage.test/api/ml/models/:namespace/:name/alert-actions',
          ({ request }) => {
            seen = new URL(request.url);
            return HttpResponse.json({ items });
          },
        ),
      );
      await expect(
        client.getModelAlertActions(
          { namespace: 'default', name: 'fraud-detector' },
          { limit: 10 },
        ),
      ).resolves.toEqual({ items });
      expect(seen?.pathname).toBe(
        '/api/ml/models/default/fraud-detector/alert-actions',
      );
      expect(seen?.searchParams.get('limit')).toBe('10');
    });
  });
});
