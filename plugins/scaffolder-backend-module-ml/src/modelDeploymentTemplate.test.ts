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
import permissionPlugin from '@backstage/plugin-permission-backend';
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
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments, stringify } from 'yaml';
// The registry's test data, pushed as `ml-push` does.
import { pushModel } from '@mlplatform/plugin-ml-oci';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { oboAuthServiceFactory } from '../../ml-backend/src/permissions/__testUtils__/oboAuthServiceFactory';
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { mlTestPolicyModule } from '../../ml-backend/src/permissions/__testUtils__/testPolicy';
import { scaffolderModuleMl } from './module';

// templates/model-deployment through the real scaffolder, catalog (with the
// ML kinds) and ML backend, against the test Kubernetes API server seeded
// with the demo cluster (which serves KServe) and a real OCI registry: the
// backend checks and applies the InferenceService, the action writes the
// same manifests into the published GitOps repository, the Serving card
// lists it, and the registered model-server serves the Model.

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '../../..');
const TEMPLATE_DIR = join(ROOT, 'templates/model-deployment');
const MEMBER = 'user:default/ada';
const OUTSIDER = 'user:default/eve';
const KSERVE = 'serving.kserve.io/v1beta1';
const as = (user: string) => mockCredentials.user.header(user);

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

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    if (!e.isDirectory()) return [relative(base, join(dir, e.name))];
    return e.name === '.git' ? [] : listFiles(join(dir, e.name), base);
  });
}

