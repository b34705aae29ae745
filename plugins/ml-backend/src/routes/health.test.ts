import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ModelHealthResponse,
  parseHealthWindow,
} from '@mlplatform/plugin-ml-common';
import {
  AlertmanagerHandle,
  describeIfBinary,
  getFreePort,
  openMetricsSeries,
  PrometheusHandle,
  serverBinaries,
  startAlertmanager,
  startPrometheus,
} from '@mlplatform/test-services';
import express from 'express';
import http from 'node:http';
import net, { AddressInfo } from 'node:net';
import request from 'supertest';
import { AlertmanagerClient } from '../services/monitoring/AlertmanagerClient';
import { builtInMetricsProfiles } from '../services/monitoring/metricsProfiles';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';
import { PrometheusClient } from '../services/monitoring/PrometheusClient';
import { createHealthRouter } from './health';

jest.setTimeout(60_000);

// Per-minute increments of the cumulative buckets of model "a": of 100
// requests a minute 10 take <= 0.1 s, 30 <= 0.25 s, 80 <= 0.5 s, all <= 1 s.
// histogram_quantile interpolates linearly inside the bucket holding the
// rank, so p50 = 0.25 + 0.25 * (50 - 30) / 50 = 0.35,
// p95 = 0.5 + 0.5 * (95 - 80) / 20 = 0.875, p99 = 0.5 + 0.5 * 19 / 20 = 0.975.
const BUCKETS: Array<[string, number]> = [
  ['0.1', 10],
  ['0.25', 30],
  ['0.5', 80],
  ['1', 100],
  ['+Inf', 100],
];
// 5 of 100 requests a minute fail: error rate 0.05.
const SELECTOR = 'namespace="t", model="a"';
const DOWN_MINUTES = new Set([4, 11, 25]);

function model(
  name: string,
  annotations: Record<string, string>,
  slo?: Record<string, number>,
): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: { name, namespace: 'default', annotations },
    spec: {
      type: 'classifier',
      lifecycle: 'production',
      owner: 'team-a',
      ...(slo ? { slo } : {}),
    },
  };
}

const ENTITIES: Entity[] = [
  // errorRate 0.05 > 0.04 but within 2x: degraded.
  model(
    'degraded',
    {
      'mlplatform.io/metrics-selector': SELECTOR,
      'mlplatform.io/alert-selector': 'namespace="t", model="a", team="none"',
    },
    { latencyP95Ms: 1000, errorRate: 0.04, availability: 0.9 },
  ),
  model(
    'healthy',
    {
      'mlplatform.io/metrics-selector': SELECTOR,
      'mlplatform.io/metrics-profile': 'openmetrics',
      'mlplatform.io/alert-selector': 'namespace="t", model="a", team="none"',
    },
    { latencyP95Ms: 900, errorRate: 0.1 },
  ),
  // p95 875 ms > 2 x 400 ms: failing; no alert selector, so the metrics
  // selector's labels pick the alerts.
  model(
    'failing',
    { 'mlplatform.io/metrics-selector': SELECTOR },
    { latencyP95Ms: 400 },
  ),
  model(
    'alerted',
    {
      'mlplatform.io/metrics-selector': SELECTOR,
      'mlplatform.io/alert-selector': 'team="checkout"',
    },
    { latencyP95Ms: 1000, errorRate: 0.1 },
  ),
  model(
    'silent',
    { 'mlplatform.io/metrics-selector': 'namespace="t", model="nothing"' },
    { latencyP95Ms: 100 },
  ),
  model('unconfigured', {}, { latencyP95Ms: 100 }),
  model('no-slo', { 'mlplatform.io/metrics-selector': SELECTOR }),
  model('bad-profile', {
    'mlplatform.io/metrics-selector': SELECTOR,
    'mlplatform.io/metrics-profile': 'tensorflow-serving',
  }),
  model('injection', {
    'mlplatform.io/metrics-selector': 'model="a"}) or vector(1) #',
  }),
  model('injection-alerts', {
    'mlplatform.io/metrics-selector': SELECTOR,
    'mlplatform.io/alert-selector': 'model=~".*"} or {',
  }),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'not-a-model', namespace: 'default' },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
  },
];

