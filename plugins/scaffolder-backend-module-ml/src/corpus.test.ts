import {
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
// An integration test: the real ML backend answers the module's calls.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import mlPlugin from '@mlplatform/plugin-ml-backend';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { scaffolderModuleMl } from './module';

// The template-input cases of the bad-input corpus
// (test/corpus/template-inputs.yaml) through the real scaffolder, catalog and
// ML backend against the test Kubernetes API server seeded with the demo
// cluster: each is refused (400 from the parameter schema, or a failed task
// whose log says why) and nothing is created anywhere.

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const MEMBER = 'user:default/ada';

interface TemplateCase {
  name: string;
  template: 'notebook' | 'ml-project';
  values?: Record<string, unknown>;
  placement?: Record<string, unknown>;
  expect: string;
  knownIssue?: string;
}

const TEMPLATES = {
  notebook: {
    ref: 'template:default/gpu-notebook',
    file: join(ROOT, 'templates/notebook/template.yaml'),
    values: {
      name: 'corpus-nb',
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
    },
  },
  'ml-project': {
    ref: 'template:default/ml-project',
    file: join(ROOT, 'templates/ml-project/template.yaml'),
    values: {
      name: 'corpus-project',
      description: 'A corpus project',
      owner: 'group:default/fraud-team',
      modelType: 'classifier',
      datasetLocation: 's3://ml-data/corpus',
      registry: 'oci://127.0.0.1:19050/models',
      schedule: '0 3 * * 1',
      placement: {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        gpus: 1,
        gpuResource: 'nvidia.com/gpu',
      },
    },
  },
};

const userInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: {},
  factory: () => ({
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef;
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, 'group:default/fraud-team'],
      };
    },
  }),
});

const cases: TemplateCase[] = parse(
  readFileSync(join(ROOT, 'test/corpus/template-inputs.yaml'), 'utf8'),
).cases;

describe('bad-input corpus: template inputs through the real scaffolder and ML backend', () => {
  let cluster: KubeApiServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let publishDir: string;
  const as = () => mockCredentials.user.header(MEMBER);

  beforeAll(async () => {
    publishDir = await fs.mkdtemp(join(tmpdir(), 'ml-corpus-publish-'));
    cluster = await startKubeApiServer({
      seed: loadManifests(
        readFileSync(join(ROOT, 'examples/kube/gpu-cluster-a.yaml'), 'utf8'),
      ),
    });
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        catalogModuleMlEntityModel,
        createBackendModule({
          pluginId: 'catalog',
          moduleId: 'file-locations',
          register(reg) {
            reg.registerInit({
              deps: { locations: catalogLocationsExtensionPoint },
              async init({ locations }) {
                locations.setAllowedLocationTypes(['url', 'file']);
              },
            });
          },
        }),
        scaffolderPlugin,
        scaffolderModuleMl,
        mlPlugin,
        userInfo,
        mockServices.rootConfig.factory({
          data: {
            scaffolder: { ml: { localPublishDirectory: publishDir } },
            catalog: {
              rules: [
                {
                  allow: [
                    ...['Template', 'Location', 'Group', 'User'],
                    ...['Model', 'Dataset', 'Pipeline', 'Component'],
                  ],
                },
              ],
              locations: [
                ...Object.values(TEMPLATES).map(t => ({
                  type: 'file',
                  target: t.file,
                })),
                { type: 'file', target: join(ROOT, 'examples/ml/org.yaml') },
              ],
            },
            ml: {
              registries: [
                { name: 'local', type: 'oci', url: 'http://127.0.0.1:19050' },
              ],
              kubernetes: {
                refreshSeconds: 0,
                clusters: [
                  {
                    name: 'gpu-cluster-a',
                    url: cluster.url,
                    token: cluster.token,
                    caData: cluster.caData,
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    for (const t of Object.values(TEMPLATES)) {
      const [kind, rest] = t.ref.split(':');
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await request(backend.server)
          .get(`/api/catalog/entities/by-name/${kind}/${rest}`)
          .set('authorization', as());
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error(`no ${t.ref} in catalog`);
        await new Promise(r => setTimeout(r, 250));
      }
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await cluster?.stop();
    if (publishDir) await fs.rm(publishDir, { recursive: true, force: true });
  });

  /** Refusal text: the schema errors of a 400, or the log of a failed task. */
  async function run(c: TemplateCase) {
    const base = TEMPLATES[c.template];
    const values = {
      ...base.values,
      ...c.values,
      placement: { ...base.values.placement, ...c.placement },
    };
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', as())
      .send({ templateRef: base.ref, values });
    if (created.status !== 201) {
      const errors = (created.body?.errors ?? [created.body?.error]) as any[];
      return {
        outcome: String(created.status),
        message: errors.map(e => e?.stack ?? e?.message).join('\n'),
      };
    }
    for (;;) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('authorization', as());
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
          .set('authorization', as());
        return {
          outcome: task.body.status as string,
          // The log without stack frames: what the user reads.
          message: (events.body as any[])
            .map(e => e.body?.message ?? '')
            .join('\n')
            .split('\n')
            .filter(line => !/^\s+at /.test(line))
            .join('\n'),
        };
      }
      await new Promise(r => setTimeout(r, 250));
    }
  }

  const mlEntities = async () =>
    (
      await request(backend.server)
        .get(
          '/api/catalog/entities?filter=kind=model,kind=dataset,kind=pipeline',
        )
        .set('authorization', as())
    ).body.map((e: any) => e.metadata.name);

  it('refuses every template-input case with its message and creates nothing', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const before = {
      notebooks: (
        await request(backend.server)
          .get('/api/ml/notebooks')
          .set('authorization', as())
      ).body,
      entities: await mlEntities(),
    };
    cluster.resetRequests();

    const failures: string[] = [];
    const known: string[] = [];
    for (const c of cases) {
      const { outcome, message } = await run(c);
      const ok =
        (outcome === '400' || outcome === 'failed') &&
        message.includes(c.expect);
      const line = `${c.name}: ${outcome} ${JSON.stringify(
        message.slice(-700),
      )}, want 400 or failed with ${JSON.stringify(c.expect)}`;
      if (process.env.CORPUS_DEBUG) known.push(line);
      if (c.knownIssue) known.push(ok ? `${c.name}: fixed` : line);
      else if (!ok) failures.push(line);
    }
    if (known.length) {
      // eslint-disable-next-line no-console
      console.warn(`known issues in the corpus:\n${known.join('\n')}`);
    }
    expect(failures).toEqual([]);

    const writes = cluster.requests.filter(r =>
      ['create', 'update', 'patch', 'delete'].includes(r.verb ?? ''),
    );
    expect(writes.map(r => `${r.method} ${r.path}`)).toEqual([]);
    expect(
      (
        await request(backend.server)
          .get('/api/ml/notebooks')
          .set('authorization', as())
      ).body,
    ).toEqual(before.notebooks);
    expect(await mlEntities()).toEqual(before.entities);
    expect(await fs.readdir(publishDir)).toEqual([]);
  });
});
