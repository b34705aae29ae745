import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import catalogModuleMlEntityModel, {
  MlEntitiesProcessor,
} from '@mlplatform/plugin-catalog-backend-module-ml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { scaffolderModuleMl } from './module';

// Runs templates/ml-project through the real scaffolder backend (with the real
// catalog and the ML kinds), in dry-run and in a real run that publishes to a
// local bare git repository and registers the entities in the catalog.

jest.setTimeout(180_000);

const TEMPLATE_DIR = resolve(__dirname, '../../../templates/ml-project');
const auth = mockCredentials.user.header();

/** The template without the quota step: the quota check needs the ML backend
 * and a cluster, which the lead's integration test provides. */
async function templateForTest() {
  const template = parse(
    await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
  );
  template.metadata.name = 'ml-project-under-test';
  template.spec.steps = template.spec.steps.filter(
    (s: { action: string }) => s.action !== 'ml:gpu-quota:check',
  );
  template.spec.output.text = [];
  return template;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    if (!e.isDirectory()) return [relative(base, join(dir, e.name))];
    return e.name === '.git' ? [] : listFiles(join(dir, e.name), base);
  });
}

/** A python3 with torch and pytest (Debian's python3-torch is the system one). */
function pythonWithTorch(): string | undefined {
  const candidates = [
    process.env.ML_TEMPLATE_PYTHON,
    'python3',
    '/usr/bin/python3',
  ].filter((c): c is string => Boolean(c));
  return candidates.find(
    python =>
      spawnSync(python, ['-c', 'import torch, pytest'], { stdio: 'ignore' })
        .status === 0,
  );
}

const values = {
  name: 'churn-predictor',
  description: 'Predicts which customers churn next month',
  owner: 'group:default/recsys-team',
  modelType: 'classifier',
  datasetLocation: 's3://ml-data/churn/2024',
  registry: 'oci://127.0.0.1:19050/models',
  schedule: '0 3 * * 1',
  placement: {
    cluster: 'gpu-cluster-a',
    namespace: 'recsys',
    team: 'group:default/recsys-team',
    gpus: 2,
    gpuResource: 'nvidia.com/gpu',
  },
  queue: 'recsys-queue',
};

describe('templates/ml-project/template.yaml', () => {
  it('asks for training GPUs with the same quota picker as the notebook template, and checks them', async () => {
    const read = async (dir: string) =>
      parse(
        await fs.readFile(
          join(TEMPLATE_DIR, '..', dir, 'template.yaml'),
          'utf8',
        ),
      );
    const [project, notebook] = [
      await read('ml-project'),
      await read('notebook'),
    ];
    const placement = (t: any) =>
      t.spec.parameters.find((p: any) => p.properties.placement).properties
        .placement;
    expect(placement(project)['ui:field']).toBe('GpuQuotaPicker');
    expect(placement(project).properties).toEqual(
      placement(notebook).properties,
    );
    const quota = project.spec.steps.find(
      (s: { action: string }) => s.action === 'ml:gpu-quota:check',
    );
    expect(quota.input).toEqual({
      cluster: '${{ parameters.placement.cluster }}',
      namespace: '${{ parameters.placement.namespace }}',
      gpus: '${{ parameters.placement.gpus }}',
      gpuResource: '${{ parameters.placement.gpuResource }}',
      flavor: '${{ parameters.placement.flavor }}',
    });
  });
});

