/*
 * Test setup shared by the pipelines and alerts route tests: the real
 * catalog backend with the ML kinds, ingesting the example entities and a
 * few test ones from files; the ML backend with the real
 * KubernetesJobRunsAdapter against the test Kubernetes API server seeded
 * from examples/kube (gpu-cluster-a, with the fraud-detector-training
 * CronJob); and a fake `airflow` adapter added through
 * mlPipelineRunsExtensionPoint (module adapters replace built-ins).
 */
import {
  createBackendModule,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
import {
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';
import {
  mlPipelineRunsExtensionPoint,
  PipelineOrchestratorError,
  PipelineRunsAdapter,
} from '@mlplatform/plugin-ml-node';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { mlPlugin } from '../plugin';

const EXAMPLES = path.resolve(__dirname, '../../../../examples');

/** Test-only entities next to the examples. */
const TEST_ENTITIES = `
apiVersion: mlplatform.io/v1alpha1
kind: Pipeline
metadata:
  name: churn-training
spec:
  type: training
  lifecycle: experimental
  owner: fraud-team
  orchestrator:
    type: airflow
    id: churn_training
  schedule: '@daily'
  produces: [model:churn-model]
---
apiVersion: mlplatform.io/v1alpha1
kind: Model
metadata:
  name: churn-model
  annotations:
    mlplatform.io/alert-selector: model="churn"
spec:
  type: classifier
  lifecycle: experimental
  owner: fraud-team
  producedBy: churn-training
`;

/** An `airflow` adapter that records what it was asked. */
export class FakeAirflowAdapter implements PipelineRunsAdapter {
  readonly type = 'airflow';
  started: Array<{
    pipeline: string;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }> = [];
  down = false;

  async listRuns(options: {
    pipeline: PipelineEntityV1alpha1;
    limit: number;
  }): Promise<PipelineRun[]> {
    this.check();
    const runs: PipelineRun[] = [
      ...this.started.map((s, i) => ({
        id: `manual__${i}`,
        status: 'queued' as any,
        trigger: s.trigger,
        parameters: s.parameters,
      })),
      {
        id: 'scheduled__2026-11-22T00:00:00+00:00',
        status: 'succeeded',
        startedAt: '2026-11-22T00:00:05Z',
        finishedAt: '2026-11-22T00:10:05Z',
        durationSeconds: 600,
        trigger: { type: 'schedule' },
        parameters: {},
      },
    ];
    return runs.slice(0, options.limit);
  }

  async startRun(options: {
    pipeline: PipelineEntityV1alpha1;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }): Promise<PipelineRun> {
    this.check();
    this.started.push({
      pipeline: options.pipeline.metadata.name,
      parameters: options.parameters,
      trigger: options.trigger,
    });
    return {
      id: `manual__${this.started.length - 1}`,
      status: 'pending',
      trigger: options.trigger,
      parameters: options.parameters,
    };
  }

  private check() {
    if (this.down) {
      throw new PipelineOrchestratorError(
        'unavailable',
        'Airflow at http://127.0.0.1:1 did not answer: ECONNREFUSED',
      );
    }
  }
}

/**
 * A permission policy stand-in for `ml.pipeline.run` that the test can flip,
 * recording what it was asked; everything else (the catalog's own
 * permissions) is allowed.
 */
export function togglePermissions() {
  const state = {
    allow: true,
    calls: [] as Array<{
      permission: string;
      resourceRef?: string;
      principal: any;
    }>,
  };
  const decide = (requests: any[], options: any) =>
    requests.map(r => {
      if (r.permission.name !== 'ml.pipeline.run') {
        return { result: AuthorizeResult.ALLOW };
      }
      state.calls.push({
        permission: r.permission.name,
        resourceRef: r.resourceRef,
        principal: options?.credentials?.principal,
      });
      return {
        result: state.allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      };
    });
  const mock = mockServices.permissions.mock({
    authorize: async (requests: any[], options: any) =>
      decide(requests, options) as any,
    authorizeConditional: async (requests: any[], options: any) =>
      decide(requests, options) as any,
  });
  return { state, factory: mock.factory };
}

export function recordingAuditor() {
  const events: Array<{ eventId: string; meta: any; result?: string }> = [];
  const mock = mockServices.auditor.mock({
    createEvent: async (options: any) => {
      const event: { eventId: string; meta: any; result?: string } = {
        eventId: options.eventId,
        meta: options.meta,
      };
      events.push(event);
      return {
        success: async () => {
          event.result = 'success';
        },
        fail: async () => {
          event.result = 'fail';
        },
      };
    },
  });
  return { events, factory: mock.factory };
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 40_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 250));
  }
}

export interface PipelinesTestBackend {
  server: any;
  kube: KubeApiServer;
  airflow: FakeAirflowAdapter;
  stop(): Promise<void>;
}

/** Starts the catalog + ML backend pair; resolves once the test entities are in. */
export async function startPipelinesTestBackend(options: {
  ml?: object;
  extraFeatures?: Array<
    ServiceFactory | ReturnType<typeof createBackendModule>
  >;
}): Promise<PipelinesTestBackend> {
  const seed = loadManifests(
    fs.readFileSync(path.join(EXAMPLES, 'kube/gpu-cluster-a.yaml'), 'utf8'),
  );
  // Runs of fraud-detector-training are created from its example CronJob.
  const kube = await startKubeApiServer({ seed, controllers: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-pipelines-test-'));
  const testFile = path.join(dir, 'test-entities.yaml');
  fs.writeFileSync(testFile, TEST_ENTITIES);
  const files = [
    path.join(EXAMPLES, 'org.yaml'),
    ...['org', 'fraud', 'recsys', 'nlp'].map(f =>
      path.join(EXAMPLES, `ml/${f}.yaml`),
    ),
    testFile,
  ];
  const airflow = new FakeAirflowAdapter();
  const fakeModule = createBackendModule({
    pluginId: 'ml',
    moduleId: 'test-fake-airflow',
    register(reg) {
      reg.registerInit({
        deps: { runs: mlPipelineRunsExtensionPoint },
        async init({ runs }) {
          runs.addPipelineRunsAdapter(airflow);
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleMlEntityModel,
      mlPlugin,
      fakeModule,
      ...(options.extraFeatures ?? []),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            rules: [
              {
                allow: [
                  ...['Component', 'API', 'System', 'Resource', 'Location'],
                  ...['User', 'Group', 'Model', 'Dataset', 'Pipeline'],
                ],
              },
            ],
            locations: files.map(target => ({ type: 'file', target })),
          },
          ml: {
            kubernetes: {
              requestTimeoutSeconds: 5,
              clusters: [
                {
                  name: 'gpu-cluster-a',
                  url: kube.url,
                  token: kube.token,
                  caData: kube.caData,
                },
              ],
            },
            ...options.ml,
          },
        },
      }),
    ],
  });
  const needed = [
    'model/default/churn-model',
    'model/default/fraud-detector',
    'pipeline/default/churn-training',
    'pipeline/default/fraud-detector-training',
    'pipeline/default/recsys-ranker-training',
  ];
  await eventually(async () => {
    for (const ref of needed) {
      const res = await request(backend.server)
        .get(`/api/catalog/entities/by-name/${ref}`)
        .set('Authorization', mockCredentials.user.header());
      if (res.status !== 200) return undefined;
    }
    return true;
  });
  return {
    server: backend.server,
    kube,
    airflow,
    async stop() {
      await backend.stop();
      await kube.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
