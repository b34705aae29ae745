import { AirflowStandIn, startAirflowStandIn } from './airflow';

const AUTH = `Basic ${Buffer.from('admin:s3cret').toString('base64')}`;
const DUE = Date.UTC(2026, 10, 10, 1, 0, 0);
const DAY = 86_400_000;

describe('startAirflowStandIn', () => {
  let airflow: AirflowStandIn;
  const call = async (
    path: string,
    init: { method?: string; body?: unknown; auth?: string } = {},
  ) => {
    const res = await fetch(`${airflow.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.auth === '' ? {} : { authorization: init.auth ?? AUTH }),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Airflow's 401 is plain text.
    }
    return { status: res.status, headers: res.headers, body };
  };

  beforeAll(async () => {
    airflow = await startAirflowStandIn({
      username: 'admin',
      password: 's3cret',
      progressMs: 200,
      dags: [
        { dag_id: 'daily', schedule: '0 1 * * *' },
        { dag_id: 'paused', is_paused: true },
      ],
      runs: [0, 1, 2, 3].map(i => ({
        dag_id: 'daily',
        run_type: 'scheduled' as const,
        state: i === 2 ? ('failed' as const) : ('success' as const),
        logical_date: new Date(DUE - (i + 1) * DAY),
        data_interval_end: new Date(DUE - i * DAY),
        start_date: new Date(DUE - i * DAY + 5_000),
        end_date: new Date(DUE - i * DAY + 605_000),
      })),
    });
  });

  afterAll(() => airflow?.stop());
  afterEach(() => airflow.setFault(undefined));

  it('asks for basic auth like the basic_auth API backend', async () => {
    const anonymous = await call('/dags/daily/dagRuns', { auth: '' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic');
    expect(anonymous.body).toBe('Unauthorized');
    const wrong = await call('/dags/daily/dagRuns', {
      auth: `Basic ${Buffer.from('admin:nope').toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
  });

  it('lists DAGRun objects with limit/offset paging and total_entries', async () => {
    const first = await call(
      '/dags/daily/dagRuns?order_by=-execution_date&limit=3',
    );
    expect(first.status).toBe(200);
    expect(first.body.total_entries).toBe(4);
    expect(first.body.dag_runs).toHaveLength(3);
    expect(first.body.dag_runs[0]).toEqual({
      conf: {},
      dag_id: 'daily',
      dag_run_id: 'scheduled__2026-11-09T01:00:00+00:00',
      data_interval_end: '2026-11-10T01:00:00+00:00',
      data_interval_start: '2026-11-09T01:00:00+00:00',
      end_date: '2026-11-10T01:10:05+00:00',
      execution_date: '2026-11-09T01:00:00+00:00',
      external_trigger: false,
      last_scheduling_decision: '2026-11-10T01:10:05+00:00',
      logical_date: '2026-11-09T01:00:00+00:00',
      note: null,
      run_type: 'scheduled',
      start_date: '2026-11-10T01:00:05+00:00',
      state: 'success',
    });
    const second = await call(
      '/dags/daily/dagRuns?order_by=-execution_date&limit=3&offset=3',
    );
    expect(second.body.dag_runs.map((r: any) => r.dag_run_id)).toEqual([
      'scheduled__2026-11-06T01:00:00+00:00',
    ]);
    const ascending = await call('/dags/daily/dagRuns?order_by=execution_date');
    expect(ascending.body.dag_runs[0].dag_run_id).toBe(
      'scheduled__2026-11-06T01:00:00+00:00',
    );
  });

  it('answers problem+json errors, and an empty list for an unknown DAG', async () => {
    const badOrder = await call('/dags/daily/dagRuns?order_by=owner');
    expect(badOrder.status).toBe(400);
    expect(badOrder.headers.get('content-type')).toBe(
      'application/problem+json',
    );
    expect(badOrder.body).toEqual({
      detail: null,
      status: 400,
      title:
        "Ordering with 'owner' is disallowed or the attribute does not exist on the model",
      type: expect.stringMatching(
        /stable-rest-api-ref\.html#section\/Errors\/BadRequest$/,
      ),
    });

    expect((await call('/dags/nope/dagRuns')).body).toEqual({
      dag_runs: [],
      total_entries: 0,
    });
    const dag = await call('/dags/nope');
    expect(dag.status).toBe(404);
    expect(dag.body).toMatchObject({ status: 404, title: 'DAG not found' });
    const trigger = await call('/dags/nope/dagRuns', {
      method: 'POST',
      body: { conf: {} },
    });
    expect(trigger.status).toBe(404);
    expect(trigger.body.detail).toBe("DAG with dag_id: 'nope' not found");

    airflow.setFault('error');
    const broken = await call('/dags/daily');
    expect(broken.status).toBe(500);
    expect(broken.body.title).toBe('Internal Server Error');
  });

  it('triggers manual runs that go queued, running, success', async () => {
    const created = await call('/dags/daily/dagRuns', {
      method: 'POST',
      body: { dag_run_id: 'by-test', conf: { a: '1' }, note: 'hello' },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      dag_run_id: 'by-test',
      run_type: 'manual',
      external_trigger: true,
      state: 'queued',
      start_date: null,
      conf: { a: '1' },
      note: 'hello',
    });
    const again = await call('/dags/daily/dagRuns', {
      method: 'POST',
      body: { dag_run_id: 'by-test' },
    });
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(
      "DAGRun with DAG ID: 'daily' and DAGRun ID: 'by-test' already exists",
    );
    const unknownField = await call('/dags/daily/dagRuns', {
      method: 'POST',
      body: { params: {} },
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.detail).toBe("{'params': ['Unknown field.']}");

    await new Promise(r => setTimeout(r, 250));
    expect((await call('/dags/daily/dagRuns/by-test')).body.state).toBe(
      'running',
    );
    await new Promise(r => setTimeout(r, 250));
    const done = (await call('/dags/daily/dagRuns/by-test')).body;
    expect(done.state).toBe('success');
    expect(Date.parse(done.end_date)).toBeGreaterThan(
      Date.parse(done.start_date),
    );
  });

  it('keeps runs of a paused DAG queued until it is unpaused', async () => {
    const created = await call('/dags/paused/dagRuns', {
      method: 'POST',
      body: {},
    });
    expect(created.body.dag_run_id).toMatch(/^manual__\d{4}-\d\d-\d\dT/);
    expect((await call('/dags/paused')).body.is_paused).toBe(true);
    await new Promise(r => setTimeout(r, 500));
    const id = encodeURIComponent(created.body.dag_run_id);
    expect((await call(`/dags/paused/dagRuns/${id}`)).body.state).toBe(
      'queued',
    );
    airflow.setPaused('paused', false);
    await new Promise(r => setTimeout(r, 500));
    expect((await call(`/dags/paused/dagRuns/${id}`)).body.state).toBe(
      'success',
    );
  });
});