describeIfBinary(serverBinaries.registry)('templates/model-deployment', () => {
  let cluster: KubeApiServer;
  let registry: RegistryHandle;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let publishDir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    for (const tag of ['v1', 'v2']) {
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag,
        file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
        framework: 'onnx',
        metrics: { auc: 0.9 },
        aliases: [],
      });
    }
    cluster = await startKubeApiServer({
      seed: loadManifests(
        readFileSync(join(ROOT, 'examples/kube/gpu-cluster-a.yaml'), 'utf8'),
      ),
    });
    const dir = await fs.mkdtemp(join(tmpdir(), 'model-deployment-'));
    publishDir = join(dir, 'published');
    await fs.writeFile(
      join(dir, 'model.yaml'),
      stringify({
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'Model',
        metadata: {
          name: 'fraud-detector',
          annotations: {
            'mlplatform.io/registry-ref': `oci://${registry.host}/models/fraud-detector`,
          },
        },
        spec: {
          type: 'classifier',
          lifecycle: 'production',
          owner: 'fraud-team',
        },
      }),
    );
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
        permissionPlugin,
        mlTestPolicyModule(),
        oboAuthServiceFactory,
        userInfo,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            scaffolder: { ml: { localPublishDirectory: publishDir } },
            catalog: {
              rules: [
                {
                  allow: ['Template', 'Location', 'Model', 'Component', 'API'],
                },
              ],
              locations: [
                { type: 'file', target: join(TEMPLATE_DIR, 'template.yaml') },
                { type: 'file', target: join(dir, 'model.yaml') },
              ],
            },
            ml: {
              registries: [{ name: 'local', type: 'oci', url: registry.url }],
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
    // The template and the Model must be in the catalog before a task runs.
    for (const path of [
      'template/default/model-deployment',
      'model/default/fraud-detector',
    ]) {
      for (let i = 0; i < 120; i++) {
        const res = await request(backend.server)
          .get(`/api/catalog/entities/by-name/${path}`)
          .set('authorization', as(MEMBER));
        if (res.status === 200) break;
        await new Promise(r => setTimeout(r, 250));
      }
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([cluster?.stop(), registry?.stop()]);
  });

  const values = (overrides: Record<string, unknown> = {}) => ({
    name: 'fraud-scorer',
    model: 'model:default/fraud-detector',
    version: 'v2',
    owner: 'group:default/fraud-team',
    runtime: 'kserve-v2',
    placement: {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      team: 'group:default/fraud-team',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
    },
    minReplicas: 1,
    maxReplicas: 2,
    apply: true,
    ...overrides,
  });
  const inCluster = (name: string) =>
    cluster.get(KSERVE, 'InferenceService', 'fraud', name) as any;

  async function dryRun(input: Record<string, unknown>) {
    const template = parse(
      await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
    );
    // Publishing and registering need a real run; the rest runs dry.
    template.spec.steps = template.spec.steps.filter((s: { id: string }) =>
      ['fetch', 'deploy'].includes(s.id),
    );
    template.spec.output = {};
    const directoryContents = listFiles(TEMPLATE_DIR)
      .filter(p => p.startsWith('skeleton/'))
      .map(path => ({
        path,
        base64Content: readFileSync(join(TEMPLATE_DIR, path)).toString(
          'base64',
        ),
      }));
    const res = await request(backend.server)
      .post('/api/scaffolder/v2/dry-run')
      .set('authorization', as(MEMBER))
      .send({ template, values: input, secrets: {}, directoryContents });
    expect(res.status).toBe(200);
    const log = (res.body.log as any[]).map(l => l.body.message).join('\n');
    const files = new Map<string, string>(
      (res.body.directoryContents ?? []).map(
        (f: { path: string; base64Content: string }) => [
          f.path,
          Buffer.from(f.base64Content, 'base64').toString('utf8'),
        ],
      ),
    );
    return { files, log };
  }

  async function run(user: string, input: Record<string, unknown>) {
    const created = await request(backend.server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', as(user))
      .send({
        templateRef: 'template:default/model-deployment',
        values: input,
      });
    expect(created.status).toBe(201);
    for (;;) {
      const task = await request(backend.server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('authorization', as(user));
      if (['completed', 'failed', 'cancelled'].includes(task.body.status)) {
        const events = await request(backend.server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
          .set('authorization', as(user));
        const log = (events.body as any[])
          .map(e => e.body?.message ?? '')
          .join('\n');
        return { status: task.body.status as string, log };
      }
      await new Promise(r => setTimeout(r, 250));
    }
  }

  it('asks for the version with ModelVersionPicker and the quota with GpuQuotaPicker, and deploys through ml:model:deploy', async () => {
    const template = parse(
      await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
    );
    const field = (name: string) =>
      template.spec.parameters
        .flatMap((p: any) => Object.entries(p.properties))
        .find(([k]: [string]) => k === name)[1];
    expect(field('placement')['ui:field']).toBe('GpuQuotaPicker');
    // the form checks GPUs × maxReplicas and min <= max as the backend does
    expect(field('placement')['ui:options'].replicasFields).toEqual({
      min: 'minReplicas',
      max: 'maxReplicas',
    });
    expect(field('version')['ui:field']).toBe('ModelVersionPicker');
    const deploy = template.spec.steps.find((s: any) => s.id === 'deploy');
    expect(deploy.action).toBe('ml:model:deploy');
    expect(deploy.input.maxReplicas).toContain('parameters.maxReplicas');
    // one builder: the skeleton holds no Kubernetes manifests of its own
    expect(listFiles(TEMPLATE_DIR).some(p => p.includes('/k8s/'))).toBe(false);
  });

  it('a dry run writes the backend-built InferenceService and the model-server, applying nothing', async () => {
    const { files, log } = await dryRun(values());
    expect(log).toMatch(
      /Checked, not applied: InferenceService fraud\/fraud-scorer/,
    );
    expect(inCluster('fraud-scorer')).toBeUndefined();
    const isvc = parse(files.get('k8s/inferenceservice.yaml')!);
    expect(isvc).toMatchObject({
      apiVersion: KSERVE,
      kind: 'InferenceService',
      metadata: {
        name: 'fraud-scorer',
        namespace: 'fraud',
        labels: { 'mlplatform.io/model': 'fraud-detector' },
        annotations: { 'mlplatform.io/model-version': 'v2' },
      },
      spec: {
        predictor: {
          minReplicas: 1,
          maxReplicas: 2,
          model: {
            modelFormat: { name: 'onnx' },
            protocolVersion: 'v2',
            storageUri: `oci://${registry.host}/models/fraud-detector:v2`,
            resources: { limits: { 'nvidia.com/gpu': '1' } },
          },
        },
      },
    });
    const [component, api] = parseAllDocuments(
      files.get('catalog-info.yaml')!,
    ).map(d => d.toJSON());
    expect(component).toMatchObject({
      kind: 'Component',
      spec: {
        type: 'model-server',
        providesApis: ['fraud-scorer-api'],
        dependsOn: ['model:default/fraud-detector'],
      },
    });
    expect(Object.keys(parse(api.spec.definition).paths)).toContain(
      '/v2/models/fraud-scorer/infer',
    );
  });

  it('a vLLM server for LLMs', async () => {
    const { files } = await dryRun(
      values({ name: 'fraud-llm', runtime: 'vllm-openai' }),
    );
    const isvc = parse(files.get('k8s/inferenceservice.yaml')!);
    expect(isvc.spec.predictor.model).toMatchObject({
      modelFormat: { name: 'huggingface' },
      args: ['--backend=vllm'],
    });
    const api = parseAllDocuments(files.get('catalog-info.yaml')!)[1].toJSON();
    expect(Object.keys(parse(api.spec.definition).paths)).toContain(
      '/openai/v1/chat/completions',
    );
  });

  it('deploys for a member: on the cluster, in the GitOps repository, on the Serving card, and the Component serves the Model', async () => {
    const result = await run(MEMBER, values());
    expect(result.status).toBe('completed');
    const live = inCluster('fraud-scorer');
    expect(live.spec.predictor.model.storageUri).toBe(
      `oci://${registry.host}/models/fraud-detector:v2`,
    );
    const published = parse(
      readFileSync(
        join(publishDir, 'fraud-scorer', 'k8s/inferenceservice.yaml'),
        'utf8',
      ),
    );
    expect(published.spec).toEqual(live.spec);

    const serving = await request(backend.server)
      .get('/api/ml/models/default/fraud-detector/serving')
      .set('authorization', as(MEMBER));
    expect(serving.body.places).toContainEqual(
      expect.objectContaining({
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        name: 'fraud-scorer',
        version: 'v2',
      }),
    );

    let relations: Array<{ type: string; targetRef: string }> = [];
    for (let i = 0; i < 120; i++) {
      const model = await request(backend.server)
        .get('/api/catalog/entities/by-name/model/default/fraud-detector')
        .set('authorization', as(MEMBER));
      relations = model.body.relations ?? [];
      if (relations.some(r => r.type === 'servedBy')) break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(relations).toContainEqual(
      expect.objectContaining({
        type: 'servedBy',
        targetRef: 'component:default/fraud-scorer',
      }),
    );
  });

  it('fails for a user outside the owning team, applying and publishing nothing', async () => {
    const result = await run(OUTSIDER, values({ name: 'eve-scorer' }));
    expect(result.status).toBe('failed');
    expect(result.log).toContain(
      'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
    );
    expect(inCluster('eve-scorer')).toBeUndefined();
    await expect(fs.stat(join(publishDir, 'eve-scorer'))).rejects.toThrow();
  });
});
