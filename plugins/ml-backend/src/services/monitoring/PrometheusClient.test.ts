import http from 'node:http';
import {
  describeIfBinary,
  openMetricsSeries,
  PrometheusHandle,
  serverBinaries,
  startPrometheus,
} from '@mlplatform/test-services';
import { PrometheusClient, PrometheusQueryError } from './PrometheusClient';
import { builtInMetricsProfiles, renderQuery } from './metricsProfiles';

// Per-minute increments of each cumulative bucket of
// model_request_duration_seconds for model "m1": of 100 requests a minute,
// 10 take <= 0.1 s, 30 <= 0.25 s, 80 <= 0.5 s and all 100 <= 1 s.
const BUCKETS: Array<[le: string, perMinute: number]> = [
  ['0.1', 10],
  ['0.25', 30],
  ['0.5', 80],
  ['1', 100],
  ['+Inf', 100],
];

// histogram_quantile: find the bucket holding rank q * total, then linear
// interpolation between its bounds. The rates share one scale factor, so the
// per-minute counts give the same result.
function expectedQuantile(q: number): number {
  const total = BUCKETS[BUCKETS.length - 1][1];
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of BUCKETS) {
    const upper = Number(le);
    if (count >= rank) {
      return lower + ((upper - lower) * (rank - below)) / (count - below);
    }
    lower = upper;
    below = count;
  }
  throw new Error('rank beyond the last finite bucket');
}

function firstValue(data: { resultType: string; result: unknown }): number {
  if (data.resultType !== 'vector') throw new Error(data.resultType);
  const result = data.result as Array<{ value: [number, string] }>;
  expect(result).toHaveLength(1);
  return Number(result[0].value[1]);
}

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'PrometheusClient against real Prometheus',
  () => {
    // One sample a minute for 30 minutes, the last 20 s ago: inside the
    // 5 minute lookback of instant queries.
    const last = Math.floor(Date.now() / 1000) - 20;
    const minutes = Array.from({ length: 31 }, (_, i) => i);
    const at = (i: number) => last - (30 - i) * 60;
    const counter = (perMinute: number) =>
      minutes.map(i => [at(i), i * perMinute] as [number, number]);
    let prom: PrometheusHandle;

    beforeAll(async () => {
      const series = [
        ...BUCKETS.map(([le, perMinute]) =>
          openMetricsSeries(
            'model_request_duration_seconds_bucket',
            { model: 'm1', le },
            counter(perMinute),
          ),
        ),
        openMetricsSeries(
          'model_requests_total',
          { model: 'm1', code: '200' },
          counter(95),
        ),
        openMetricsSeries(
          'model_requests_total',
          { model: 'm1', code: '500' },
          counter(5),
        ),
        openMetricsSeries(
          'model_drift_score',
          { model: 'm1' },
          minutes.map(i => [at(i), 0.42]),
        ),
        // Another model, all slow and failing: the selector has to matter.
        ...BUCKETS.map(([le]) =>
          openMetricsSeries(
            'model_request_duration_seconds_bucket',
            { model: 'm2', le },
            counter(le === '+Inf' ? 50 : 0),
          ),
        ),
        openMetricsSeries(
          'model_requests_total',
          { model: 'm2', code: '503' },
          counter(50),
        ),
      ];
      prom = await startPrometheus({ backfill: series.join('') });
    }, 60000);

    afterAll(() => prom?.stop());

    const profile = builtInMetricsProfiles.openmetrics;
    const render = (panel: keyof typeof profile.queries) =>
      renderQuery(profile.queries[panel]!, {
        matchers: 'model="m1"',
        window: '5m',
      });

    it('returns the exact quantiles, error rate and drift of the backfill', async () => {
      const client = PrometheusClient.create({ url: prom.url });
      expect(expectedQuantile(0.95)).toBeCloseTo(0.875, 10);
      const [p50, p95, p99, errorRate, drift, throughput] = await Promise.all(
        (
          [
            'latencyP50',
            'latencyP95',
            'latencyP99',
            'errorRate',
            'drift',
            'throughput',
          ] as const
        ).map(async panel =>
          firstValue(await client.query(render(panel), last)),
        ),
      );
      expect(p50).toBeCloseTo(expectedQuantile(0.5), 9);
      expect(p95).toBeCloseTo(0.875, 9);
      expect(p99).toBeCloseTo(expectedQuantile(0.99), 9);
      expect(errorRate).toBeCloseTo(0.05, 9);
      expect(drift).toBeCloseTo(0.42, 9);
      // 100 requests a minute; rate() extrapolation makes this approximate.
      expect(throughput).toBeGreaterThan(1.3);
      expect(throughput).toBeLessThan(2);
    });

    it('reports zero errors, not no data, when there are no 5xx series', async () => {
      const client = PrometheusClient.create({ url: prom.url });
      const query = renderQuery(profile.queries.errorRate!, {
        matchers: 'model="m1", code="200"',
        window: '5m',
      });
      expect(firstValue(await client.query(query, last))).toBe(0);
    });

    it('has every built-in template accepted by Prometheus', async () => {
      const client = PrometheusClient.create({ url: prom.url });
      for (const p of Object.values(builtInMetricsProfiles)) {
        for (const template of Object.values(p.queries)) {
          const query = renderQuery(template!, {
            matchers: 'model=~"m.*", namespace!="x"',
            window: '10m',
          });
          await expect(client.query(query, last)).resolves.toHaveProperty(
            'resultType',
          );
        }
      }
    });

    it('aligns range queries to the step and returns the series', async () => {
      const client = PrometheusClient.create({ url: prom.url });
      // Both calls' ends fall in the same 60 s step whatever time it is.
      const stepEnd = Math.floor(last / 60) * 60 - 60;
      const stepStart = Math.ceil(at(0) / 60) * 60;
      const range = await client.queryRange(
        'model_drift_score{model="m1"}',
        stepStart + 7,
        stepEnd + 5,
        60,
      );
      expect(range.resultType).toBe('matrix');
      expect(range.result).toHaveLength(1);
      const times = range.result[0].values.map(([t]) => t);
      expect(times.length).toBeGreaterThan(25);
      expect(times.every(t => t % 60 === 0)).toBe(true);
      expect(range.result[0].values.every(([, v]) => v === '0.42')).toBe(true);
      // A caller a few seconds later in the same step shares the entry.
      await client.queryRange(
        'model_drift_score{model="m1"}',
        stepStart + 9,
        stepEnd + 7,
        60,
      );
      expect(client.stats()).toEqual({
        requests: 1,
        cacheHits: 1,
        coalesced: 0,
      });
    });

    it('coalesces 200 identical concurrent queries into one request, then caches until the TTL', async () => {
      const client = PrometheusClient.create({
        url: prom.url,
        // Long enough that a loaded CI machine still hits the cache next.
        cacheTtlMs: 2000,
      });
      const query = render('latencyP95');
      const results = await Promise.all(
        Array.from({ length: 200 }, () => client.query(query, last)),
      );
      expect(client.stats()).toEqual({
        requests: 1,
        cacheHits: 0,
        coalesced: 199,
      });
      expect(new Set(results.map(r => firstValue(r))).size).toBe(1);

      await client.query(query, last);
      expect(client.stats().requests).toBe(1);
      expect(client.stats().cacheHits).toBe(1);

      await new Promise(resolve => setTimeout(resolve, 2100));
      await client.query(query, last);
      expect(client.stats().requests).toBe(2);

      // A different time is a different key.
      await client.query(query, last - 60);
      expect(client.stats().requests).toBe(3);
    });

    it('turns a Prometheus error into a clear error and does not cache it', async () => {
      const client = PrometheusClient.create({ url: prom.url });
      const failure = client.query('sum(rate(model_requests_total[5m]', last);
      await expect(failure).rejects.toThrow(
        /^Prometheus query failed \(bad_data, HTTP 400\): .*parse error/,
      );
      await expect(failure).rejects.toBeInstanceOf(PrometheusQueryError);
      await expect(failure).rejects.toMatchObject({
        errorType: 'bad_data',
        status: 400,
      });
      await expect(
        client.query('sum(rate(model_requests_total[5m]', last),
      ).rejects.toThrow(/bad_data/);
      expect(client.stats().requests).toBe(2);
    });

    it('sends the bearer token', async () => {
      // Prometheus ignores it; this checks the request still succeeds with
      // the header set and the trailing slash removed.
      const client = PrometheusClient.create({
        url: `${prom.url}/`,
        token: 'secret',
      });
      await expect(client.query('vector(1)', last)).resolves.toEqual({
        resultType: 'vector',
        result: [{ metric: {}, value: [last, '1'] }],
      });
    });
  },
);

