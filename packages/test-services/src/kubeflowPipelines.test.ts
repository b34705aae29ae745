import {
  KubeflowPipelinesStandIn,
  startKubeflowPipelinesStandIn,
} from './kubeflowPipelines';

const TOKEN = 't0ken';
const T0 = Date.UTC(2026, 10, 1, 2, 0, 0);
const DAY = 86_400_000;

describe('startKubeflowPipelinesStandIn', () => {
  let kfp: KubeflowPipelinesStandIn;
  const get = (path: string, token = TOKEN) =>
    fetch(`${kfp.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const json = async (res: Response) => ({
    status: res.status,
    body: await res.json(),
  });

  beforeAll(async () => {
    kfp = await startKubeflowPipelinesStandIn({
      token: TOKEN,
      progressMs: 200,
      pipelines: [
        { pipeline_id: 'ranker', namespace: 'recsys' },
        { pipeline_id: 'intent', namespace: 'nlp' },
      ],
      runs: [0, 1, 2, 3, 4].map(i => ({
        run_id: `r${i}`,
        pipeline_id: 'ranker',
        display_name: `run ${i}`,
        state: (
          ['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'RUNNING'] as const
        )[i],
        created_at: new Date(T0 + i * DAY),
        started_at: new Date(T0 + i * DAY + 60_000),
        finished_at: i === 4 ? undefined : new Date(T0 + i * DAY + 3_600_000),
        parameters: { epochs: 10 + i, lr: '0.001' },
        recurring_run_id: i === 4 ? undefined : 'rr',
        error_message: i === 1 ? 'OOMKilled' : undefined,
      })),
    });
  });

  afterAll(() => kfp?.stop());
  afterEach(() => kfp.setFault(undefined));

  it('answers V2beta1Run objects with KFP field names and unset times as the epoch', async () => {
    const { status, body } = await json(await get('/apis/v2beta1/runs/r4'));
    expect(status).toBe(200);
    expect(body).toEqual({
      experiment_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      run_id: 'r4',
      display_name: 'run 4',
      storage_state: 'AVAILABLE',
      description: '',
      pipeline_version_reference: {
        pipeline_id: 'ranker',
        pipeline_version_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
      runtime_config: {
        parameters: { epochs: 14, lr: '0.001' },
        pipeline_root: 'minio://mlpipeline/v2/artifacts/ranker',
      },
      service_account: 'pipeline-runner',
      created_at: '2026-11-05T02:00:00Z',
      scheduled_at: '2026-11-05T02:00:00Z',
      finished_at: '1970-01-01T00:00:00Z',
      state: 'RUNNING',
      state_history: [
        { update_time: '2026-11-05T02:00:00Z', state: 'PENDING' },
        { update_time: '2026-11-05T02:01:00Z', state: 'RUNNING' },
      ],
    });
    const failed = await json(await get('/apis/v2beta1/runs/r1'));
    expect(failed.body).toMatchObject({
      state: 'FAILED',
      finished_at: '2026-11-02T03:00:00Z',
      recurring_run_id: 'rr',
      error: { code: 2, message: 'OOMKilled', details: [] },
    });
  });

  it('pages with next_page_token in sort_by order, filtered by experiment and namespace', async () => {
    const filter = encodeURIComponent(
      JSON.stringify({
        predicates: [
          {
            key: 'display_name',
            operation: 'NOT_EQUALS',
            string_value: 'nothing',
          },
        ],
      }),
    );
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const { status, body } = await json(
        await get(
          `/apis/v2beta1/runs?namespace=recsys&page_size=2&sort_by=${encodeURIComponent(
            'created_at desc',
          )}&filter=${filter}${
            token ? `&page_token=${encodeURIComponent(token)}` : ''
          }`,
        ),
      );
      expect(status).toBe(200);
      expect(body.total_size).toBe(5);
      ids.push(...body.runs.map((r: { run_id: string }) => r.run_id));
      token = body.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(ids).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);

    const otherNamespace = await json(
      await get(`/apis/v2beta1/runs?namespace=nlp&filter=${filter}`),
    );
    expect(otherNamespace.body).toEqual({});
  });

  it('answers google.rpc.Status errors', async () => {
    const badFilter = await json(
      await get(
        `/apis/v2beta1/runs?filter=${encodeURIComponent(
          JSON.stringify({
            predicates: [
              { key: 'pipeline_id', operation: 'EQUALS', string_value: 'x' },
            ],
          }),
        )}`,
      ),
    );
    expect(badFilter.status).toBe(400);
    expect(badFilter.body).toEqual({
      error: expect.stringContaining(
        'no support for filtering on key "pipeline_id"',
      ),
      code: 3,
      message: expect.stringContaining('"pipeline_id"'),
      details: [],
    });
    expect((await get('/apis/v2beta1/runs?sort_by=owner%20desc')).status).toBe(
      400,
    );
    expect((await get('/apis/v2beta1/runs?page_token=bogus')).status).toBe(400);

    const missing = await json(await get('/apis/v2beta1/pipelines/nope'));
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(5);

    const anonymous = await json(await get('/apis/v2beta1/runs', ''));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe(16);

    kfp.setFault('error');
    const broken = await json(await get('/apis/v2beta1/runs'));
    expect(broken.status).toBe(500);
    expect(broken.body.code).toBe(13);
  });

  it('creates experiments, one name per namespace', async () => {
    const post = (body: unknown) =>
      fetch(`${kfp.url}/apis/v2beta1/experiments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      }).then(json);
    const created = await post({
      display_name: 'Default',
      namespace: 'team-x',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      display_name: 'Default',
      namespace: 'team-x',
      storage_state: 'AVAILABLE',
    });
    const again = await post({ display_name: 'Default', namespace: 'team-x' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe(6);
    const noNamespace = await post({ display_name: 'Default' });
    expect(noNamespace.status).toBe(400);
  });

  it('creates runs that go PENDING, RUNNING, SUCCEEDED and logs requests', async () => {
    const create = (body: unknown) =>
      fetch(`${kfp.url}/apis/v2beta1/runs`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      }).then(json);
    const experiments = await json(
      await get(
        `/apis/v2beta1/experiments?namespace=recsys&filter=${encodeURIComponent(
          JSON.stringify({
            predicates: [
              {
                key: 'display_name',
                operation: 'EQUALS',
                string_value: 'Default',
              },
            ],
          }),
        )}`,
      ),
    );
    expect(experiments.body).toEqual({
      experiments: [
        {
          experiment_id: expect.any(String),
          display_name: 'Default',
          description: '',
          created_at: '2026-01-05T00:00:00Z',
          namespace: 'recsys',
          storage_state: 'AVAILABLE',
        },
      ],
      total_size: 1,
    });
    const experimentId = experiments.body.experiments[0].experiment_id;
    const noExperiment = await create({
      display_name: 'manual',
      pipeline_version_reference: { pipeline_id: 'intent' },
    });
    expect(noExperiment.status).toBe(400);
    expect(noExperiment.body.message).toContain(
      'Experiment id can not be empty in multi-user mode',
    );

    const before = kfp.requests.length;
    const created = await create({
      experiment_id: experimentId,
      display_name: 'manual',
      description: 'by erin',
      pipeline_version_reference: { pipeline_id: 'intent' },
      runtime_config: { parameters: { epochs: '3' } },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      display_name: 'manual',
      description: 'by erin',
      state: 'PENDING',
      finished_at: '1970-01-01T00:00:00Z',
      experiment_id: experimentId,
      runtime_config: { parameters: { epochs: '3' } },
    });
    expect(kfp.requests.slice(before)).toEqual([
      {
        method: 'POST',
        path: '/apis/v2beta1/runs',
        query: {},
        body: expect.objectContaining({ display_name: 'manual' }),
        authorization: `Bearer ${TOKEN}`,
      },
    ]);
    await new Promise(r => setTimeout(r, 250));
    const running = await json(
      await get(`/apis/v2beta1/runs/${created.body.run_id}`),
    );
    expect(running.body.state).toBe('RUNNING');
    await new Promise(r => setTimeout(r, 250));
    const done = await json(
      await get(`/apis/v2beta1/runs/${created.body.run_id}`),
    );
    expect(done.body.state).toBe('SUCCEEDED');
    expect(done.body.finished_at).not.toBe('1970-01-01T00:00:00Z');
    expect(
      done.body.state_history.map((h: { state: string }) => h.state),
    ).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);

    const unknown = await create({
      experiment_id: experimentId,
      display_name: 'x',
      pipeline_version_reference: { pipeline_id: 'nope' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe(5);
    const unnamed = await create({
      experiment_id: experimentId,
      pipeline_version_reference: { pipeline_id: 'intent' },
    });
    expect(unnamed.status).toBe(400);
    expect(unnamed.body.code).toBe(3);
  });
});
