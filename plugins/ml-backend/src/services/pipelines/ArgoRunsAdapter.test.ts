import { mockServices } from '@backstage/backend-test-utils';
import { PipelineEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { PipelineOrchestratorError } from '@mlplatform/plugin-ml-node';
import {
  KubeApiServer,
  WORKFLOW_STEP_MS,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import fs from 'node:fs';
import path from 'node:path';
import { ClusterService } from '../kubernetes/ClusterService';
import { ArgoRunsAdapter } from './ArgoRunsAdapter';

jest.setTimeout(30_000);

const seed = (file: string) =>
  loadManifests(
    fs.readFileSync(
      path.resolve(__dirname, '../../../../../examples/kube', file),
      'utf8',
    ),
  );

function pipeline(
  orchestrator: Partial<PipelineEntityV1alpha1['spec']['orchestrator']>,
): PipelineEntityV1alpha1 {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: orchestrator.id ?? 'x', namespace: 'default' },
    spec: {
      type: 'evaluation',
      lifecycle: 'production',
      owner: 'nlp-team',
      orchestrator: {
        type: 'argo',
        id: 'llm-evaluation',
        namespace: 'nlp',
        cluster: 'gpu-cluster-b',
        ...orchestrator,
      },
    },
  };
}

async function orchestratorError(
  p: Promise<unknown>,
): Promise<PipelineOrchestratorError> {
  const e = await p.then(
    () => undefined,
    err => err,
  );
  expect(e).toBeInstanceOf(PipelineOrchestratorError);
  return e;
}

const LLM_EVALUATION = pipeline({});
const SCHEDULE = { type: 'schedule', by: 'CronWorkflow llm-evaluation' };
const ERIN = { type: 'manual' as const, by: 'user:default/erin' };
const DEFAULTS = { model_version: '0.4.0', eval_suite: 'support-tickets-v3' };

