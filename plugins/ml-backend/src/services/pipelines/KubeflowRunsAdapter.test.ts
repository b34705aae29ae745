import { mockServices } from '@backstage/backend-test-utils';
import { PipelineEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { PipelineOrchestratorError } from '@mlplatform/plugin-ml-node';
import {
  getFreePort,
  KubeflowPipelinesStandIn,
  startKubeflowPipelinesStandIn,
} from '@mlplatform/test-services';
import { KubeflowRunsAdapter } from './KubeflowRunsAdapter';

jest.setTimeout(20_000);

const TOKEN = 'kfp-secret-token';
const T0 = Date.UTC(2026, 10, 20, 4, 0, 0);

function pipeline(
  id: string,
  namespace: string | null = 'nlp',
): PipelineEntityV1alpha1 {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'intent-classifier-training', namespace: 'default' },
    spec: {
      type: 'training',
      lifecycle: 'production',
      owner: 'nlp-team',
      orchestrator: { type: 'kubeflow', id, namespace: namespace ?? undefined },
    },
  };
}

async function failure(
  p: Promise<unknown>,
): Promise<PipelineOrchestratorError> {
  const e = await p.then(
    () => undefined,
    err => err,
  );
  expect(e).toBeInstanceOf(PipelineOrchestratorError);
  return e as PipelineOrchestratorError;
}

