import { mockServices } from '@backstage/backend-test-utils';
import { PipelineEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { PipelineOrchestratorError } from '@mlplatform/plugin-ml-node';
import {
  AirflowStandIn,
  getFreePort,
  startAirflowStandIn,
} from '@mlplatform/test-services';
import { AirflowRunsAdapter } from './AirflowRunsAdapter';

jest.setTimeout(20_000);

const USER = 'portal';
const PASSWORD = 'air:flow-secret';
const DUE = Date.UTC(2026, 10, 22, 1, 0, 0);

function pipeline(dagId: string): PipelineEntityV1alpha1 {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'fraud-features-pipeline', namespace: 'default' },
    spec: {
      type: 'data',
      lifecycle: 'production',
      owner: 'fraud-team',
      orchestrator: { type: 'airflow', id: dagId },
      schedule: '0 1 * * *',
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

describe('AirflowRunsAdapter', () => {
  let airflow: AirflowStandIn;
  let adapter: AirflowRunsAdapter;
  const logger = mockServices.logger.mock();

  beforeAll(async () => {
    airflow = await startAirflowStandIn({
      username: USER,
      password: PASSWORD,
      progressMs: 300,
      dags: [
        { dag_id: 'fraud_features_daily', schedule: '0 1 * * *' },
        { dag_id: 'paused_dag', is_paused: true },
        { dag_id: 'quiet_dag' },
      ],
      runs: [
        {
          dag_id: 'fraud_features_daily',
          run_type: 'scheduled',
          state: 'success',
          logical_date: new Date(DUE - 86_400_000),
          data_interval_end: new Date(DUE),
          start_date: new Date(DUE + 6_000),
          end_date: new Date(DUE + 6_000 + 1_260_000),
        },
        {
          dag_id: 'fraud_features_daily',
          dag_run_id: 'manual__2026-11-22T09:30:00+00:00',
          run_type: 'manual',
          state: 'failed',
          logical_date: new Date(DUE + 8.5 * 3_600_000),
          start_date: new Date(DUE + 8.5 * 3_600_000 + 2_500),
          end_date: new Date(DUE + 8.5 * 3_600_000 + 62_500),
          conf: { full_refresh: true, start_date: '2026-11-01' },
          note: 'Backfill for the chargeback fix',
        },
        {
          dag_id: 'fraud_features_daily',
          run_type: 'dataset_triggered',
          state: 'success',
          logical_date: new Date(DUE - 3 * 86_400_000),
          start_date: new Date(DUE - 3 * 86_400_000),
          end_date: new Date(DUE - 3 * 86_400_000 + 30_000),
        },
      ],
    });
    adapter = AirflowRunsAdapter.create({
      url: airflow.url,
      username: USER,
      password: PASSWORD,
      uiUrl: 'https://airflow.example.com',
      timeoutMs: 1000,
      logger,
    });
  });

  afterAll(async () => {
    adapter?.close();
    await airflow?.stop();
  });

  beforeEach(() => airflow.setFault(undefined));

  it('lists DAG runs newest first with mapped fields', async () => {
    const before = airflow.requests.length;
    const runs = await adapter.listRuns({
      pipeline: pipeline('fraud_features_daily'),
      limit: 20,
    });
    const link = (id: string) =>
      `https://airflow.example.com/dags/fraud_features_daily/grid?dag_run_id=${encodeURIComponent(
        id,
      )}`;
    expect(runs).toEqual([
      {
        id: 'manual__2026-11-22T09:30:00+00:00',
        name: 'manual__2026-11-22T09:30:00+00:00',
        status: 'failed',
        rawStatus: 'failed',
        message: undefined,
        createdAt: '2026-11-22T09:30:00.000Z',
        startedAt: '2026-11-22T09:30:02.500Z',
        finishedAt: '2026-11-22T09:31:02.500Z',
        durationSeconds: 60,
        trigger: { type: 'manual' },
        parameters: { full_refresh: 'true', start_date: '2026-11-01' },
        logsUrl: link('manual__2026-11-22T09:30:00+00:00'),
        uiUrl: link('manual__2026-11-22T09:30:00+00:00'),
      },
      {
        id: 'scheduled__2026-11-21T01:00:00+00:00',
        name: 'scheduled__2026-11-21T01:00:00+00:00',
        status: 'succeeded',
        rawStatus: 'success',
        message: undefined,
        createdAt: '2026-11-22T01:00:00.000Z',
        startedAt: '2026-11-22T01:00:06.000Z',
        finishedAt: '2026-11-22T01:21:06.000Z',
        durationSeconds: 1260,
        trigger: { type: 'schedule' },
        parameters: {},
        logsUrl: link('scheduled__2026-11-21T01:00:00+00:00'),
        uiUrl: link('scheduled__2026-11-21T01:00:00+00:00'),
      },
      expect.objectContaining({
        id: 'dataset_triggered__2026-11-19T01:00:00+00:00',
        trigger: { type: 'schedule', by: 'dataset update' },
        durationSeconds: 30,
      }),
    ]);
    const list = airflow.requests
      .slice(before)
      .find(r => r.path.endsWith('/dagRuns'));
    expect(list).toMatchObject({
      path: '/api/v1/dags/fraud_features_daily/dagRuns',
      query: { order_by: '-execution_date', limit: '20' },
      authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString(
        'base64',
      )}`,
    });
  });

  it('returns at most limit runs', async () => {
    const runs = await adapter.listRuns({
      pipeline: pipeline('fraud_features_daily'),
      limit: 1,
    });
    expect(runs.map(r => r.rawStatus)).toEqual(['failed']);
  });

  it('answers an empty list for a DAG without runs', async () => {
    await expect(
      adapter.listRuns({ pipeline: pipeline('quiet_dag'), limit: 5 }),
    ).resolves.toEqual([]);
  });

  it('triggers a run that records who started it and progresses', async () => {
    const before = airflow.requests.length;
    const started = await adapter.startRun({
      pipeline: pipeline('quiet_dag'),
      parameters: { start_date: '2026-11-01' },
      trigger: { type: 'manual', by: 'user:default/alice' },
    });
    expect(started).toMatchObject({
      id: expect.stringMatching(/^manual__\d{4}-\d\d-\d\dT/),
      status: 'pending',
      rawStatus: 'queued',
      message: undefined,
      trigger: { type: 'manual', by: 'user:default/alice' },
      parameters: { start_date: '2026-11-01' },
    });
    const post = airflow.requests.slice(before).find(r => r.method === 'POST');
    expect(post?.body).toEqual({
      conf: { start_date: '2026-11-01' },
      note: 'Started from the ML portal by user:default/alice. [ml-portal-trigger {"type":"manual","by":"user:default/alice"}]',
    });

    const [listed] = await adapter.listRuns({
      pipeline: pipeline('quiet_dag'),
      limit: 5,
    });
    expect(listed).toMatchObject({
      id: started.id,
      trigger: { type: 'manual', by: 'user:default/alice' },
    });
    await new Promise(r => setTimeout(r, 800));
    const [done] = await adapter.listRuns({
      pipeline: pipeline('quiet_dag'),
      limit: 5,
    });
    expect(done).toMatchObject({ id: started.id, status: 'succeeded' });
    expect(done.durationSeconds).toBeLessThanOrEqual(1);
  });

  it('says that a run of a paused DAG waits', async () => {
    const run = await adapter.startRun({
      pipeline: pipeline('paused_dag'),
      parameters: {},
      trigger: { type: 'alert', by: 'FeatureDrift 9c1e' },
    });
    await new Promise(r => setTimeout(r, 800));
    const [listed] = await adapter.listRuns({
      pipeline: pipeline('paused_dag'),
      limit: 5,
    });
    expect(listed).toMatchObject({
      id: run.id,
      status: 'pending',
      rawStatus: 'queued',
      message: expect.stringContaining('paused'),
      trigger: { type: 'alert', by: 'FeatureDrift 9c1e' },
    });
  });

  it.each([
    ['a name with a slash', { 'a/b': 'x' }, /name "a\/b"/],
    ['an object', { conf: {} as unknown as string }, /must be a string/],
    ['a long value', { notes: 'x'.repeat(1001) }, /longer than 1000/],
  ])('rejects %s without sending anything', async (_, params, re) => {
    const before = airflow.requests.length;
    const e = await failure(
      adapter.startRun({
        pipeline: pipeline('fraud_features_daily'),
        parameters: params,
        trigger: { type: 'manual', by: 'user:default/alice' },
      }),
    );
    expect(e.kind).toBe('invalid');
    expect(e.message).toMatch(re);
    expect(airflow.requests.length).toBe(before);
  });

  it('rejects an invalid DAG id without sending anything', async () => {
    const before = airflow.requests.length;
    const e = await failure(
      adapter.listRuns({ pipeline: pipeline('dags/../x'), limit: 5 }),
    );
    expect(e.kind).toBe('invalid');
    expect(airflow.requests.length).toBe(before);
  });

  it('maps an unknown DAG to not-found, and triggers nothing', async () => {
    const list = await failure(
      adapter.listRuns({ pipeline: pipeline('no_such_dag'), limit: 5 }),
    );
    expect(list.kind).toBe('not-found');
    expect(list.message).toContain('DAG not found');
    const before = airflow.requests.length;
    const start = await failure(
      adapter.startRun({
        pipeline: pipeline('no_such_dag'),
        parameters: {},
        trigger: { type: 'manual' },
      }),
    );
    expect(start.kind).toBe('not-found');
    expect(
      airflow.requests.slice(before).filter(r => r.method === 'POST'),
    ).toEqual([]);
  });

  it('maps a wrong password to unauthorized without echoing it', async () => {
    const wrong = AirflowRunsAdapter.create({
      url: airflow.url,
      username: USER,
      password: 'not-the-password',
      logger,
    });
    try {
      const e = await failure(
        wrong.listRuns({
          pipeline: pipeline('fraud_features_daily'),
          limit: 5,
        }),
      );
      expect(e.kind).toBe('unauthorized');
      expect(e.status).toBe(401);
      expect(e.message).toContain(new URL(airflow.url).host);
      expect(e.message).not.toContain('not-the-password');
      expect(e.message).not.toContain(USER);
    } finally {
      wrong.close();
    }
  });

  it('maps 500 to server and a timeout to unavailable', async () => {
    airflow.setFault('error');
    const e = await failure(
      adapter.listRuns({
        pipeline: pipeline('fraud_features_daily'),
        limit: 5,
      }),
    );
    expect(e.kind).toBe('server');
    expect(e.status).toBe(500);
    expect(e.message).toContain('Internal Server Error');

    airflow.setFault('timeout');
    const t = await failure(
      adapter.listRuns({
        pipeline: pipeline('fraud_features_daily'),
        limit: 5,
      }),
    );
    expect(t.kind).toBe('unavailable');
  });

  it('maps a stopped server to unavailable, naming its host', async () => {
    const port = await getFreePort();
    const down = AirflowRunsAdapter.create({
      url: `http://127.0.0.1:${port}`,
      username: USER,
      password: PASSWORD,
      logger,
    });
    try {
      const e = await failure(
        down.listRuns({ pipeline: pipeline('fraud_features_daily'), limit: 5 }),
      );
      expect(e.kind).toBe('unavailable');
      expect(e.message).toContain(`Airflow at 127.0.0.1:${port}`);
      expect(e.message).toContain('ECONNREFUSED');
      expect(e.message).not.toContain(PASSWORD);
    } finally {
      down.close();
    }
  });
});