/** Queries Prometheus received, from its own request counters. */
async function prometheusQueries(prom: PrometheusHandle): Promise<number> {
  const text = await (await fetch(`${prom.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m =
      /^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/(query|query_range)"[^}]*\} (\S+)$/.exec(
        line,
      );
    if (m) total += Number(m[2]);
  }
  return total;
}

/**
 * A fixed address in front of a Prometheus that can be swapped: while there
 * is no upstream the port is closed (connections refused, as for a dead
 * Prometheus); a restarted Prometheus is then served on the same address.
 */
async function startForwarder() {
  let upstream: number | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const up = net.connect(upstream!, '127.0.0.1');
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    client.pipe(up).pipe(client);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  const listen = (port: number) =>
    new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async route(to: number | undefined) {
      upstream = to;
      if (to === undefined && server.listening) {
        for (const socket of sockets) socket.destroy();
        await new Promise(resolve => server.close(resolve));
      } else if (to !== undefined && !server.listening) {
        await listen(port);
      }
    },
  };
}

describeIfBinary([
  serverBinaries.prometheus,
  serverBinaries.promtool,
  serverBinaries.alertmanager,
])('GET /models/:namespace/:name/health', () => {
  const last = Math.floor(Date.now() / 1000) - 20;
  const minutes = Array.from({ length: 31 }, (_, i) => i);
  const at = (i: number) => last - (30 - i) * 60;
  const counter = (perMinute: number) =>
    minutes.map(i => [at(i), i * perMinute] as [number, number]);
  const labels = { namespace: 't', model: 'a', pod: 'pod-a' };
  let prom: PrometheusHandle;
  let am: AlertmanagerHandle;

  beforeAll(async () => {
    const series = [
      ...BUCKETS.map(([le, perMinute]) =>
        openMetricsSeries(
          'model_request_duration_seconds_bucket',
          { ...labels, le },
          counter(perMinute),
        ),
      ),
      openMetricsSeries(
        'model_requests_total',
        { ...labels, code: '200' },
        counter(95),
      ),
      openMetricsSeries(
        'model_requests_total',
        { ...labels, code: '503' },
        counter(5),
      ),
      openMetricsSeries(
        'model_drift_score',
        labels,
        minutes.map(i => [at(i), 0.1]),
      ),
      openMetricsSeries(
        'up',
        { ...labels, job: 'serving', instance: 'pod-a:8080' },
        minutes.map(i => [at(i), DOWN_MINUTES.has(i) ? 0 : 1]),
      ),
      // The model's GPU, and a notebook's GPU in the same namespace that the
      // pod join must leave out.
      openMetricsSeries(
        'DCGM_FI_DEV_GPU_UTIL',
        { namespace: 't', pod: 'pod-a', gpu: '0' },
        minutes.map(i => [at(i), 70]),
      ),
      openMetricsSeries(
        'DCGM_FI_DEV_GPU_UTIL',
        { namespace: 't', pod: 'notebook-0', gpu: '1' },
        minutes.map(i => [at(i), 10]),
      ),
      openMetricsSeries(
        'DCGM_FI_DEV_FB_USED',
        { namespace: 't', pod: 'pod-a', gpu: '0' },
        minutes.map(i => [at(i), 2048]),
      ),
      openMetricsSeries(
        'DCGM_FI_DEV_FB_USED',
        { namespace: 't', pod: 'notebook-0', gpu: '1' },
        minutes.map(i => [at(i), 30000]),
      ),
    ];
    [prom, am] = await Promise.all([
      startPrometheus({ backfill: series.join('') }),
      startAlertmanager(),
    ]);
    await am.postAlerts([
      {
        labels: {
          alertname: 'ModelLatencyHigh',
          namespace: 't',
          model: 'a',
          severity: 'warning',
        },
        annotations: { summary: 'p95 above 800 ms' },
        generatorURL: 'http://prometheus.example/graph?g0.expr=x',
      },
      {
        labels: {
          alertname: 'CheckoutDown',
          team: 'checkout',
          severity: 'critical',
        },
        annotations: { description: 'checkout is down' },
      },
      {
        labels: {
          alertname: 'OtherModelBroken',
          namespace: 't',
          model: 'b',
          severity: 'critical',
        },
      },
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), am?.stop()]);
  });

  function makeApp(prometheusUrl?: string, cacheTtlMs = 10_000) {
    const healthService = ModelHealthService.create({
      prometheus: PrometheusClient.create({ url: prometheusUrl ?? prom.url }),
      alertmanager: AlertmanagerClient.create({ url: am.url }),
      profiles: new Map(Object.entries(builtInMetricsProfiles)),
      logger: mockServices.logger.mock(),
      cacheTtlMs,
    });
    return createHealthRouter({
      httpAuth: mockServices.httpAuth(),
      catalog: catalogServiceMock({ entities: ENTITIES }),
      healthService,
    }).then(router => ({
      app: express().use(router).use(mockErrorHandler()),
      healthService,
    }));
  }

  async function health(
    app: express.Express,
    name: string,
    window = '1h',
  ): Promise<ModelHealthResponse> {
    const res = await request(app).get(
      `/models/default/${name}/health?window=${window}`,
    );
    expect(res.status).toBe(200);
    return res.body;
  }

  it('computes the exact quantiles, error rate, availability and GPU join of the backfill', async () => {
    const { app } = await makeApp();
    const body = await health(app, 'degraded');
    expect(body.current.p50).toBeCloseTo(0.35, 9);
    expect(body.current.p95).toBeCloseTo(0.875, 9);
    expect(body.current.p99).toBeCloseTo(0.975, 9);
    expect(body.current.errorRate).toBeCloseTo(0.05, 9);
    expect(body.current.drift).toBeCloseTo(0.1, 9);
    expect(body.current.availability).toBeCloseTo(28 / 31, 9);
    expect(body.current.gpuUtilization).toBe(70);
    expect(body.current.gpuMemoryBytes).toBe(2048 * 1024 * 1024);
    // 100 requests a minute during the 30 minutes of data, averaged over
    // the 1h window: about 0.83/s (rate() extrapolates a little).
    expect(body.current.throughput).toBeGreaterThan(0.8);
    expect(body.current.throughput).toBeLessThan(0.9);
    expect(body.profile).toBe('openmetrics');
    expect(body.stepSeconds).toBe(30);
    expect(body.prometheus.state).toBe('ok');

    expect(body.verdict).toBe('degraded');
    expect(body.reason).toBe('errorRate 0.05 > 0.04');
    expect(body.objectives).toEqual([
      {
        name: 'latencyP95Ms',
        target: 1000,
        bound: 'max',
        actual: expect.closeTo(875, 6),
        status: 'healthy',
      },
      {
        name: 'errorRate',
        target: 0.04,
        bound: 'max',
        actual: expect.closeTo(0.05, 9),
        status: 'degraded',
      },
      {
        name: 'availability',
        target: 0.9,
        bound: 'min',
        actual: expect.closeTo(28 / 31, 9),
        status: 'healthy',
      },
      {
        name: 'driftScore',
        target: 0.3,
        bound: 'max',
        actual: expect.closeTo(0.1, 9),
        status: 'healthy',
      },
    ]);
    expect(body.alerts).toEqual([]);

    // Chart series: 1h at a 30 s step, on step boundaries, with the data.
    const p95 = body.series.latencyP95;
    expect(p95.length).toBeGreaterThanOrEqual(100);
    expect(p95.length).toBeLessThanOrEqual(122);
    expect(p95.every(p => p.t % 30 === 0)).toBe(true);
    const withData = p95.filter(p => p.v !== null);
    expect(withData.length).toBeGreaterThan(40);
    expect(withData[withData.length - 1].v).toBeCloseTo(0.875, 9);
    expect(body.series.gpuUtilization.some(p => p.v === 70)).toBe(true);
  });

  it('gives healthy and failing for the same data against other SLOs', async () => {
    const { app } = await makeApp();
    const healthy = await health(app, 'healthy');
    expect(healthy.verdict).toBe('healthy');
    expect(healthy.reason).toBeUndefined();
    expect(healthy.objectives.map(o => o.status)).toEqual([
      'healthy',
      'healthy',
      'healthy',
    ]);

    const failing = await health(app, 'failing');
    expect(failing.verdict).toBe('failing');
    expect(failing.reason).toBe(
      'latencyP95Ms 875 ms > 400 ms; alert ModelLatencyHigh (warning) firing',
    );
  });

  it('lists the alerts matching the selector and not those of other models', async () => {
    const { app } = await makeApp();
    // No alert selector: the metrics selector's labels are used.
    const failing = await health(app, 'failing');
    expect(failing.alerts).toEqual([
      {
        name: 'ModelLatencyHigh',
        severity: 'warning',
        summary: 'p95 above 800 ms',
        startsAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        generatorURL: 'http://prometheus.example/graph?g0.expr=x',
        labels: {
          alertname: 'ModelLatencyHigh',
          namespace: 't',
          model: 'a',
          severity: 'warning',
        },
      },
    ]);
    expect(failing.alertmanager.state).toBe('ok');

    // Its own alert selector: the critical alert makes it failing although
    // every objective is met.
    const alerted = await health(app, 'alerted');
    expect(alerted.alerts.map(a => a.name)).toEqual(['CheckoutDown']);
    expect(alerted.alerts[0].summary).toBe('checkout is down');
    expect(alerted.objectives.every(o => o.status === 'healthy')).toBe(true);
    expect(alerted.verdict).toBe('failing');
    expect(alerted.reason).toBe('alert CheckoutDown (critical) firing');
  });

  it('answers unknown with what to do when not configured or without data', async () => {
    const { app } = await makeApp();
    const unconfigured = await health(app, 'unconfigured');
    expect(unconfigured.verdict).toBe('unknown');
    expect(unconfigured.reason).toMatch(
      /^Not configured: add the mlplatform\.io\/metrics-selector annotation/,
    );

    const silent = await health(app, 'silent');
    expect(silent.verdict).toBe('unknown');
    expect(silent.reason).toMatch(
      /^Prometheus has no series for \{namespace="t", model="nothing"\} in the last 1h/,
    );
    expect(silent.current.p95).toBeNull();

    // Without spec.slo only the platform-wide drift objective is judged;
    // the warning alert of its selector still counts.
    const noSlo = await health(app, 'no-slo');
    expect(noSlo.objectives.map(o => o.name)).toEqual(['driftScore']);
    expect(noSlo.verdict).toBe('degraded');
    expect(noSlo.reason).toBe('alert ModelLatencyHigh (warning) firing');
  });

  it('says when Prometheus is not configured and judges without a down Alertmanager', async () => {
    const entity = ENTITIES.find(e => e.metadata.name === 'degraded')!;
    const unconfigured = ModelHealthService.create({
      profiles: new Map(Object.entries(builtInMetricsProfiles)),
      logger: mockServices.logger.mock(),
    });
    const none = await unconfigured.getHealth(entity, parseHealthWindow('1h'));
    expect(none.verdict).toBe('unknown');
    expect(none.reason).toBe(
      'Prometheus is not configured: set ml.prometheus.url in app-config.yaml',
    );
    expect(none.prometheus.state).toBe('not-configured');
    expect(none.alertmanager.state).toBe('not-configured');

    const deadPort = await getFreePort();
    const withoutAlerts = ModelHealthService.create({
      prometheus: PrometheusClient.create({ url: prom.url }),
      alertmanager: AlertmanagerClient.create({
        url: `http://127.0.0.1:${deadPort}`,
      }),
      profiles: new Map(Object.entries(builtInMetricsProfiles)),
      logger: mockServices.logger.mock(),
    });
    const judged = await withoutAlerts.getHealth(
      entity,
      parseHealthWindow('1h'),
    );
    expect(judged.verdict).toBe('degraded');
    expect(judged.alertmanager).toEqual({
      state: 'unreachable',
      message: `Alertmanager at 127.0.0.1:${deadPort} did not answer: ECONNREFUSED`,
    });
  });

  it('answers 304 to a client that has the cached answer', async () => {
    const { app } = await makeApp();
    const first = await request(app).get('/models/default/healthy/health');
    expect(first.status).toBe(200);
    expect(first.headers.etag).toMatch(/^W\/"[0-9a-f]+-[\w-]+"$/);
    const again = await request(app)
      .get('/models/default/healthy/health')
      .set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
  });

  it('serves a stale answer while one refresh runs, and waits once it is too old', async () => {
    const { app, healthService } = await makeApp(undefined, 1000);
    const first = await health(app, 'healthy');
    await new Promise(r => setTimeout(r, 1300));
    // Expired but within one more TTL: the old answer, at once, plus one refresh.
    const stale = await health(app, 'healthy');
    expect(stale.checkedAt).toBe(first.checkedAt);
    expect(healthService.stats()).toMatchObject({
      evaluations: 2,
      staleHits: 1,
    });
    await new Promise(r => setTimeout(r, 200));
    const refreshed = await health(app, 'healthy');
    expect(refreshed.checkedAt > first.checkedAt).toBe(true);
    // Past expiry + TTL: nothing stale is served; the caller waits for Prometheus.
    await new Promise(r => setTimeout(r, 2300));
    const fresh = await health(app, 'healthy');
    expect(fresh.checkedAt > refreshed.checkedAt).toBe(true);
    expect(healthService.stats().evaluations).toBe(3);
  });

  it('refuses PromQL injection in the annotations without querying', async () => {
    const { app } = await makeApp();
    const before = await prometheusQueries(prom);
    const res = await request(app).get('/models/default/injection/health');
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(
      /^The mlplatform\.io\/metrics-selector annotation must be Prometheus label matchers/,
    );
    const alerts = await request(app).get(
      '/models/default/injection-alerts/health',
    );
    expect(alerts.status).toBe(400);
    expect(alerts.body.error.message).toMatch(/mlplatform\.io\/alert-selector/);
    expect(await prometheusQueries(prom)).toBe(before);
  });

  it('refuses an unknown metrics profile, listing the known ones', async () => {
    const { app } = await makeApp();
    const res = await request(app).get('/models/default/bad-profile/health');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe(
      'Unknown metrics profile "tensorflow-serving" in the mlplatform.io/metrics-profile annotation; known profiles: kserve, openmetrics, tei, triton, vllm',
    );
  });

  it.each([
    ['window=1m', /between 5m and 7d/],
    ['window=8d', /between 5m and 7d/],
    ['window=1h30m', /duration like 5m/],
    ['window=-1h', /duration like 5m/],
    ['window=1h&extra=1', /Unrecognized key/i],
    ['window=1h&window=2h', /window/],
  ])('refuses the query %s', async (query, message) => {
    const { app } = await makeApp();
    const res = await request(app).get(
      `/models/default/healthy/health?${query}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('accepts 5m and 7d windows, with 60 to 120 points', async () => {
    const { app } = await makeApp();
    const short = await health(app, 'healthy', '5m');
    expect(short.stepSeconds).toBe(5);
    const long = await health(app, 'healthy', '7d');
    expect(long.stepSeconds).toBe(7200);
    expect(long.series.latencyP95.length).toBeLessThanOrEqual(86);
  });

  it('answers 404 for a missing entity or one that is not a Model', async () => {
    const { app } = await makeApp();
    for (const path of [
      '/models/default/nope/health',
      '/models/default/not-a-model/health',
    ]) {
      const res = await request(app).get(path);
      expect(res.status).toBe(404);
      expect(res.body.error.name).toBe('NotFoundError');
    }
    const bad = await request(app).get('/models/default/a%20b/health');
    expect(bad.status).toBe(400);
  });

  it('accepts service credentials and refuses missing ones', async () => {
    const { app } = await makeApp();
    const service = await request(app)
      .get('/models/default/healthy/health')
      .set('Authorization', mockCredentials.service.header());
    expect(service.status).toBe(200);
    const anonymous = await request(app)
      .get('/models/default/healthy/health')
      .set('Authorization', mockCredentials.none.header());
    expect(anonymous.status).toBe(401);
  });

  it('costs one Prometheus query per panel for 200 concurrent requests', async () => {
    const { app, healthService } = await makeApp();
    const server = http.createServer(app);
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const before = await prometheusQueries(prom);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
      const bodies = await Promise.all(
        Array.from(
          { length: 200 },
          () =>
            new Promise<ModelHealthResponse>((resolve, reject) => {
              http
                .get(
                  `http://127.0.0.1:${port}/models/default/healthy/health?window=2h`,
                  { agent },
                  res => {
                    let text = '';
                    res.on('data', chunk => (text += chunk));
                    res.on('end', () =>
                      res.statusCode === 200
                        ? resolve(JSON.parse(text))
                        : reject(new Error(`${res.statusCode} ${text}`)),
                    );
                  },
                )
                .on('error', reject);
            }),
        ),
      );
      agent.destroy();
      // 8 openmetrics panels + availability, each one instant + one range query.
      expect((await prometheusQueries(prom)) - before).toBe(18);
      expect(new Set(bodies.map(b => b.checkedAt)).size).toBe(1);
      expect(bodies.every(b => b.verdict === 'healthy')).toBe(true);
      const stats = healthService.stats();
      expect(stats.evaluations).toBe(1);
      expect(stats.coalesced + stats.cacheHits + stats.staleHits).toBe(199);
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('answers unknown with the reason when Prometheus is killed, and keeps serving', async () => {
    // A Prometheus of its own, so killing it leaves the others' untouched.
    const doomed = await startPrometheus({
      backfill: openMetricsSeries(
        'model_requests_total',
        { namespace: 't', model: 'a', code: '200' },
        counter(95),
      ),
    });
    const { app, healthService } = await makeApp(doomed.url);
    expect((await health(app, 'healthy')).verdict).toBe('healthy');
    await doomed.stop();

    for (const window of ['2h', '2h', '3h']) {
      const body = await health(app, 'healthy', window);
      expect(body.verdict).toBe('unknown');
      expect(body.reason).toBe(
        `Prometheus at 127.0.0.1:${doomed.port} did not answer: ECONNREFUSED`,
      );
      expect(body.prometheus.state).toBe('unreachable');
      // Alertmanager is still read.
      expect(body.alertmanager.state).toBe('ok');
    }
    // Outage answers are not cached: each request tried Prometheus again.
    expect(healthService.stats().evaluations).toBe(4);
    const missing = await request(app).get('/models/default/nope/health');
    expect(missing.status).toBe(404);
  });
  it('recovers on the next request once Prometheus is back', async () => {
    const backfill = openMetricsSeries(
      'model_requests_total',
      { namespace: 't', model: 'a', code: '200' },
      counter(95),
    );
    const forwarder = await startForwarder();
    let first: PrometheusHandle | undefined = await startPrometheus({
      backfill,
    });
    let second: PrometheusHandle | undefined;
    try {
      await forwarder.route(first.port);
      const { app } = await makeApp(forwarder.url);
      expect((await health(app, 'healthy')).verdict).toBe('healthy');

      await first.stop();
      first = undefined;
      await forwarder.route(undefined);
      const down = await health(app, 'healthy', '2h');
      expect(down.verdict).toBe('unknown');
      expect(down.reason).toBe(
        `Prometheus at 127.0.0.1:${forwarder.port} did not answer: ECONNREFUSED`,
      );

      second = await startPrometheus({ backfill });
      await forwarder.route(second.port);
      const back = await health(app, 'healthy', '2h');
      expect(back.verdict).toBe('healthy');
      expect(back.prometheus.state).toBe('ok');
    } finally {
      await forwarder.route(undefined);
      await Promise.all([first?.stop(), second?.stop()]);
    }
  });
});
