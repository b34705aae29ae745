import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { oboAuthServiceFactory } from '../../ml-backend/src/permissions/__testUtils__/oboAuthServiceFactory';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { mlTestPolicyModule } from '../../ml-backend/src/permissions/__testUtils__/testPolicy';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
// An integration test: the real ML backend answers the module's calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import mlPlugin from '@mlplatform/plugin-ml-backend';
import { GpuQuotasResponse } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { promises as fs, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { scaffolderModuleMl } from './module';

// templates/notebook through the real scaffolder, the real catalog and the
// real ML backend, against the test Kubernetes API server seeded with the
// demo cluster: the notebook objects are created on the "cluster" and the
// quota numbers move; what does not fit fails with the numbers and creates
// nothing.

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../../..');
const TEMPLATE = join(ROOT, 'templates/notebook/template.yaml');
const MEMBER = 'user:default/ada';
const OUTSIDER = 'user:default/eve';

const userInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs:
          ref === MEMBER ? [ref, 'group:default/fraud-team'] : [ref],
      };
    },
  }),
});

describe('templates/notebook through the real scaffolder and ML backend', () => {
  let cluster: KubeApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    cluster = await startKubeApiServer({
      seed: loadManifests(
        readFileSync(join(ROOT, 'examples/kube/gpu-cluster-a.yaml'), 'utf8'),
      ),
    });
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        scaffolderPlugin,
        scaffolderModuleMl,
        mlPlugin,
        permissionPlugin,
        mlTestPolicyModule(),
        oboAuthServiceFactory,
        userInfo,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            catalog: {
              rules: [{ allow: ['Template', 'Location'] }],
              locations: [{ type: 'file', target: TEMPLATE }],
            },
            ml: {
              kubernetes: {
                refreshSeconds: 0,
                clusters: [
                  {
                    name: 'gpu-cluster-a',
                    url: cluster.url,
                    token: cluster.token,
                    caData: cluster.caData,
                    notebookUrl:
                      'https://jupyter.example.com/notebook/{{namespace}}/{{name}}/',
                  },
                ],
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
  });

  const as = (user: string) => mockCredentials.user.header(user);

  async function fraudGpus(): Promise<{ used: number; free: number }> {
    const res = await request(backend.server)
      .get('/api/ml/quotas?cluster=gpu-cluster-a&namespace=fraud')
      .set('authorization', as(MEMBER));
    const body = res.body as GpuQuotasResponse;
    const r = body.quotas[0].resources.find(
      x => x.resource === 'nvidia.com/gpu',
    )!;
    return { used: r.used, free: r.free };
  }

  const values = (overrides: Record<string, unknown> = {}) => ({
    name: 'ada-exploration',
    image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
    cpu: '4',
    memory: '16Gi',
    storage: '20Gi',
    placement: {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      team: 'group:default/fraud-team',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
    },
    ...overrides,
  });

  async function run(user: string, input: Record<string, unknown>) {
    // The template must be in the catalog before a task can reference it.
    for (let i = 0; i < 120; i++) {
      const t = await request(backend.server)
        .get('/api/catalog/entities/by-name/template/default/gpu-notebook')
        .set('authorization', as(user));
      if (t.status === 200) break;
      await new Promise(r => setTimeout(r, 250));
    }
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', as(user))
      .send({ templateRef: 'template:default/gpu-notebook', values: input });
    if (created.status !== 201)
      return { status: created.status, body: created.body };
    const id = created.body.id;
    for (;;) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${id}`)
        .set('authorization', as(user));
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${id}/events`)
          .set('authorization', as(user));
        const log = (events.body as any[])
          .map(e => e.body?.message ?? '')
          .join('\n');
        return { status: task.body.status, task: task.body, log };
      }
      await new Promise(r => setTimeout(r, 250));
    }
  }

  it('validates in a dry run without creating anything', async () => {
    const template = parse(await fs.readFile(TEMPLATE, 'utf8'));
    const before = cluster.list('kubeflow.org/v1', 'Notebook', 'fraud').length;
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/dry-run')
      .set('authorization', as(MEMBER))
      .send({ template, values: values(), secrets: {}, directoryContents: [] });
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s: any) => s.id)).toEqual(['quota', 'notebook']);
    const log = (res.body.log as any[]).map(l => l.body.message).join('\n');
    expect(log).toMatch(/Dry run: would create notebook ada-exploration/);
    expect(cluster.list('kubeflow.org/v1', 'Notebook', 'fraud').length).toBe(
      before,
    );
  });

  it('creates a 1-GPU notebook on the cluster, and the quota numbers move', async () => {
    const before = await fraudGpus();
    const result = await run(MEMBER, values());
    expect(result.status).toBe('completed');

    const notebook: any = cluster.get(
      'kubeflow.org/v1',
      'Notebook',
      'fraud',
      'ada-exploration',
    );
    expect(notebook).toBeDefined();
    const container = notebook.spec.template.spec.containers[0];
    expect(container.image).toBe('quay.io/jupyter/pytorch-notebook:2024-12-02');
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(notebook.metadata.labels['app.kubernetes.io/managed-by']).toBe(
      'backstage-ml',
    );

    const after = await fraudGpus();
    expect(after.used).toBe(before.used + 1);
    expect(after.free).toBe(before.free - 1);

    // It is listed under the user's notebooks, with the link from the output.
    const mine = await request(backend.server)
      .get('/api/ml/notebooks')
      .set('authorization', as(MEMBER));
    expect(mine.body.items.map((n: any) => n.name)).toContain(
      'ada-exploration',
    );
    expect((result as any).task.spec.output).toBeDefined();
  });

  it('fails with the numbers when the GPUs do not fit, and creates nothing', async () => {
    const { free } = await fraudGpus();
    const result = await run(
      MEMBER,
      values({
        name: 'too-big',
        placement: { ...values().placement, gpus: free + 1 },
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.log).toContain(
      `asked for ${
        free + 1
      } nvidia.com/gpu in fraud on gpu-cluster-a; ${free} free, 0 borrowable`,
    );
    expect(
      cluster.get('kubeflow.org/v1', 'Notebook', 'fraud', 'too-big'),
    ).toBeUndefined();
  });

  it('refuses a user who is not in the team, and bad names, creating nothing', async () => {
    const outsider = await run(OUTSIDER, values({ name: 'eve-notebook' }));
    expect(outsider.status).toBe('failed');
    expect(outsider.log).toMatch(/not a member of group:default\/fraud-team/);
    expect(
      cluster.get('kubeflow.org/v1', 'Notebook', 'fraud', 'eve-notebook'),
    ).toBeUndefined();

    const bad = await run(MEMBER, values({ name: 'Bad_Name' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/name/);
    expect(
      cluster
        .list('kubeflow.org/v1', 'Notebook', 'fraud')
        .map((n: any) => n.metadata.name),
    ).not.toContain('Bad_Name');
  });
});