describe('templates/ml-project through the real scaffolder', () => {
  let root: string;
  let publishDir: string;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    root = await fs.mkdtemp(join(tmpdir(), 'ml-project-template-'));
    publishDir = join(root, 'git');
    // The catalog reads the template from a file location, next to its skeleton.
    const templateDir = join(root, 'template');
    await fs.cp(join(TEMPLATE_DIR, 'skeleton'), join(templateDir, 'skeleton'), {
      recursive: true,
    });
    await fs.writeFile(
      join(templateDir, 'template.yaml'),
      JSON.stringify(await templateForTest()),
    );

    const backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleScaffolderEntityModel,
        catalogModuleMlEntityModel,
        // What the portal's backend must do for ml:catalog:register-file.
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
        mockServices.rootConfig.factory({
          data: {
            scaffolder: { ml: { localPublishDirectory: publishDir } },
            catalog: {
              rules: [
                {
                  allow: [
                    'Template',
                    'Location',
                    'Model',
                    'Dataset',
                    'Pipeline',
                  ],
                },
              ],
              locations: [
                { type: 'file', target: join(templateDir, 'template.yaml') },
              ],
            },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  async function waitFor<T>(what: string, fn: () => Promise<T | undefined>) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const result = await fn();
      if (result !== undefined) return result;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }

  async function entity(ref: string) {
    const [kind, rest] = ref.split(':');
    const [namespace, name] = rest.split('/');
    const res = await request(server)
      .get(`/api/catalog/entities/by-name/${kind}/${namespace}/${name}`)
      .set('authorization', auth);
    return res.status === 200 ? res.body : undefined;
  }

  async function dryRun(input: Record<string, unknown>) {
    const templateDir = join(root, 'template');
    const directoryContents = listFiles(templateDir).map(path => ({
      path,
      base64Content: execFileSync('base64', ['-w0', join(templateDir, path)], {
        encoding: 'utf8',
      }),
    }));
    return request(server)
      .post('/api/scaffolder/v2/dry-run')
      .set('authorization', auth)
      .send({
        template: await templateForTest(),
        values: input,
        secrets: {},
        directoryContents,
      });
  }

  const templateInCatalog = () =>
    waitFor('the template in the catalog', () =>
      entity('template:default/ml-project-under-test'),
    );

  async function run(input: Record<string, unknown>) {
    await templateInCatalog();
    const created = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', auth)
      .send({
        templateRef: 'template:default/ml-project-under-test',
        values: input,
      });
    if (created.status !== 201) return { created, task: undefined };
    const task = await waitFor('the task to finish', async () => {
      const res = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('authorization', auth);
      return ['completed', 'failed', 'cancelled'].includes(res.body.status)
        ? res.body
        : undefined;
    });
    return { created, task };
  }

  it('has every action the real template uses, the quota check included', async () => {
    const template = parse(
      await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
    );
    const res = await request(server)
      .get('/api/scaffolder/v2/actions')
      .set('authorization', auth);
    const ids = res.body.map((a: { id: string }) => a.id);
    const used = template.spec.steps.map((s: { action: string }) => s.action);
    expect(used).toEqual([
      'fetch:template',
      'ml:gpu-quota:check',
      'ml:catalog:write-entities',
      'ml:publish:local',
      'ml:catalog:register-file',
    ]);
    expect(ids).toEqual(expect.arrayContaining(used));
  });

  describe('dry run', () => {
    let files: Map<string, string>;
    let workspace: string;

    beforeAll(async () => {
      const res = await dryRun(values);
      if (res.status !== 200) {
        throw new Error(`dry run failed: ${JSON.stringify(res.body)}`);
      }
      files = new Map(
        res.body.directoryContents.map(
          (f: { path: string; base64Content: string }) => [
            f.path,
            Buffer.from(f.base64Content, 'base64').toString('utf8'),
          ],
        ),
      );
      workspace = join(root, 'dry-run-output');
      for (const [path, content] of files) {
        await fs.mkdir(join(workspace, path, '..'), { recursive: true });
        await fs.writeFile(join(workspace, path), content);
      }
    });

    it('generates the project with the values substituted', () => {
      expect([...files.keys()].sort()).toEqual(
        expect.arrayContaining([
          '.github/workflows/train.yaml',
          'Makefile',
          'README.md',
          'catalog-info.yaml',
          'docs/model-card.md',
          'k8s/training-job.yaml',
          'mkdocs.yml',
          'pipeline.yaml',
          'requirements.txt',
          'src/churn_predictor/__init__.py',
          'src/churn_predictor/data.py',
          'src/churn_predictor/evaluate.py',
          'src/churn_predictor/model.py',
          'src/churn_predictor/tracking.py',
          'src/churn_predictor/train.py',
          'tests/test_model.py',
          'tests/test_tracking.py',
          'tests/test_train.py',
        ]),
      );
      for (const [path, content] of files) {
        // GitHub's expressions look like the scaffolder's; checked below.
        if (path.startsWith('.github/')) continue;
        expect({ path, templated: /\$\{\{|\{%/.test(content) }).toEqual({
          path,
          templated: false,
        });
      }
      expect(files.get('Makefile')).toContain(
        'MODEL_REF ?= oci://127.0.0.1:19050/models/churn-predictor',
      );
      // OCI is the default registry: no MLflow experiment on the entities.
      expect(files.get('catalog-info.yaml')).not.toContain('mlflow');
      expect(files.get('tests/test_train.py')).toContain(
        'from churn_predictor.train import main, train',
      );
      expect(files.get('docs/model-card.md')).toContain(
        'Predicts which customers churn next month',
      );
      // GitHub's own expressions survive the scaffolder's templating.
      expect(files.get('.github/workflows/train.yaml')).toContain(
        '${{ secrets.ML_REGISTRY_TOKEN }}',
      );
      expect(
        parse(files.get('.github/workflows/train.yaml')!).on.schedule,
      ).toEqual([{ cron: '0 3 * * 1' }]);
      expect(parse(files.get('mkdocs.yml')!)).toMatchObject({
        site_name: 'churn-predictor',
        site_description: 'Predicts which customers churn next month',
        nav: [{ Overview: 'index.md' }, { 'Model card': 'model-card.md' }],
      });
    });

    it('writes a Job with the picked GPUs that validates against the Kubernetes schema', () => {
      const manifest = parse(files.get('k8s/training-job.yaml')!);
      const job = new Job(manifest);
      expect(() => job.validate()).not.toThrow();
      expect(manifest.metadata).toMatchObject({
        name: 'churn-predictor-training',
        namespace: 'recsys',
        labels: {
          'backstage.io/kubernetes-id': 'churn-predictor',
          'kueue.x-k8s.io/queue-name': 'recsys-queue',
        },
      });
      expect(manifest.spec.suspend).toBe(true);
      const [container] = manifest.spec.template.spec.containers;
      expect(container.resources.requests['nvidia.com/gpu']).toBe('2');
      expect(container.resources.limits['nvidia.com/gpu']).toBe('2');
    });

    it('writes a pipeline of train, evaluate and push on the schedule', () => {
      const [workflow, cron] = parseAllDocuments(
        files.get('pipeline.yaml')!,
      ).map(d => d.toJS());
      expect(workflow.kind).toBe('WorkflowTemplate');
      const main = workflow.spec.templates.find(
        (t: { name: string }) => t.name === workflow.spec.entrypoint,
      );
      expect(main.steps.flat().map((s: { name: string }) => s.name)).toEqual([
        'train',
        'evaluate',
        'push',
      ]);
      expect(cron).toMatchObject({
        kind: 'CronWorkflow',
        spec: { schedule: '0 3 * * 1' },
      });
    });

    it('writes Model, Dataset and Pipeline that the ML catalog processor accepts, with lineage', async () => {
      const docs = parseAllDocuments(files.get('catalog-info.yaml')!).map(d =>
        d.toJS(),
      );
      const processor = new MlEntitiesProcessor();
      const relations: string[] = [];
      for (const doc of docs) {
        const processed = await processor.preProcessEntity(doc);
        await expect(processor.validateEntityKind(processed)).resolves.toBe(
          true,
        );
        await processor.postProcessEntity(
          processed,
          { type: 'file', target: 'catalog-info.yaml' },
          (result: any) => {
            if (result.type === 'relation') {
              const { source, type, target } = result.relation;
              relations.push(
                `${source.kind}:${source.name} ${type} ${target.kind}:${target.name}`.toLowerCase(),
              );
            }
          },
        );
      }
      expect(docs.map(d => `${d.kind}:${d.metadata.name}`)).toEqual([
        'Model:churn-predictor',
        'Dataset:churn-predictor-training-data',
        'Pipeline:churn-predictor-training',
      ]);
      expect(relations).toEqual(
        expect.arrayContaining([
          'model:churn-predictor trainedon dataset:churn-predictor-training-data',
          'model:churn-predictor producedby pipeline:churn-predictor-training',
          'pipeline:churn-predictor-training consumes dataset:churn-predictor-training-data',
          'pipeline:churn-predictor-training produces model:churn-predictor',
        ]),
      );
    });

    it('compiles every Python file', () => {
      const pyFiles = [...files.keys()].filter(f => f.endsWith('.py'));
      expect(pyFiles.length).toBeGreaterThanOrEqual(7);
      const result = spawnSync('python3', ['-m', 'py_compile', ...pyFiles], {
        cwd: workspace,
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });

    it("passes the generated project's own tests", () => {
      const python = pythonWithTorch();
      if (!python) {
        if (process.env.CI) {
          throw new Error(
            'no python3 with torch and pytest (apt-get install python3-torch python3-pytest, or set ML_TEMPLATE_PYTHON)',
          );
        }
        // eslint-disable-next-line no-console
        console.warn(
          'skipped: no python3 with torch and pytest (set ML_TEMPLATE_PYTHON)',
        );
        return;
      }
      const result = spawnSync(
        python,
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'],
        { cwd: workspace, encoding: 'utf8', timeout: 120_000 },
      );
      expect(result.stdout).toMatch(/\d+ passed/);
      expect(result.status).toBe(0);
    });

    it('trains and evaluates with make, and assembles the ml-push command', () => {
      const python = pythonWithTorch();
      if (!python) {
        if (process.env.CI) throw new Error('no python3 with torch and pytest');
        return;
      }
      const make = (...args: string[]) =>
        spawnSync('make', [`PYTHON=${python}`, ...args], {
          cwd: workspace,
          encoding: 'utf8',
          timeout: 120_000,
        });
      const train = make('train', 'EPOCHS=3');
      expect(train.stderr).not.toMatch(/Error/);
      expect(train.status).toBe(0);
      const metrics = JSON.parse(
        readFileSync(join(workspace, 'metrics.json'), 'utf8'),
      );
      expect(metrics.accuracy).toBeGreaterThan(0.85);
      expect(metrics.auc).toBeGreaterThan(0.9);
      expect(metrics.loss).toBeLessThan(metrics.initial_loss);
      expect(existsSync(join(workspace, 'model.pt'))).toBe(true);
      expect(make('evaluate').status).toBe(0);

      const push = make('--dry-run', 'push', 'VERSION=0.1.0');
      expect(push.status).toBe(0);
      const command = push.stdout.replace(/\\\n\s*/g, '');
      expect(command).toContain(
        'ml-push push --registry http://127.0.0.1:19050 --repository models/churn-predictor --tag 0.1.0 --file model.pt --framework pytorch',
      );
      expect(command).toContain(`--metric accuracy=${metrics.accuracy}`);
      expect(command).toContain('--pipeline pipeline:churn-predictor-training');
    });

    it('publishes nothing in a dry run', () => {
      expect(existsSync(publishDir)).toBe(false);
    });
  });

  describe('dry run with only the required input (a regressor, no GPUs, no schedule, no queue)', () => {
    let files: Map<string, string>;

    beforeAll(async () => {
      const res = await dryRun({
        name: 'demand-forecast',
        owner: 'group:default/recsys-team',
        modelType: 'regressor',
        datasetLocation: 'pvc://demand-data/history',
        registry: 'oci://127.0.0.1:19050/models',
        placement: { cluster: 'gpu-cluster-a', namespace: 'recsys', gpus: 0 },
      });
      if (res.status !== 200) {
        throw new Error(`dry run failed: ${JSON.stringify(res.body)}`);
      }
      files = new Map(
        res.body.directoryContents.map(
          (f: { path: string; base64Content: string }) => [
            f.path,
            Buffer.from(f.base64Content, 'base64').toString('utf8'),
          ],
        ),
      );
    });

    it('leaves out what was not asked for', () => {
      const manifest = parse(files.get('k8s/training-job.yaml')!);
      expect(() => new Job(manifest).validate()).not.toThrow();
      expect(manifest.metadata.labels).not.toHaveProperty([
        'kueue.x-k8s.io/queue-name',
      ]);
      expect(manifest.spec.suspend).toBeUndefined();
      const [container] = manifest.spec.template.spec.containers;
      expect(Object.keys(container.resources.requests)).toEqual([
        'cpu',
        'memory',
      ]);
      expect(container.image).toBe(
        'pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime',
      );
      expect(
        parseAllDocuments(files.get('pipeline.yaml')!).map(d => d.toJS().kind),
      ).toEqual(['WorkflowTemplate']);
      expect(
        parse(files.get('.github/workflows/train.yaml')!).on,
      ).not.toHaveProperty('schedule');
      const [model, , pipeline] = parseAllDocuments(
        files.get('catalog-info.yaml')!,
      ).map(d => d.toJS());
      expect(model.spec.type).toBe('regressor');
      expect(model.metadata.description).toBeUndefined();
      expect(pipeline.spec.schedule).toBeUndefined();
      expect(files.get('src/demand_forecast/__init__.py')).toContain(
        'DESCRIPTION = "The demand-forecast model"',
      );
    });

    it("passes the generated regressor's own tests", async () => {
      const python = pythonWithTorch();
      if (!python) {
        if (process.env.CI) throw new Error('no python3 with torch and pytest');
        return;
      }
      const workspace = join(root, 'dry-run-regressor');
      for (const [path, content] of files) {
        await fs.mkdir(join(workspace, path, '..'), { recursive: true });
        await fs.writeFile(join(workspace, path), content);
      }
      const result = spawnSync(
        python,
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider'],
        { cwd: workspace, encoding: 'utf8', timeout: 120_000 },
      );
      expect(result.stdout).toMatch(/\d+ passed/);
      expect(result.status).toBe(0);
    });
  });

  describe('dry run with MLflow as the registry', () => {
    let files: Map<string, string>;

    beforeAll(async () => {
      const res = await dryRun({ ...values, registryType: 'mlflow' });
      if (res.status !== 200) {
        throw new Error(`dry run failed: ${JSON.stringify(res.body)}`);
      }
      files = new Map(
        res.body.directoryContents.map(
          (f: { path: string; base64Content: string }) => [
            f.path,
            Buffer.from(f.base64Content, 'base64').toString('utf8'),
          ],
        ),
      );
    });

    it('names the experiment and the MLflow registered model on the Model', () => {
      const [model, dataset, pipeline] = parseAllDocuments(
        files.get('catalog-info.yaml')!,
      ).map(d => d.toJS());
      expect(model.spec.registry).toBe('mlflow://churn-predictor');
      expect(model.metadata.annotations).toMatchObject({
        'mlplatform.io/mlflow-experiment': 'churn-predictor',
      });
      expect(pipeline.metadata.annotations).toMatchObject({
        'mlplatform.io/mlflow-experiment': 'churn-predictor',
      });
      expect(dataset.metadata.annotations).toBeUndefined();
      expect(files.get('src/churn_predictor/tracking.py')).toContain(
        'MODEL_NAME = "churn-predictor"',
      );
    });

    it('trains into MLflow instead of pushing with ml-push, in the Makefile, the pipeline and CI', () => {
      for (const [path, content] of files) {
        if (path.startsWith('.github/')) continue;
        expect({ path, templated: /\$\{\{|\{%/.test(content) }).toEqual({
          path,
          templated: false,
        });
      }
      const makefile = files.get('Makefile')!;
      expect(makefile).not.toContain('ml-push');
      expect(makefile).toMatch(/^train:$/m);
      expect(makefile).not.toMatch(/^push:/m);

      const [workflow] = parseAllDocuments(files.get('pipeline.yaml')!).map(d =>
        d.toJS(),
      );
      const main = workflow.spec.templates.find(
        (t: { name: string }) => t.name === workflow.spec.entrypoint,
      );
      expect(main.steps.flat().map((s: { name: string }) => s.name)).toEqual([
        'train',
        'evaluate',
      ]);
      const train = workflow.spec.templates.find(
        (t: { name: string }) => t.name === 'train',
      );
      expect(train.container.env).toContainEqual({
        name: 'MLFLOW_TRACKING_URI',
        valueFrom: {
          secretKeyRef: { name: 'churn-predictor-mlflow', key: 'uri' },
        },
      });

      const ci = parse(files.get('.github/workflows/train.yaml')!);
      const steps = ci.jobs.train.steps;
      expect(steps.map((s: { name?: string }) => s.name)).not.toContain(
        'Push the model to the registry',
      );
      expect(
        steps.find((s: { name?: string }) => s.name === 'Train').env,
      ).toEqual({
        MLFLOW_TRACKING_URI: '${{ secrets.MLFLOW_TRACKING_URI }}',
        MLFLOW_TRACKING_USERNAME: '${{ secrets.MLFLOW_TRACKING_USERNAME }}',
        MLFLOW_TRACKING_PASSWORD: '${{ secrets.MLFLOW_TRACKING_PASSWORD }}',
      });
      expect(files.get('README.md')).toContain(
        'spec.registry: mlflow://churn-predictor',
      );
    });
  });

  describe('real run', () => {
    it('publishes to a local bare repository and registers Model, Dataset and Pipeline in the catalog with lineage', async () => {
      const { created, task } = await run({ ...values, name: 'fraud-scorer' });
      expect(created.status).toBe(201);
      expect(task.status).toBe('completed');

      const bare = join(publishDir, 'fraud-scorer.git');
      const log = execFileSync(
        'git',
        ['--git-dir', bare, 'log', '--format=%s|%an', 'main'],
        { encoding: 'utf8' },
      ).trim();
      expect(log).toBe(
        'Create fraud-scorer from the ML project template|Scaffolder',
      );
      const tree = execFileSync(
        'git',
        ['--git-dir', bare, 'ls-tree', '-r', '--name-only', 'main'],
        { encoding: 'utf8' },
      );
      expect(tree).toContain('src/fraud_scorer/train.py');
      expect(tree).toContain('catalog-info.yaml');

      const model = await waitFor('the Model in the catalog', () =>
        entity('model:default/fraud-scorer'),
      );
      expect(model.spec).toMatchObject({
        registry: 'oci://127.0.0.1:19050/models/fraud-scorer',
        owner: 'group:default/recsys-team',
      });
      expect(model.relations).toEqual(
        expect.arrayContaining([
          {
            type: 'trainedOn',
            targetRef: 'dataset:default/fraud-scorer-training-data',
          },
          {
            type: 'producedBy',
            targetRef: 'pipeline:default/fraud-scorer-training',
          },
        ]),
      );
      const dataset = await waitFor('the Dataset in the catalog', () =>
        entity('dataset:default/fraud-scorer-training-data'),
      );
      expect(dataset.relations).toEqual(
        expect.arrayContaining([
          { type: 'trainingDataOf', targetRef: 'model:default/fraud-scorer' },
        ]),
      );
      await waitFor('the Pipeline in the catalog', () =>
        entity('pipeline:default/fraud-scorer-training'),
      );

      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${task.id}/events`)
        .set('authorization', auth);
      const completion = events.body.find(
        (e: { type: string }) => e.type === 'completion',
      );
      expect(completion.body.output.links).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ entityRef: 'model:default/fraud-scorer' }),
          expect.objectContaining({
            url: `file://${join(publishDir, 'fraud-scorer')}/`,
          }),
        ]),
      );
    });

    it('refuses to publish over an existing repository', async () => {
      const { task } = await run({ ...values, name: 'fraud-scorer' });
      expect(task.status).toBe('failed');
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${task.id}/events`)
        .set('authorization', auth);
      expect(JSON.stringify(events.body)).toContain(
        'repository fraud-scorer already exists',
      );
    });
  });

  describe('bad input fails with a clear message and creates nothing', () => {
    it.each([
      ['an uppercase name', { name: 'Churn' }, 'name'],
      ['a name with _', { name: 'churn_model' }, 'name'],
      ['a name starting with a digit', { name: '1churn' }, 'name'],
      ['a name over 52 characters', { name: `m${'x'.repeat(52)}` }, 'name'],
      [
        'a dataset that is not s3:// or pvc://',
        { datasetLocation: 'http://x/y' },
        'datasetLocation',
      ],
      ['a bad schedule', { schedule: 'daily' }, 'schedule'],
    ])('%s', async (_what, override, field) => {
      await templateInCatalog();
      const before = existsSync(publishDir) ? readdirSync(publishDir) : [];
      const res = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('authorization', auth)
        .send({
          templateRef: 'template:default/ml-project-under-test',
          values: { ...values, ...override },
        });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
      const dry = await dryRun({ ...values, ...override });
      expect(dry.status).toBe(400);
      const after = existsSync(publishDir) ? readdirSync(publishDir) : [];
      expect(after).toEqual(before);
    });
  });
});
