import { mockCredentials } from '@backstage/backend-test-utils';
import {
  PipelineRunsResponse,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';
import request from 'supertest';
import {
  PipelinesTestBackend,
  recordingAuditor,
  startPipelinesTestBackend,
  togglePermissions,
} from '../__testUtils__/pipelinesBackend';

jest.setTimeout(90_000);

const ADA = 'user:default/guest';
const as = (user = ADA) => ({
  Authorization: mockCredentials.user.header(user),
});

describe('pipeline runs API: real catalog, test Kubernetes API server, fake airflow adapter', () => {
  let backend: PipelinesTestBackend;
  const permissions = togglePermissions();
  const auditor = recordingAuditor();

  beforeAll(async () => {
    backend = await startPipelinesTestBackend({
      extraFeatures: [permissions.factory, auditor.factory],
    });
  });

  afterAll(async () => {
    await backend?.stop();
  });

  const runs = (ref: string, query = '') =>
    request(backend.server)
      .get(`/api/ml/pipelines/${ref}/runs${query}`)
      .set(as());
  const start = (ref: string, body: unknown, user = ADA) =>
    request(backend.server)
      .post(`/api/ml/pipelines/${ref}/runs`)
      .set(as(user))
      .send(body as object);
  const audit = async (targetRef: string) =>
    (
      await request(backend.server)
        .get(`/api/ml/audit?targetRef=${encodeURIComponent(targetRef)}`)
        .set(as())
    ).body.items;

  it('lists runs of a module adapter with the schedule and next run in UTC', async () => {
    const res = await runs('default/churn-training', '?limit=5');
    expect(res.status).toBe(200);
    const body = res.body as PipelineRunsResponse;
    expect(body).toMatchObject({
      pipelineRef: 'pipeline:default/churn-training',
      orchestrator: { type: 'airflow', id: 'churn_training' },
      schedule: '@daily',
    });
    expect(body.runs.map(r => r.id)).toEqual([
      'scheduled__2026-11-22T00:00:00+00:00',
    ]);
    // @daily: the next midnight UTC.
    const next = new Date(body.nextRunAt!);
    expect(next.toISOString()).toMatch(/T00:00:00.000Z$/);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  it('starts a Kubernetes Job from the CronJob, audits it in both trails, and lists it', async () => {
    const before = await runs('default/fraud-detector-training');
    expect(before.status).toBe(200);
    expect(before.body.orchestrator).toEqual({
      type: 'kubernetes-job',
      id: 'fraud-detector-training',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
    });
    expect(before.body.schedule).toBe('0 3 * * 1');
    const nextRun = new Date(before.body.nextRunAt);
    expect([nextRun.getUTCDay(), nextRun.getUTCHours()]).toEqual([1, 3]);
    const jobsBefore = backend.kube
      .list('batch/v1', 'Job', 'fraud')
      .map((j: any) => j.metadata.name);

    const res = await start('default/fraud-detector-training', {
      parameters: { epochs: '5' },
    });
    expect(res.status).toBe(201);
    const { run } = res.body as StartPipelineRunResponse;
    expect(run.trigger).toEqual({ type: 'manual', by: ADA });
    // The CronJob's defaults, with the given parameter overriding its own.
    expect(run.parameters).toEqual({ epochs: '5', learning_rate: '0.001' });
    const created: any = backend.kube.get('batch/v1', 'Job', 'fraud', run.id);
    expect(created).toBeDefined();
    expect(jobsBefore).not.toContain(run.id);
    expect(created.spec.template.spec.containers[0].env).toContainEqual({
      name: 'PARAM_epochs',
      value: '5',
    });

    const after = await runs('default/fraud-detector-training');
    expect(after.body.runs[0].id).toBe(run.id);

    const [event] = await audit('pipeline:default/fraud-detector-training');
    expect(event).toMatchObject({
      actor: ADA,
      action: 'ml.pipeline.run',
      outcome: 'succeeded',
      details: {
        orchestrator: 'kubernetes-job',
        runId: run.id,
        parameters: { epochs: '5' },
        trigger: { type: 'manual', by: ADA },
      },
    });
    expect(auditor.events).toContainEqual({
      eventId: 'ml-pipeline-run',
      meta: expect.objectContaining({
        pipelineRef: 'pipeline:default/fraud-detector-training',
      }),
      result: 'success',
    });
    expect(permissions.state.calls).toContainEqual({
      permission: 'ml.pipeline.run',
      resourceRef: 'pipeline:default/fraud-detector-training',
      principal: expect.objectContaining({ userEntityRef: ADA }),
    });
  });

  it('refuses with 403 when the policy denies, starts nothing and audits the refusal', async () => {
    permissions.state.allow = false;
    try {
      const res = await start(
        'default/churn-training',
        {},
        'user:default/mallory',
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'user:default/mallory may not run pipeline:default/churn-training: permission ml.pipeline.run denied',
      );
      expect(backend.airflow.started).toEqual([]);
      const [event] = await audit('pipeline:default/churn-training');
      expect(event).toMatchObject({
        actor: 'user:default/mallory',
        outcome: 'refused',
      });
    } finally {
      permissions.state.allow = true;
    }
  });

  it('answers 404 for unknown entities and for entities that are not Pipelines', async () => {
    const missing = await runs('default/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toBe(
      'No Pipeline default/nope in the catalog',
    );
    // A Model of the same name is not a Pipeline.
    const model = await start('default/churn-model', {});
    expect(model.status).toBe(404);
    expect(backend.airflow.started).toEqual([]);
  });

  it('rejects bad bodies and queries with 400 and starts nothing', async () => {
    for (const body of [
      { parameters: { 'bad name': 'x' } },
      { parameters: { epochs: 5 } },
      { parameters: { epochs: 'x'.repeat(1001) } },
      { parameters: {}, force: true },
      [],
    ]) {
      const res = await start('default/churn-training', body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
    }
    expect(backend.airflow.started).toEqual([]);
    const bad = await runs('default/churn-training', '?limit=0');
    expect(bad.status).toBe(400);
    const extra = await runs('default/churn-training', '?since=yesterday');
    expect(extra.status).toBe(400);
  });

  it('answers 503 naming the config key for an orchestrator that is not configured', async () => {
    const res = await runs('default/recsys-ranker-training');
    expect(res.status).toBe(503);
    expect(res.body.error.message).toBe(
      'pipeline:default/recsys-ranker-training runs on kubeflow, which is not configured: set ml.pipelines.kubeflow.url',
    );
  });

  it('answers 503 for a pipeline whose orchestrator is down, and keeps serving the others', async () => {
    backend.airflow.down = true;
    try {
      const down = await runs('default/churn-training');
      expect(down.status).toBe(503);
      expect(down.body.error.message).toBe(
        'Airflow at http://127.0.0.1:1 did not answer: ECONNREFUSED',
      );
      const started = await start('default/churn-training', {});
      expect(started.status).toBe(503);
      const [event] = await audit('pipeline:default/churn-training');
      expect(event).toMatchObject({ outcome: 'failed' });
      const other = await runs('default/fraud-detector-training');
      expect(other.status).toBe(200);
    } finally {
      backend.airflow.down = false;
    }
  });

  it('lets a user start a run of a module adapter with a manual trigger', async () => {
    const res = await start('default/churn-training', {
      parameters: { window_days: '30' },
    });
    expect(res.status).toBe(201);
    expect(backend.airflow.started).toEqual([
      {
        pipeline: 'churn-training',
        parameters: { window_days: '30' },
        trigger: { type: 'manual', by: ADA },
      },
    ]);
  });
});
