import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  AlertActionsResponse,
  AlertWebhookResponse,
} from '@mlplatform/plugin-ml-common';
import {
  MlAlert,
  mlAlertActionsExtensionPoint,
} from '@mlplatform/plugin-ml-node';
import {
  describeIfBinary,
  serverBinaries,
  startAlertmanager,
} from '@mlplatform/test-services';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  PipelinesTestBackend,
  recordingAuditor,
  startPipelinesTestBackend,
  togglePermissions,
} from '../__testUtils__/pipelinesBackend';
import { mlPlugin } from '../plugin';

/** How Alertmanager's basic_auth sends the shared secret. */
const basic = (secret: string) =>
  `Basic ${Buffer.from(`alertmanager:${secret}`).toString('base64')}`;

jest.setTimeout(90_000);

const SECRET = 'alertmanager-shared-secret-0123';

/** An Alertmanager webhook (v4) delivery of the given alerts. */
function delivery(
  alerts: Array<{
    fingerprint: string;
    labels: Record<string, string>;
    status?: 'firing' | 'resolved';
    startsAt?: string;
  }>,
) {
  return {
    version: '4',
    groupKey: '{}:{alertname="ModelDriftHigh"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'ml-portal',
    groupLabels: { alertname: 'ModelDriftHigh' },
    commonLabels: { alertname: 'ModelDriftHigh' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com',
    alerts: alerts.map(a => ({
      status: a.status ?? 'firing',
      labels: a.labels,
      annotations: { summary: 'Drift score above 0.3' },
      startsAt: a.startsAt ?? '2026-11-23T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
      fingerprint: a.fingerprint,
    })),
  };
}

const drift = (model: string, namespace = 'fraud') => ({
  alertname: 'ModelDriftHigh',
  severity: 'warning',
  namespace,
  model,
});

describe('POST /api/ml/alerts/webhook with the real catalog and test Kubernetes API server', () => {
  let backend: PipelinesTestBackend;
  const permissions = togglePermissions();
  const auditor = recordingAuditor();
  const notified: Array<{ alert: MlAlert; entityRef: string; params: any }> =
    [];
  const notifyModule = createBackendModule({
    pluginId: 'ml',
    moduleId: 'test-notify-action',
    register(reg) {
      reg.registerInit({
        deps: { actions: mlAlertActionsExtensionPoint },
        async init({ actions }) {
          actions.addAlertAction({
            id: 'notify-team',
            async run(options) {
              notified.push(options);
              return { summary: `notified ${options.params.channel}` };
            },
          });
        },
      });
    },
  });

  beforeAll(async () => {
    backend = await startPipelinesTestBackend({
      extraFeatures: [permissions.factory, auditor.factory, notifyModule],
      ml: {
        alerts: {
          webhook: { secret: SECRET },
          rateLimit: { maxPerModel: 4, windowMinutes: 60 },
          rules: [
            { match: { alertname: 'ModelDriftHigh' }, action: 'retrain' },
            {
              match: { alertname: 'ModelDriftHigh', severity: 'page' },
              action: 'notify-team',
              params: { channel: '#fraud-oncall' },
            },
          ],
        },
      },
    });
  });

  afterAll(async () => {
    await backend?.stop();
  });

  const post = (body: unknown, secret = SECRET) =>
    request(backend.server)
      .post('/api/ml/alerts/webhook')
      .set('Authorization', basic(secret))
      .send(body as object);
  const jobs = () =>
    backend.kube
      .list('batch/v1', 'Job', 'fraud')
      .map((j: any) => j.metadata.name as string);
  const alertActions = async (model: string) =>
    (
      await request(backend.server)
        .get(`/api/ml/models/default/${model}/alert-actions`)
        .set('Authorization', mockCredentials.user.header())
    ).body as AlertActionsResponse;

  it('answers 401 without the shared secret or with a wrong one, and starts nothing', async () => {
    const before = jobs();
    const none = await request(backend.server)
      .post('/api/ml/alerts/webhook')
      .send(
        delivery([{ fingerprint: 'aaa1', labels: drift('fraud-detector') }]),
      );
    expect(none.status).toBe(401);
    const wrong = await post(
      delivery([{ fingerprint: 'aaa1', labels: drift('fraud-detector') }]),
      'not-the-secret-at-all',
    );
    expect(wrong.status).toBe(401);
    // A Backstage user token is not the webhook secret either.
    const user = await request(backend.server)
      .post('/api/ml/alerts/webhook')
      .set('Authorization', mockCredentials.user.header())
      .send(
        delivery([{ fingerprint: 'aaa1', labels: drift('fraud-detector') }]),
      );
    expect(user.status).toBe(401);
    expect(jobs()).toEqual(before);
  });

  it('rejects a payload that is not an Alertmanager v4 webhook with 400', async () => {
    const before = jobs();
    for (const body of [
      { ...delivery([]), version: '3' },
      { ...delivery([]), alerts: [{ labels: drift('fraud-detector') }] },
      {
        ...delivery([{ fingerprint: 'bad fingerprint!', labels: {} }]),
      },
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
    }
    expect(jobs()).toEqual(before);
  });

  it("starts exactly one retraining Job of the Model's producedBy Pipeline for a firing alert", async () => {
    const before = jobs();
    const res = await post(
      delivery([
        { fingerprint: 'f00dfeed01', labels: drift('fraud-detector') },
      ]),
    );
    expect(res.status).toBe(200);
    const body = res.body as AlertWebhookResponse;
    expect(body.ignored).toBe(0);
    expect(body.items).toHaveLength(1);
    const [item] = body.items;
    expect(item).toMatchObject({
      alertname: 'ModelDriftHigh',
      fingerprint: 'f00dfeed01',
      startsAt: '2026-11-23T10:00:00.000Z',
      action: 'retrain',
      status: 'started',
      entityRef: 'model:default/fraud-detector',
      pipelineRef: 'pipeline:default/fraud-detector-training',
    });
    expect(item.summary).toBe(
      `started run ${item.runId} of pipeline:default/fraud-detector-training`,
    );
    const added = jobs().filter(j => !before.includes(j));
    expect(added).toEqual([item.runId]);
    const job: any = backend.kube.get('batch/v1', 'Job', 'fraud', item.runId!);
    expect(job.metadata.annotations).toMatchObject({
      'mlplatform.io/trigger': 'alert',
      'mlplatform.io/triggered-by': 'ModelDriftHigh f00dfeed01',
    });

    // Checked as the ML backend's own service principal.
    expect(permissions.state.calls.at(-1)).toEqual({
      permission: 'ml.pipeline.run',
      resourceRef: 'pipeline:default/fraud-detector-training',
      principal: expect.objectContaining({
        type: 'service',
        subject: 'plugin:ml',
      }),
    });
    const audit = (
      await request(backend.server)
        .get('/api/ml/audit?actor=plugin:ml')
        .set('Authorization', mockCredentials.user.header())
    ).body.items;
    expect(audit.map((e: any) => [e.action, e.targetRef, e.outcome])).toEqual([
      ['ml.alert.action', 'model:default/fraud-detector', 'succeeded'],
      [
        'ml.pipeline.run',
        'pipeline:default/fraud-detector-training',
        'succeeded',
      ],
    ]);
    expect(audit[1].details.trigger).toEqual({
      type: 'alert',
      by: 'ModelDriftHigh f00dfeed01',
    });
    expect(auditor.events.map(e => [e.eventId, e.result])).toEqual(
      expect.arrayContaining([
        ['ml-alert-action', 'success'],
        ['ml-pipeline-run', 'success'],
      ]),
    );
  });

  it('starts nothing when the same alert is delivered again', async () => {
    const before = jobs();
    const res = await post(
      delivery([
        { fingerprint: 'f00dfeed01', labels: drift('fraud-detector') },
      ]),
    );
    expect(res.status).toBe(200);
    const [item] = (res.body as AlertWebhookResponse).items;
    expect(item.status).toBe('duplicate');
    expect(item.runId).toBeDefined();
    expect(jobs()).toEqual(before);
  });

  describeIfBinary(serverBinaries.alertmanager)(
    'with a real Alertmanager',
    () => {
      it('starts one Job when a real Alertmanager delivers a firing alert, and none when it re-sends it', async () => {
        const port = (backend.server.address() as AddressInfo).port;
        const alertmanager = await startAlertmanager({
          config: JSON.stringify({
            route: {
              receiver: 'ml-portal',
              group_wait: '0s',
              group_interval: '1s',
              repeat_interval: '2s',
            },
            receivers: [
              {
                name: 'ml-portal',
                webhook_configs: [
                  {
                    url: `http://127.0.0.1:${port}/api/ml/alerts/webhook`,
                    send_resolved: false,
                    http_config: {
                      basic_auth: {
                        username: 'alertmanager',
                        password: SECRET,
                      },
                    },
                  },
                ],
              },
            ],
          }),
        });
        try {
          const before = jobs();
          await alertmanager.postAlerts([
            {
              labels: { ...drift('fraud-detector'), instance: 'am-e2e' },
              annotations: { summary: 'Drift score above 0.3' },
            },
          ]);
          const [alert] = await alertmanager.getAlerts(['instance="am-e2e"']);
          const deadline = Date.now() + 20_000;
          let items: AlertActionsResponse['items'] = [];
          while (Date.now() < deadline) {
            items = (await alertActions('fraud-detector')).items.filter(
              i => i.fingerprint === alert.fingerprint,
            );
            if (items[0]?.runId) break;
            await new Promise(r => setTimeout(r, 250));
          }
          expect(items).toEqual([
            expect.objectContaining({
              status: 'started',
              alertname: 'ModelDriftHigh',
              pipelineRef: 'pipeline:default/fraud-detector-training',
            }),
          ]);
          // The webhook carries nanoseconds, the v2 API milliseconds.
          expect(Date.parse(items[0].startsAt)).toBe(
            Date.parse(alert.startsAt),
          );
          // Let Alertmanager re-send it (repeat_interval 2s) a few times.
          await new Promise(r => setTimeout(r, 5_000));
          const added = jobs().filter(j => !before.includes(j));
          expect(added).toEqual([items[0].runId]);
          const again = (await alertActions('fraud-detector')).items.filter(
            i => i.fingerprint === alert.fingerprint,
          );
          expect(again).toHaveLength(1);
        } finally {
          await alertmanager.stop();
        }
      });
    },
  );

  it('refuses actions beyond the rate limit per model and records them as rate-limited', async () => {
    const labels = { alertname: 'ModelDriftHigh', model: 'churn' };
    const res = await post(
      delivery([
        { fingerprint: 'c1', labels },
        { fingerprint: 'c2', labels },
        { fingerprint: 'c3', labels },
        { fingerprint: 'c4', labels },
        { fingerprint: 'c5', labels },
      ]),
    );
    expect(res.status).toBe(200);
    expect(
      (res.body as AlertWebhookResponse).items.map(i => [
        i.fingerprint,
        i.status,
      ]),
    ).toEqual([
      ['c1', 'started'],
      ['c2', 'started'],
      ['c3', 'started'],
      ['c4', 'started'],
      ['c5', 'rate-limited'],
    ]);
    expect(backend.airflow.started.map(s => s.trigger)).toEqual([
      { type: 'alert', by: 'ModelDriftHigh c1' },
      { type: 'alert', by: 'ModelDriftHigh c2' },
      { type: 'alert', by: 'ModelDriftHigh c3' },
      { type: 'alert', by: 'ModelDriftHigh c4' },
    ]);
    const { items } = await alertActions('churn-model');
    expect(items.map(i => [i.fingerprint, i.status])).toEqual([
      ['c5', 'rate-limited'],
      ['c4', 'started'],
      ['c3', 'started'],
      ['c2', 'started'],
      ['c1', 'started'],
    ]);
    expect(items[0].summary).toMatch(
      /already had 4 alert action\(s\) in the last 60 minutes/,
    );
  });

  it('ignores resolved alerts and alerts no rule matches; reports rule matches without a Model', async () => {
    const before = jobs();
    const started = backend.airflow.started.length;
    const res = await post(
      delivery([
        {
          fingerprint: 'r1',
          labels: drift('fraud-detector'),
          status: 'resolved',
          startsAt: '2026-11-23T11:00:00.000Z',
        },
        {
          fingerprint: 'o1',
          labels: { alertname: 'DiskFull', model: 'fraud-detector' },
        },
        { fingerprint: 'n1', labels: drift('unknown-model') },
      ]),
    );
    expect(res.status).toBe(200);
    const body = res.body as AlertWebhookResponse;
    expect(body.ignored).toBe(2);
    expect(body.items).toEqual([
      expect.objectContaining({
        fingerprint: 'n1',
        status: 'no-match',
        action: 'retrain',
      }),
    ]);
    expect(jobs()).toEqual(before);
    expect(backend.airflow.started.length).toBe(started);
  });

  it('runs actions added through mlAlertActionsExtensionPoint by id', async () => {
    const res = await post(
      delivery([
        {
          fingerprint: 'p1',
          labels: { ...drift('fraud-detector'), severity: 'page' },
          startsAt: '2026-11-23T12:00:00.000Z',
        },
      ]),
    );
    expect(res.status).toBe(200);
    // The summary says why, should an action fail.
    expect(
      (res.body as AlertWebhookResponse).items.map(
        i =>
          `${i.action} ${i.status}${
            i.status === 'failed' ? `: ${i.summary}` : ''
          }`,
      ),
    ).toEqual(['retrain started', 'notify-team started']);
    expect(notified).toEqual([
      expect.objectContaining({
        entityRef: 'model:default/fraud-detector',
        params: { channel: '#fraud-oncall' },
        alert: expect.objectContaining({ fingerprint: 'p1' }),
      }),
    ]);
  });

  it('lists what the webhook did for a Model, newest first', async () => {
    const { items } = await alertActions('fraud-detector');
    expect(
      items.map(i => [i.fingerprint, i.action, i.status, i.pipelineRef]),
    ).toEqual(
      expect.arrayContaining([
        [
          'f00dfeed01',
          'retrain',
          'started',
          'pipeline:default/fraud-detector-training',
        ],
        ['p1', 'notify-team', 'started', undefined],
      ]),
    );
    expect(items[items.length - 1]).toMatchObject({
      fingerprint: 'f00dfeed01',
      alertname: 'ModelDriftHigh',
      startsAt: '2026-11-23T10:00:00.000Z',
    });
    expect(Date.now() - Date.parse(items[0].at)).toBeLessThan(60_000);

    const notAModel = await request(backend.server)
      .get('/api/ml/models/default/churn-training/alert-actions')
      .set('Authorization', mockCredentials.user.header());
    expect(notAModel.status).toBe(404);
  });
});

describe('POST /api/ml/alerts/webhook without ml.alerts.webhook', () => {
  it('answers 404 naming the config key', async () => {
    const { server } = await startTestBackend({
      features: [mlPlugin, mockServices.rootConfig.factory({ data: {} })],
    });
    const res = await request(server)
      .post('/api/ml/alerts/webhook')
      .set('Authorization', basic(SECRET))
      .send(delivery([]));
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      'The alert webhook is not enabled: set ml.alerts.webhook.secret',
    );
  });

  it('refuses to start when a rule names an action nobody installed', async () => {
    await expect(
      startTestBackend({
        features: [
          mlPlugin,
          mockServices.rootConfig.factory({
            data: {
              ml: {
                alerts: {
                  rules: [{ match: { alertname: 'X' }, action: 'page-me' }],
                },
              },
            },
          }),
        ],
      }),
    ).rejects.toThrow(
      'ml config: ml.alerts.rules[0].action "page-me" is not an installed alert action; known: retrain',
    );
  });
});
