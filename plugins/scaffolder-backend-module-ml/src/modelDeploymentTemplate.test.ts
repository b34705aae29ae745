import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { scaffolderModuleMl } from './module';

// templates/model-deployment through the real scaffolder's dry run: the
// generated GitOps manifests and the model-server Component and its API.
// The quota step needs the ML backend and a cluster, so it is left out here.

jest.setTimeout(120_000);

const TEMPLATE_DIR = resolve(__dirname, '../../../templates/model-deployment');
const auth = mockCredentials.user.header();

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory()
      ? listFiles(join(dir, e.name), base)
      : [relative(base, join(dir, e.name))],
  );
}

async function templateForTest() {
  const template = parse(
    await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
  );
  template.spec.steps = template.spec.steps.filter(
    (s: { action: string }) => s.action === 'fetch:template',
  );
  template.spec.output = {};
  return template;
}

describe('templates/model-deployment', () => {
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const backend = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleMl,
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });
  afterAll(() => stop?.());

  async function dryRun(values: Record<string, unknown>) {
    const directoryContents = listFiles(TEMPLATE_DIR)
      .filter(p => p.startsWith('skeleton/'))
      .map(path => ({
        path,
        base64Content: readFileSync(join(TEMPLATE_DIR, path)).toString(
          'base64',
        ),
      }));
    const res = await request(server)
      .post('/api/scaffolder/v2/dry-run')
      .set('authorization', auth)
      .send({
        template: await templateForTest(),
        values,
        secrets: {},
        directoryContents,
      });
    expect(res.status).toBe(200);
    return new Map<string, string>(
      res.body.directoryContents.map(
        (f: { path: string; base64Content: string }) => [
          f.path,
          Buffer.from(f.base64Content, 'base64').toString('utf8'),
        ],
      ),
    );
  }

  const values = {
    name: 'fraud-scorer',
    model: 'model:default/fraud-detector',
    version: '3',
    owner: 'group:default/fraud-team',
    runtime: 'kserve-v2',
    placement: {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud-team',
      gpus: 2,
      gpuResource: 'nvidia.com/gpu',
    },
    minReplicas: 1,
    maxReplicas: 3,
  };

  it('asks for the quota of the maximum replicas with the notebook quota picker', async () => {
    const template = parse(
      await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
    );
    const placement = template.spec.parameters
      .flatMap((p: any) => Object.entries(p.properties))
      .find(([k]: [string]) => k === 'placement')[1];
    expect(placement['ui:field']).toBe('GpuQuotaPicker');
    const quota = template.spec.steps.find((s: any) => s.id === 'quota');
    expect(quota.action).toBe('ml:gpu-quota:check');
    expect(quota.input.gpus).toContain('parameters.maxReplicas');
    const version = template.spec.parameters
      .flatMap((p: any) => Object.entries(p.properties))
      .find(([k]: [string]) => k === 'version')[1];
    expect(version['ui:field']).toBe('ModelVersionPicker');
  });

  it('writes a KServe v2 InferenceService the serving card recognises, and a model-server with its API', async () => {
    const files = await dryRun(values);
    const isvc = parse(files.get('k8s/inferenceservice.yaml')!);
    expect(isvc).toMatchObject({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: {
        name: 'fraud-scorer',
        namespace: 'fraud-team',
        labels: {
          'mlplatform.io/model': 'fraud-detector',
          'mlplatform.io/model-version': '3',
        },
      },
      spec: {
        predictor: {
          minReplicas: 1,
          maxReplicas: 3,
          model: {
            modelFormat: { name: 'mlflow' },
            protocolVersion: 'v2',
            storageUri: 'models:/fraud-detector/3',
            resources: { limits: { 'nvidia.com/gpu': '2' } },
          },
        },
      },
    });
    const [component, api] = parseAllDocuments(
      files.get('catalog-info.yaml')!,
    ).map(d => d.toJSON());
    expect(component).toMatchObject({
      kind: 'Component',
      metadata: { name: 'fraud-scorer' },
      spec: {
        type: 'model-server',
        owner: 'group:default/fraud-team',
        providesApis: ['fraud-scorer-api'],
        dependsOn: ['model:default/fraud-detector'],
      },
    });
    expect(api).toMatchObject({
      kind: 'API',
      metadata: { name: 'fraud-scorer-api' },
      spec: { type: 'openapi' },
    });
    const openapi = parse(api.spec.definition);
    expect(Object.keys(openapi.paths)).toContain(
      '/v2/models/fraud-scorer/infer',
    );
  });

  it('writes a vLLM OpenAI-compatible server for LLMs', async () => {
    const files = await dryRun({ ...values, runtime: 'vllm-openai' });
    const isvc = parse(files.get('k8s/inferenceservice.yaml')!);
    expect(isvc.spec.predictor.model.modelFormat).toEqual({
      name: 'huggingface',
    });
    expect(isvc.spec.predictor.model.args).toEqual(['--backend=vllm']);
    const api = parseAllDocuments(files.get('catalog-info.yaml')!)[1].toJSON();
    expect(Object.keys(parse(api.spec.definition).paths)).toContain(
      '/openai/v1/chat/completions',
    );
  });
});
