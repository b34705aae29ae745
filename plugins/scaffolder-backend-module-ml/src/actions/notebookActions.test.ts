import { mockServices } from '@backstage/backend-test-utils';
import { MlApiClient } from '@mlplatform/plugin-ml-common';
import { DefaultMlService } from '@mlplatform/plugin-ml-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { GpuQuotasResponse } from '@mlplatform/plugin-ml-common';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { createGpuQuotaCheckAction } from './gpuQuotaCheck';
import { examples as gpuQuotaExamples } from './gpuQuotaCheck.examples';
import { examples as notebookExamples } from './notebookCreate.examples';
import { createNotebookCreateAction } from './notebookCreate';

// A stand-in for the ML backend's HTTP API; the real backend is exercised by
// the scaffolder integration test. This checks the actions' own logic.
const quotas: GpuQuotasResponse = {
  clusters: [
    { name: 'gpu-cluster-a', available: true },
    { name: 'gpu-cluster-b', available: false, error: 'connect ECONNREFUSED' },
  ],
  quotas: [
    {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      team: 'group:default/fraud-team',
      source: 'resourcequota',
      name: 'gpu-quota',
      resources: [
        {
          resource: 'nvidia.com/gpu',
          hard: 8,
          used: 5,
          free: 3,
          borrowable: 0,
        },
      ],
      pending: [],
    },
  ],
};

let server: http.Server;
const posts: any[] = [];
const progressAuth: Array<string | undefined> = [];
let baseUrl = '';
// The real ML service over the stand-in, as the module's default factory builds it.
const mlDeps = () => ({
  ml: new DefaultMlService({
    auth: mockServices.auth(),
    client: new MlApiClient({
      discoveryApi: { getBaseUrl: async () => baseUrl },
    }),
  }),
});
const exampleDeps = mlDeps;

