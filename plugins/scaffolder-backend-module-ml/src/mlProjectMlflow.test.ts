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
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
// The ML backend serves the generated Model's versions and runs in this test.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import mlPlugin from '@mlplatform/plugin-ml-backend';
import {
  describeIfBinary,
  MlflowHandle,
  mlflowBinary,
  startMlflow,
  startTensorBoard,
  tensorboardBinary,
  TensorBoardHandle,
} from '@mlplatform/test-services';
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import { scaffolderModuleMl } from './module';

// End to end with a real MLflow: templates/ml-project (registry: MLflow) runs
// through the real scaffolder and is registered in the real catalog; the
// generated project trains on Debian's python3-torch against that MLflow; the
// run, its params and metric histories and the registered version are read
// back from MLflow's REST API; then the ML backend, with that MLflow as its
// registry, lists the version, shows the run on the Model's experiment card,
// and promotes the version (an MLflow alias). The training also writes
// TensorBoard event files (the template's standard-library writer); a real
// TensorBoard serves them and the portal shows the run's curves from it.

jest.setTimeout(240_000);

const TEMPLATE_DIR = resolve(__dirname, '../../../templates/ml-project');
// mockCredentials.user() is user:default/mock; owning the Model lets it promote.
const OWNER = 'user:default/mock';
const auth = mockCredentials.user.header(OWNER);
const NAME = 'churn-scorer';

/** A python3 with torch and pytest (Debian's python3-torch is the system one). */
function pythonWithTorch(): string | undefined {
  const candidates = [
    process.env.ML_TEMPLATE_PYTHON,
    '/usr/bin/python3',
    'python3',
  ].filter((c): c is string => Boolean(c));
  return candidates.find(
    python =>
      spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status ===
      0,
  );
}