describe('PrometheusClient without Prometheus', () => {
  it('reports an unreachable server clearly', async () => {
    const unreachable = PrometheusClient.create({ url: 'http://127.0.0.1:1' });
    await expect(unreachable.query('up')).rejects.toMatchObject({
      errorType: 'network',
      message: expect.stringMatching(/unreachable/),
    });
  });

  it('gives up after timeoutMs', async () => {
    const server = http.createServer(() => {
      // Never answers.
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const client = PrometheusClient.create({
        url: `http://127.0.0.1:${port}`,
        timeoutMs: 200,
      });
      await expect(client.query('up')).rejects.toMatchObject({
        errorType: 'timeout',
        message: expect.stringMatching(/did not answer within 200 ms/),
      });
    } finally {
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('refuses an answer that is not a Prometheus result', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'success', data: { hello: 1 } }));
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const client = PrometheusClient.create({
        url: `http://127.0.0.1:${port}`,
      });
      await expect(client.query('up')).rejects.toMatchObject({
        errorType: 'bad_response',
      });
      await expect(client.queryRange('up', 0, 60, 15)).rejects.toMatchObject({
        errorType: 'bad_response',
      });
    } finally {
      await new Promise(resolve => server.close(resolve));
    }
  });

  it('rejects a non-positive step', async () => {
    const client = PrometheusClient.create({ url: 'http://127.0.0.1:1' });
    await expect(client.queryRange('up', 0, 60, 0)).rejects.toThrow(/step/);
    expect(client.stats().requests).toBe(0);
  });
});