describe('notebook actions', () => {
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'GET' && url.pathname === '/api/ml/quotas') {
        const ns = url.searchParams.get('namespace');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...quotas,
            quotas: quotas.quotas.filter(q => !ns || q.namespace === ns),
          }),
        );
        return;
      }
      if (req.method === 'POST' && url.pathname === '/api/ml/notebooks') {
        let body = '';
        req.on('data', c => (body += c));
        req.on('end', () => {
          const parsed = JSON.parse(body);
          posts.push({ auth: req.headers.authorization, body: parsed });
          if (parsed.gpus > 3) {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                error: {
                  name: 'InputError',
                  message: `asked for ${parsed.gpus} nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable`,
                },
                response: { statusCode: 400 },
              }),
            );
            return;
          }
          res.writeHead(201, { 'content-type': 'application/json' });
          const onHub = parsed.namespace === 'nlp';
          res.end(
            JSON.stringify({
              ...parsed,
              createdBy: 'user:default/guest',
              backend: onHub ? 'jupyterhub' : 'kubeflow',
              phase: 'Pending',
              url: onHub
                ? `https://hub.example.com/user/guest/${parsed.name}/lab`
                : 'https://notebooks.example.com/notebook/fraud/nb/',
              createdAt: new Date().toISOString(),
            }),
          );
        });
        return;
      }
      // JupyterHub's spawn progress, as the ML backend passes it on.
      const progress =
        /^\/api\/ml\/notebooks\/gpu-cluster-b\/nlp\/([a-z-]+)\/progress$/.exec(
          url.pathname,
        );
      if (req.method === 'GET' && progress) {
        progressAuth.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"progress":0,"message":"Server requested"}\n\n');
        res.write('data: {"progress":40,"message":"Pulling image"}\n\n');
        res.end(
          progress[1] === 'broken'
            ? 'data: {"failed":true,"message":"Spawn failed: image not found"}\n\n'
            : `data: {"progress":100,"ready":true,"url":"https://hub.example.com/user/guest/${progress[1]}/lab"}\n\n`,
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/ml`;
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));

  const deps = mlDeps;

  describe('ml:gpu-quota:check', () => {
    it('outputs free and borrowable when the request fits', async () => {
      const ctx = createMockActionContext({
        input: { cluster: 'gpu-cluster-a', namespace: 'fraud', gpus: 2 },
      });
      await createGpuQuotaCheckAction(deps()).handler(ctx);
      expect(ctx.output).toHaveBeenCalledWith('free', 3);
      expect(ctx.output).toHaveBeenCalledWith('borrowable', 0);
      expect(ctx.output).toHaveBeenCalledWith(
        'team',
        'group:default/fraud-team',
      );
    });

    it('fails with the numbers when it does not fit', async () => {
      const ctx = createMockActionContext({
        input: { cluster: 'gpu-cluster-a', namespace: 'fraud', gpus: 4 },
      });
      await expect(
        createGpuQuotaCheckAction(deps()).handler(ctx),
      ).rejects.toThrow(
        'asked for 4 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
      );
    });

    it('fails clearly for a namespace without quota and an unavailable cluster', async () => {
      await expect(
        createGpuQuotaCheckAction(deps()).handler(
          createMockActionContext({
            input: { cluster: 'gpu-cluster-a', namespace: 'recsys', gpus: 1 },
          }),
        ),
      ).rejects.toThrow(/recsys on gpu-cluster-a has no GPU quota/);
      await expect(
        createGpuQuotaCheckAction(deps()).handler(
          createMockActionContext({
            input: { cluster: 'gpu-cluster-b', namespace: 'nlp', gpus: 1 },
          }),
        ),
      ).rejects.toThrow(/gpu-cluster-b is unavailable.*ECONNREFUSED/);
    });
  });

  describe('ml:notebook:create', () => {
    const input = {
      name: 'nb',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
      cpu: '4',
      memory: '16Gi',
      gpus: 1,
    };

    it('posts to the ML backend as the user and outputs the notebook', async () => {
      posts.length = 0;
      const ctx = createMockActionContext({ input });
      await createNotebookCreateAction(deps()).handler(ctx);
      expect(posts).toHaveLength(1);
      expect(posts[0].auth).toMatch(/^Bearer /);
      expect(posts[0].body).toEqual({
        ...input,
        storage: '10Gi',
        gpuResource: 'nvidia.com/gpu',
      });
      expect(ctx.output).toHaveBeenCalledWith(
        'url',
        'https://notebooks.example.com/notebook/fraud/nb/',
      );
      expect(ctx.output).toHaveBeenCalledWith('backend', 'kubeflow');
    });

    it("follows a JupyterHub notebook's spawn in the run's log until it is ready", async () => {
      const ctx = createMockActionContext({
        input: {
          ...input,
          name: 'hub-nb',
          cluster: 'gpu-cluster-b',
          namespace: 'nlp',
        },
      });
      const info = jest.spyOn(ctx.logger, 'info');
      await createNotebookCreateAction(deps()).handler(ctx);
      expect(info.mock.calls.map(c => c[0])).toEqual(
        expect.arrayContaining(['0% Server requested', '40% Pulling image']),
      );
      expect(progressAuth.pop()).toMatch(/^Bearer /);
      expect(ctx.output).toHaveBeenCalledWith('backend', 'jupyterhub');
      expect(ctx.output).toHaveBeenCalledWith('phase', 'Running');
      expect(ctx.output).toHaveBeenCalledWith(
        'url',
        'https://hub.example.com/user/guest/hub-nb/lab',
      );
    });

    it("fails the run with JupyterHub's reason when the spawn fails", async () => {
      const ctx = createMockActionContext({
        input: {
          ...input,
          name: 'broken',
          cluster: 'gpu-cluster-b',
          namespace: 'nlp',
        },
      });
      await expect(
        createNotebookCreateAction(deps()).handler(ctx),
      ).rejects.toThrow(
        'notebook broken did not start: Spawn failed: image not found',
      );
    });

    it("passes the backend's refusal through, verbatim", async () => {
      const ctx = createMockActionContext({ input: { ...input, gpus: 5 } });
      await expect(
        createNotebookCreateAction(deps()).handler(ctx),
      ).rejects.toThrow(
        'asked for 5 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
      );
    });

    it('creates nothing in a dry run, and still refuses what cannot fit', async () => {
      posts.length = 0;
      // createMockActionContext drops isDryRun; set it the way the scaffolder does.
      const ok = { ...createMockActionContext({ input }), isDryRun: true };
      await createNotebookCreateAction(deps()).handler(ok);
      expect(ok.output).toHaveBeenCalledWith('phase', 'DryRun');
      await expect(
        createNotebookCreateAction(deps()).handler({
          ...createMockActionContext({ input: { ...input, gpus: 4 } }),
          isDryRun: true,
        }),
      ).rejects.toThrow(/4 nvidia.com\/gpu.*3 free/);
      expect(posts).toEqual([]);
    });
  });
  describe('the actions’ documented examples', () => {
    // Run each example's input through its action against the stand-in, so the
    // examples shown in the portal's action list stay valid.
    it.each([
      ['ml:gpu-quota:check', gpuQuotaExamples, createGpuQuotaCheckAction],
      ['ml:notebook:create', notebookExamples, createNotebookCreateAction],
    ] as const)('%s examples run', async (id, examples, create) => {
      expect(examples.length).toBeGreaterThan(0);
      for (const example of examples) {
        const step = parse(example.example).steps[0];
        expect(step.action).toBe(id);
        const ctx = createMockActionContext({ input: step.input });
        await expect(
          create(exampleDeps()).handler(ctx as any),
        ).resolves.toBeUndefined();
      }
    });
  });
});