describeIfBinary([mlflowBinary, tensorboardBinary])(
  'templates/ml-project with MLflow as the registry, end to end',
  () => {
    let root: string;
    let publishDir: string;
    let mlflow: MlflowHandle;
    let tensorboard: TensorBoardHandle;
    let tensorboardDir: string;
    let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
    let stop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      root = await fs.mkdtemp(join(tmpdir(), 'ml-project-mlflow-'));
      tensorboardDir = join(root, 'tensorboard');
      await fs.mkdir(tensorboardDir);
      [mlflow, tensorboard] = await Promise.all([
        startMlflow(),
        startTensorBoard({ logdir: tensorboardDir }),
      ]);
      publishDir = join(root, 'git');
      const templateDir = join(root, 'template');
      await fs.cp(
        join(TEMPLATE_DIR, 'skeleton'),
        join(templateDir, 'skeleton'),
        { recursive: true },
      );
      // Without the quota step: it needs a cluster (templates.test.ts says why).
      const template = parse(
        await fs.readFile(join(TEMPLATE_DIR, 'template.yaml'), 'utf8'),
      );
      template.metadata.name = 'ml-project-mlflow-under-test';
      template.spec.steps = template.spec.steps.filter(
        (s: { action: string }) => s.action !== 'ml:gpu-quota:check',
      );
      template.spec.output.text = [];
      await fs.writeFile(
        join(templateDir, 'template.yaml'),
        JSON.stringify(template),
      );

      const backend = await startTestBackend({
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
          mockServices.rootConfig.factory({
            data: {
              scaffolder: { ml: { localPublishDirectory: publishDir } },
              // The scaffolder's write-entities checks mlflow:// against this too.
              ml: {
                registries: [
                  { name: 'team-mlflow', type: 'mlflow', url: mlflow.url },
                ],
                tensorboard: {
                  url: tensorboard.url,
                  logRoots: [tensorboardDir],
                },
              },
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
    }, 240_000);

    afterAll(async () => {
      await stop?.();
      await Promise.all([mlflow?.stop(), tensorboard?.stop()]);
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

    const get = (path: string) =>
      request(server).get(path).set('authorization', auth);

    it('scaffolds, trains against MLflow, registers a version the portal lists and promotes', async () => {
      const python = pythonWithTorch();
      if (!python) {
        if (process.env.CI) throw new Error('no python3 with torch');
        // eslint-disable-next-line no-console
        console.warn('skipped: no python3 with torch (set ML_TEMPLATE_PYTHON)');
        return;
      }

      // 1. The template, with MLflow as the registry.
      await waitFor('the template in the catalog', async () => {
        const res = await get(
          '/api/catalog/entities/by-name/template/default/ml-project-mlflow-under-test',
        );
        return res.status === 200 ? res.body : undefined;
      });
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('authorization', auth)
        .send({
          templateRef: 'template:default/ml-project-mlflow-under-test',
          values: {
            name: NAME,
            owner: OWNER,
            modelType: 'classifier',
            datasetLocation: 's3://ml-data/churn/2024',
            registryType: 'mlflow',
            registry: 'oci://127.0.0.1:19050/models',
            placement: {
              cluster: 'gpu-cluster-a',
              namespace: 'recsys',
              gpus: 0,
            },
          },
        });
      expect(created.status).toBe(201);
      const task = await waitFor('the task to finish', async () => {
        const res = await get(`/api/scaffolder/v2/tasks/${created.body.id}`);
        return ['completed', 'failed', 'cancelled'].includes(res.body.status)
          ? res.body
          : undefined;
      });
      expect(task.status).toBe('completed');

      const model = await waitFor('the Model in the catalog', async () => {
        const res = await get(
          `/api/catalog/entities/by-name/model/default/${NAME}`,
        );
        return res.status === 200 ? res.body : undefined;
      });
      expect(model.spec.registry).toBe(`mlflow://${NAME}`);
      expect(model.metadata.annotations).toMatchObject({
        'mlplatform.io/mlflow-experiment': NAME,
      });

      // 2. Train in the published checkout, on Debian's torch, against MLflow.
      const checkout = join(publishDir, NAME);
      const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
        cwd: checkout,
        encoding: 'utf8',
      }).trim();
      const started = Date.now();
      const train = spawnSync(
        'make',
        [`PYTHON=${python}`, 'train', 'EPOCHS=3'],
        {
          cwd: checkout,
          encoding: 'utf8',
          timeout: 120_000,
          env: {
            ...process.env,
            MLFLOW_TRACKING_URI: mlflow.url,
            TENSORBOARD_LOG_DIR: tensorboardDir,
            // getpass.getuser() reads these first: the run's mlflow.user.
            LOGNAME: 'ml-engineer',
            USER: 'ml-engineer',
          },
        },
      );
      expect(train.stderr).toMatch(/MLflow run [0-9a-f]{32} in experiment/);
      expect(train.status).toBe(0);
      expect(Date.now() - started).toBeLessThan(60_000);
      const record = JSON.parse(
        readFileSync(join(checkout, 'model.mlflow.json'), 'utf8'),
      );
      const runId: string = record.run_id;
      expect(train.stderr).toContain(runId);

      // 3. What MLflow has.
      const experiment = (
        await mlflow.get('experiments/get-by-name', { experiment_name: NAME })
      ).experiment;
      const { run } = await mlflow.get('runs/get', { run_id: runId });
      expect(run.info).toMatchObject({
        experiment_id: experiment.experiment_id,
        status: 'FINISHED',
      });
      const byKey = (list: Array<{ key: string; value: string }>) =>
        Object.fromEntries(list.map(({ key, value }) => [key, value]));
      expect(byKey(run.data.params)).toMatchObject({
        epochs: '3',
        lr: '0.01',
        batch_size: '64',
        seed: '0',
        trainer: 'torch',
        task: 'classifier',
      });
      const tags = byKey(run.data.tags);
      expect(tags['mlflow.source.git.commit']).toBe(commit);
      expect(tags['mlflow.user']).toBe('ml-engineer');
      expect(tags['mlflow.runName']).toBe(run.info.run_name);
      for (const key of ['train_loss', 'val_loss', 'val_accuracy']) {
        const history = await mlflow.get('metrics/get-history', {
          run_id: runId,
          metric_key: key,
        });
        expect(history.metrics.map((m: { step: number }) => m.step)).toEqual([
          0, 1, 2,
        ]);
      }
      const metrics = JSON.parse(
        readFileSync(join(checkout, 'metrics.json'), 'utf8'),
      );
      expect(byKey(run.data.metrics)).toMatchObject({
        accuracy: metrics.accuracy,
      });
      const artifacts = await mlflow.get('artifacts/list', {
        run_id: runId,
        path: 'model',
      });
      expect(artifacts.files).toEqual([
        expect.objectContaining({ path: 'model/model.pt', is_dir: false }),
      ]);
      const versions = await mlflow.get('model-versions/search', {
        filter: `name='${NAME}'`,
      });
      expect(versions.model_versions).toEqual([
        expect.objectContaining({
          name: NAME,
          version: '1',
          run_id: runId,
          source: `${run.info.artifact_uri}/model`,
        }),
      ]);

      // 4. The portal: the version, the run on the Model's page, a promotion.
      const listed = await get(`/api/ml/models/default/${NAME}/versions`);
      expect(listed.status).toBe(200);
      expect(listed.body.versions).toEqual([
        expect.objectContaining({
          version: '1',
          sourceRun: expect.objectContaining({ id: runId }),
        }),
      ]);
      const runs = await get(`/api/ml/models/default/${NAME}/experiment/runs`);
      expect(runs.status).toBe(200);
      expect(runs.body.configured).toBe(true);
      expect(runs.body.runs).toEqual([
        expect.objectContaining({
          id: runId,
          status: 'finished',
          gitCommit: commit,
          user: tags['mlflow.user'],
          params: expect.objectContaining({ epochs: '3', lr: '0.01' }),
          metrics: expect.objectContaining({
            val_accuracy: metrics.accuracy,
          }),
          modelVersions: [
            expect.objectContaining({ name: NAME, version: '1' }),
          ],
        }),
      ]);
      const promoted = await request(server)
        .post(`/api/ml/models/default/${NAME}/aliases`)
        .set('authorization', auth)
        .send({ alias: 'production', version: '1' });
      expect(promoted.status).toBe(200);
      const registered = await mlflow.get('registered-models/get', {
        name: NAME,
      });
      expect(registered.registered_model.aliases).toEqual([
        { alias: 'production', version: '1' },
      ]);

      // 5. The run's TensorBoard: the event files the training wrote, read
      // by a real TensorBoard, shown through the portal next to MLflow's.
      const logDir = join(tensorboardDir, run.info.run_name);
      expect(tags['mlplatform.io/tensorboard-logdir']).toBe(logDir);
      // Listed as soon as part of the event file is read: wait for all of it.
      await tensorboard.waitForScalars(run.info.run_name, 'val_loss', 3);
      const board = await get(
        `/api/ml/models/default/${NAME}/experiment/runs/${runId}/tensorboard`,
      );
      expect(board.status).toBe(200);
      expect(board.body).toMatchObject({ configured: true, logDir });
      expect(board.body.tags).toEqual(
        expect.arrayContaining(['train_loss', 'val_loss', 'val_accuracy']),
      );
      const valLoss = await mlflow.get('metrics/get-history', {
        run_id: runId,
        metric_key: 'val_loss',
      });
      const series = board.body.scalars.find(
        (s: { tag: string }) => s.tag === 'val_loss',
      );
      expect(series.dir).toBe('.');
      expect(series.points.map((p: { step: number }) => p.step)).toEqual([
        0, 1, 2,
      ]);
      series.points.forEach((p: { value: number }, i: number) => {
        // float32 in the event file, float64 in MLflow.
        expect(p.value).toBeCloseTo(valLoss.metrics[i].value, 5);
      });
    });
  },
);