describe('KubeflowRunsAdapter', () => {
  let kfp: KubeflowPipelinesStandIn;
  let adapter: KubeflowRunsAdapter;
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    kfp = await startKubeflowPipelinesStandIn({
      token: TOKEN,
      progressMs: 300,
      pipelines: [
        { pipeline_id: 'intent-classifier-training', namespace: 'nlp' },
        { pipeline_id: 'other-pipeline', namespace: 'nlp' },
        { pipeline_id: 'elsewhere', namespace: 'recsys' },
      ],
      runs: [
        {
          run_id: 'run-scheduled',
          pipeline_id: 'intent-classifier-training',
          display_name: 'Run of intent-weekly',
          state: 'SUCCEEDED',
          created_at: new Date(T0),
          started_at: new Date(T0 + 60_000),
          finished_at: new Date(T0 + 60_000 + 3000_000),
          parameters: { epochs: 4, learning_rate: 0.00003, base: 'bert' },
          recurring_run_id: 'rr-1',
        },
        {
          run_id: 'run-failed',
          pipeline_id: 'intent-classifier-training',
          display_name: 'failing one',
          state: 'FAILED',
          created_at: new Date(T0 + 86_400_000),
          started_at: new Date(T0 + 86_400_000 + 10_000),
          finished_at: new Date(T0 + 86_400_000 + 70_000),
          error_message: 'train: OOMKilled',
        },
        // Newer runs of another pipeline in the namespace: the adapter
        // has to page past them.
        ...Array.from({ length: 150 }, (_, i) => ({
          run_id: `run-other-${i}`,
          pipeline_id: 'other-pipeline',
          display_name: 'not ours',
          state: 'SUCCEEDED' as const,
          created_at: new Date(T0 + 2 * 86_400_000 + i * 60_000),
        })),
      ],
    });
    adapter = KubeflowRunsAdapter.create({
      url: kfp.url,
      token: TOKEN,
      uiUrl: 'https://kubeflow.example.com/pipeline/',
      timeoutMs: 1000,
      logger,
    });
  });

  afterAll(async () => {
    adapter?.close();
    await kfp?.stop();
  });

  beforeEach(() => kfp.setFault(undefined));

  it('lists the runs of the pipeline, newest first, with mapped fields, paging past other pipelines', async () => {
    const before = kfp.requests.length;
    const runs = await adapter.listRuns({
      pipeline: pipeline('intent-classifier-training'),
      limit: 10,
    });
    expect(runs).toEqual([
      {
        id: 'run-failed',
        name: 'failing one',
        status: 'failed',
        rawStatus: 'FAILED',
        message: 'train: OOMKilled',
        createdAt: '2026-11-21T04:00:00.000Z',
        startedAt: '2026-11-21T04:00:10.000Z',
        finishedAt: '2026-11-21T04:01:10.000Z',
        durationSeconds: 60,
        trigger: { type: 'manual' },
        parameters: {},
        producedModelVersion: undefined,
        logsUrl:
          'https://kubeflow.example.com/pipeline/#/runs/details/run-failed',
        uiUrl:
          'https://kubeflow.example.com/pipeline/#/runs/details/run-failed',
      },
      {
        id: 'run-scheduled',
        name: 'Run of intent-weekly',
        status: 'succeeded',
        rawStatus: 'SUCCEEDED',
        message: undefined,
        createdAt: '2026-11-20T04:00:00.000Z',
        startedAt: '2026-11-20T04:01:00.000Z',
        finishedAt: '2026-11-20T04:51:00.000Z',
        durationSeconds: 3000,
        trigger: { type: 'schedule', by: 'recurring run rr-1' },
        parameters: { epochs: '4', learning_rate: '0.00003', base: 'bert' },
        producedModelVersion: undefined,
        logsUrl:
          'https://kubeflow.example.com/pipeline/#/runs/details/run-scheduled',
        uiUrl:
          'https://kubeflow.example.com/pipeline/#/runs/details/run-scheduled',
      },
    ]);
    const lists = kfp.requests
      .slice(before)
      .filter(r => r.path === '/apis/v2beta1/runs');
    expect(lists.map(r => r.query)).toEqual([
      { namespace: 'nlp', page_size: '100', sort_by: 'created_at desc' },
      {
        namespace: 'nlp',
        page_size: '100',
        sort_by: 'created_at desc',
        page_token: expect.any(String),
      },
    ]);
    expect(lists[0].authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('returns at most limit runs', async () => {
    const runs = await adapter.listRuns({
      pipeline: pipeline('intent-classifier-training'),
      limit: 1,
    });
    expect(runs.map(r => r.id)).toEqual(['run-failed']);
  });

  it('starts a run that records who started it and progresses', async () => {
    const pipelineId = 'elsewhere';
    const before = kfp.requests.length;
    const started = await adapter.startRun({
      pipeline: pipeline(pipelineId, 'recsys'),
      parameters: { epochs: '6', model_version: 'v8' },
      trigger: { type: 'manual', by: 'user:default/erin' },
    });
    expect(started).toMatchObject({
      status: 'pending',
      rawStatus: 'PENDING',
      trigger: { type: 'manual', by: 'user:default/erin' },
      parameters: { epochs: '6', model_version: 'v8' },
      startedAt: undefined,
      finishedAt: undefined,
    });
    const sent = kfp.requests.slice(before);
    // recsys has no experiment yet: the adapter creates its Default one.
    const experiment = sent.find(
      r => r.path === '/apis/v2beta1/experiments' && r.method === 'POST',
    );
    expect(experiment?.body).toEqual({
      display_name: 'Default',
      description: expect.any(String),
      namespace: 'recsys',
    });
    const post = sent.find(
      r => r.path === '/apis/v2beta1/runs' && r.method === 'POST',
    );
    expect(post?.body).toEqual({
      experiment_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      display_name: expect.stringMatching(
        /^intent-classifier-training \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
      ),
      description:
        'Started from the ML portal by user:default/erin. [ml-portal-trigger {"type":"manual","by":"user:default/erin"}]',
      pipeline_version_reference: { pipeline_id: pipelineId },
      runtime_config: { parameters: { epochs: '6', model_version: 'v8' } },
    });

    const listed = await adapter.listRuns({
      pipeline: pipeline(pipelineId, 'recsys'),
      limit: 5,
    });
    expect(listed[0]).toMatchObject({
      id: started.id,
      trigger: { type: 'manual', by: 'user:default/erin' },
    });

    await new Promise(r => setTimeout(r, 800));
    const [done] = await adapter.listRuns({
      pipeline: pipeline(pipelineId, 'recsys'),
      limit: 1,
    });
    expect(done).toMatchObject({
      id: started.id,
      status: 'succeeded',
      producedModelVersion: 'v8',
    });
    expect(done.durationSeconds).toBeLessThanOrEqual(1);
  });

  it('records an alert trigger, in the existing Default experiment', async () => {
    const before = kfp.requests.length;
    const run = await adapter.startRun({
      pipeline: pipeline('other-pipeline'),
      parameters: {},
      trigger: { type: 'alert', by: 'ModelDrift 4f2a9c' },
    });
    expect(run.trigger).toEqual({ type: 'alert', by: 'ModelDrift 4f2a9c' });
    expect(
      kfp.requests
        .slice(before)
        .filter(r => r.method === 'POST')
        .map(r => r.path),
    ).toEqual(['/apis/v2beta1/runs']);
  });

  it('passes on KFP refusing a run without namespace in multi-user mode', async () => {
    const e = await failure(
      adapter.startRun({
        pipeline: pipeline('other-pipeline', null),
        parameters: {},
        trigger: { type: 'manual' },
      }),
    );
    expect(e.kind).toBe('invalid');
    expect(e.status).toBe(400);
    expect(e.message).toContain(
      'Experiment id can not be empty in multi-user mode',
    );
  });

  it.each([
    ['a name starting with a digit', { '1bad': 'x' }, /name "1bad"/],
    ['a name with a space', { 'a b': 'x' }, /name "a b"/],
    [
      'a number',
      { epochs: 6 as unknown as string },
      /"epochs" must be a string/,
    ],
    ['a long value', { notes: 'x'.repeat(1001) }, /longer than 1000/],
  ])('rejects %s without sending anything', async (_, params, re) => {
    const before = kfp.requests.length;
    const e = await failure(
      adapter.startRun({
        pipeline: pipeline('intent-classifier-training'),
        parameters: params,
        trigger: { type: 'manual', by: 'user:default/erin' },
      }),
    );
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(re);
    expect(kfp.requests.length).toBe(before);
  });

  it('rejects an invalid pipeline id without sending anything', async () => {
    const before = kfp.requests.length;
    const e = await failure(
      adapter.listRuns({ pipeline: pipeline('../../x'), limit: 5 }),
    );
    expect(e.kind).toBe('invalid');
    expect(kfp.requests.length).toBe(before);
  });

  it('maps an unknown pipeline to not-found', async () => {
    const list = await failure(
      adapter.listRuns({ pipeline: pipeline('no-such-pipeline'), limit: 5 }),
    );
    expect(list.kind).toBe('not-found');
    expect(list.message).toContain('Pipeline no-such-pipeline not found');
    const before = kfp.requests.length;
    const start = await failure(
      adapter.startRun({
        pipeline: pipeline('no-such-pipeline'),
        parameters: {},
        trigger: { type: 'manual' },
      }),
    );
    expect(start.kind).toBe('not-found');
    expect(kfp.requests.slice(before).map(r => r.method)).toEqual(['GET']);
  });

  it('maps a refused token to unauthorized without echoing it', async () => {
    const wrong = KubeflowRunsAdapter.create({
      url: kfp.url,
      token: 'wrong-token',
      logger,
    });
    try {
      const e = await failure(
        wrong.listRuns({
          pipeline: pipeline('intent-classifier-training'),
          limit: 5,
        }),
      );
      expect(e.kind).toBe('unauthorized');
      expect(e.status).toBe(401);
      expect(e.message).toContain(new URL(kfp.url).host);
      expect(e.message).not.toContain('wrong-token');
    } finally {
      wrong.close();
    }
  });

  it('maps 500 to server and a timeout to unavailable', async () => {
    kfp.setFault('error');
    const e = await failure(
      adapter.listRuns({
        pipeline: pipeline('intent-classifier-training'),
        limit: 5,
      }),
    );
    expect(e.kind).toBe('server');
    expect(e.message).toContain('failed to connect to the database');

    kfp.setFault('timeout');
    const t = await failure(
      adapter.listRuns({
        pipeline: pipeline('intent-classifier-training'),
        limit: 5,
      }),
    );
    expect(t.kind).toBe('unavailable');
    expect(t.message).toContain('no answer within 1000 ms');
  });

  it('maps a stopped server to unavailable, naming its host', async () => {
    const port = await getFreePort();
    const down = KubeflowRunsAdapter.create({
      url: `http://127.0.0.1:${port}`,
      token: TOKEN,
      logger,
    });
    try {
      const e = await failure(
        down.listRuns({
          pipeline: pipeline('intent-classifier-training'),
          limit: 5,
        }),
      );
      expect(e.kind).toBe('unavailable');
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.message).toContain('ECONNREFUSED');
      expect(e.message).not.toContain(TOKEN);
    } finally {
      down.close();
    }
  });
});