describe('ArgoRunsAdapter against the test API server', () => {
  let b: KubeApiServer;
  let clusters: ClusterService;
  let adapter: ArgoRunsAdapter;

  const workflowNames = () =>
    (b.list('argoproj.io/v1alpha1', 'Workflow', 'nlp') as any[]).map(
      w => w.metadata.name,
    );

  beforeEach(async () => {
    // as the demo stack starts gpu-cluster-b: --no-kubeflow
    b = await startKubeApiServer({
      seed: seed('gpu-cluster-b.yaml'),
      crds: ['kueue', 'argo'],
    });
    clusters = ClusterService.create({
      clusters: [
        {
          name: 'gpu-cluster-b',
          url: b.url,
          token: b.token,
          caData: b.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 60,
        requestTimeoutMs: 1000,
      },
    });
    adapter = ArgoRunsAdapter.create({
      clusters,
      logger: mockServices.logger.mock(),
      uiUrl: 'https://argo.example.com/',
    });
  });

  afterEach(async () => {
    clusters.close();
    await b.stop();
  });

  it('lists the demo Workflows newest first with phases, triggers and parameters', async () => {
    b.resetRequests();
    const runs = await adapter.listRuns({
      pipeline: LLM_EVALUATION,
      limit: 20,
    });
    const lists = b.requests.filter(r => r.verb === 'list');
    expect(lists.map(r => r.query.labelSelector).sort()).toEqual([
      'workflows.argoproj.io/cron-workflow=llm-evaluation',
      'workflows.argoproj.io/workflow-template=llm-evaluation',
    ]);
    expect(lists.every(r => r.query.limit === '500')).toBe(true);
    expect(
      runs.map(r => [r.id, r.status, r.rawStatus, r.trigger, r.parameters]),
    ).toEqual([
      ['llm-evaluation-1795413600', 'running', 'Running', SCHEDULE, DEFAULTS],
      [
        'llm-evaluation-1795327200',
        'succeeded',
        'Succeeded',
        SCHEDULE,
        DEFAULTS,
      ],
      ['llm-evaluation-1795240800', 'failed', 'Failed', SCHEDULE, DEFAULTS],
      [
        'llm-evaluation-q8r2t',
        'succeeded',
        'Succeeded',
        ERIN,
        { model_version: '0.5.0-rc1', eval_suite: 'support-tickets-v3' },
      ],
      ['llm-evaluation-1795068000', 'failed', 'Error', SCHEDULE, DEFAULTS],
    ]);
    expect(runs[1]).toMatchObject({
      startedAt: '2026-11-22T06:00:02.000Z',
      finishedAt: '2026-11-22T07:12:36.000Z',
      durationSeconds: 4354,
      datasetDigests: [
        'sha256:e1d3c5b7a9f2e4d6c8b0a1f3e5d7c9b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e1d3',
      ],
      uiUrl: 'https://argo.example.com/workflows/nlp/llm-evaluation-1795327200',
    });
    expect(runs[2].message).toBe(
      "child 'llm-evaluation-1795240800-3141592653' failed",
    );
    expect(runs[0].finishedAt).toBeUndefined();

    const two = await adapter.listRuns({ pipeline: LLM_EVALUATION, limit: 2 });
    expect(two.map(r => r.id)).toEqual([
      'llm-evaluation-1795413600',
      'llm-evaluation-1795327200',
    ]);
  });

  it('starts a Workflow from the WorkflowTemplate and sees it run to Succeeded', async () => {
    const run = await adapter.startRun({
      pipeline: LLM_EVALUATION,
      parameters: { model_version: '0.5.0' },
      trigger: ERIN,
    });
    expect(run).toMatchObject({
      id: expect.stringMatching(/^llm-evaluation-[a-z0-9]{5}$/),
      status: 'pending',
      trigger: ERIN,
      parameters: { model_version: '0.5.0' },
    });
    const wf: any = b.get('argoproj.io/v1alpha1', 'Workflow', 'nlp', run.id);
    expect(wf.spec).toEqual({
      workflowTemplateRef: { name: 'llm-evaluation' },
      arguments: { parameters: [{ name: 'model_version', value: '0.5.0' }] },
    });
    expect(wf.metadata.labels['workflows.argoproj.io/workflow-template']).toBe(
      'llm-evaluation',
    );
    expect(wf.metadata.annotations).toEqual({
      'mlplatform.io/trigger': 'manual',
      'mlplatform.io/triggered-by': 'user:default/erin',
    });

    const seen = new Set<string>();
    let listed;
    for (let i = 0; i < 60; i++) {
      listed = (
        await adapter.listRuns({ pipeline: LLM_EVALUATION, limit: 20 })
      ).find(r => r.id === run.id)!;
      seen.add(listed.status);
      if (listed.status === 'succeeded') break;
      await new Promise(r => setTimeout(r, WORKFLOW_STEP_MS / 6));
    }
    expect([...seen]).toEqual(['pending', 'running', 'succeeded']);
    expect(listed).toMatchObject({
      trigger: ERIN,
      parameters: { model_version: '0.5.0' },
      uiUrl: `https://argo.example.com/workflows/nlp/${run.id}`,
    });
    expect(listed!.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it('refuses bad parameters before sending anything', async () => {
    const before = workflowNames();
    b.resetRequests();
    const bad: Array<Record<string, string>> = [
      { 'model version': '1' },
      { x: 'y'.repeat(1001) },
      { x: null as unknown as string },
    ];
    for (const parameters of bad) {
      const e = await orchestratorError(
        adapter.startRun({
          pipeline: LLM_EVALUATION,
          parameters,
          trigger: ERIN,
        }),
      );
      expect(e.kind).toBe('invalid');
    }
    expect(b.requests).toEqual([]);
    expect(workflowNames()).toEqual(before);
  });

  it('creates nothing when the WorkflowTemplate does not exist', async () => {
    const before = workflowNames();
    const e = await orchestratorError(
      adapter.startRun({
        pipeline: pipeline({ id: 'llm-red-teaming' }),
        parameters: {},
        trigger: ERIN,
      }),
    );
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain(
      'WorkflowTemplate nlp/llm-red-teaming not found on cluster gpu-cluster-b',
    );
    expect(b.requests.filter(r => r.method !== 'GET')).toEqual([]);
    expect(workflowNames()).toEqual(before);
  });

  it('maps cluster faults and unknown clusters to error kinds', async () => {
    b.setFault({ status: 500 });
    const server = await orchestratorError(
      adapter.listRuns({ pipeline: LLM_EVALUATION, limit: 5 }),
    );
    expect(server).toMatchObject({ kind: 'server', status: 500 });
    expect(server.message).toContain('cluster gpu-cluster-b failed to list');

    b.setFault({ delayMs: 3000 });
    const slow = await orchestratorError(
      adapter.startRun({
        pipeline: LLM_EVALUATION,
        parameters: {},
        trigger: ERIN,
      }),
    );
    expect(slow.kind).toBe('unavailable');
    expect(slow.message).toContain('cluster gpu-cluster-b did not answer');
    b.setFault(null);

    const unknown = await orchestratorError(
      adapter.listRuns({
        pipeline: pipeline({ cluster: 'gpu-cluster-z' }),
        limit: 5,
      }),
    );
    expect(unknown.kind).toBe('not-configured');
  });

  it('says Argo is missing on a cluster without its CRDs', async () => {
    await b.stop();
    b = await startKubeApiServer({
      seed: seed('gpu-cluster-b.yaml'),
      crds: ['kueue'],
    });
    clusters.close();
    clusters = ClusterService.create({
      clusters: [
        {
          name: 'gpu-cluster-b',
          url: b.url,
          token: b.token,
          caData: b.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 60,
        requestTimeoutMs: 1000,
      },
    });
    adapter = ArgoRunsAdapter.create({
      clusters,
      logger: mockServices.logger.mock(),
    });
    const e = await orchestratorError(
      adapter.listRuns({ pipeline: LLM_EVALUATION, limit: 5 }),
    );
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('is Argo Workflows installed?');
  });
});
