import { mockServices } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ModelHealthResponse,
  parseHealthWindow,
} from '@mlplatform/plugin-ml-common';
import type { MetricsProfile } from '@mlplatform/plugin-ml-node';
import {
  DEMO_MODELS,
  demoMetricsBackfill,
  describeIfBinary,
  PrometheusHandle,
  serverBinaries,
  startPrometheus,
} from '@mlplatform/test-services';
// The examples/ml reader of ml-common's tests, so both read the same entities.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  EXAMPLES_ML_DIR,
  readEntities,
} from '@mlplatform/plugin-ml-common/src/kinds/__testUtils__/entities';
import {
  CountingProxy,
  startCountingProxy,
} from '../../__testUtils__/countingProxy';
import type { ModelVerdict } from './evaluateHealth';
import { builtInMetricsProfiles } from './metricsProfiles';
import { ModelHealthService } from './ModelHealthService';
import { PrometheusClient } from './PrometheusClient';

jest.setTimeout(90_000);

const examples = readEntities(EXAMPLES_ML_DIR);

/**
 * A module's profile whose drift template answers a scalar, which
 * `label_replace` refuses: the batch of that panel fails, and each model is
 * asked alone, as without batching.
 */
const scalarDrift: MetricsProfile = {
  name: 'scalar-drift',
  description: 'throughput, and drift as a scalar',
  queries: {
    throughput: 'sum(rate(model_requests_total{{{selector}}}[{{window}}]))',
    drift: 'scalar(max(model_drift_score{{{selector}}}))',
  },
};

function model(
  name: string,
  annotations: Record<string, string>,
  slo: object = { latencyP95Ms: 200, errorRate: 0.01 },
): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'classifier', owner: 'team-a', slo },
  };
}

/** The demo models as in examples/ml, a fleet with no series, and odd ones. */
const fleet: Entity[] = [
  ...DEMO_MODELS.map(
    d =>
      examples.find(
        e => e.kind === 'Model' && stringifyEntityRef(e) === d.entityRef,
      )!,
  ),
  ...Array.from({ length: 40 }, (_, i) =>
    model(`quiet-${i}`, {
      'mlplatform.io/metrics-selector': `namespace="team-${i}", model="quiet-${i}"`,
    }),
  ),
  // regex and negative matchers: its part of the batch is its own query
  model('regex', {
    'mlplatform.io/metrics-selector': 'namespace=~"fraud|nlp", model!="none"',
  }),
  model('scalar-fraud', {
    'mlplatform.io/metrics-selector':
      'namespace="fraud", model="fraud-detector"',
    'mlplatform.io/metrics-profile': 'scalar-drift',
  }),
  model('scalar-quiet', {
    'mlplatform.io/metrics-selector': 'namespace="none", model="none"',
    'mlplatform.io/metrics-profile': 'scalar-drift',
  }),
  model('unconfigured', {}),
  model('bad-selector', {
    'mlplatform.io/metrics-selector': 'model="a"}) or vector(1)',
  }),
];

/** What the verdict is made of, without the instant of the query. */
function verdictEssence(h: PromiseSettledResult<ModelVerdict>) {
  if (h.status === 'rejected') return { error: (h.reason as Error).message };
  const v = h.value;
  return {
    verdict: v.verdict,
    // reasons quote values to 4 digits, which move with the window
    reason: v.reason?.replace(/\d+(\.\d+)?/g, 'N'),
    objectives: v.objectives.map(o => [o.name, o.status]),
    current: Object.fromEntries(
      Object.entries(v.current).map(([k, x]) => [
        k,
        x === null ? null : Number(x.toPrecision(2)),
      ]),
    ),
    alerts: v.alerts,
  };
}

/** What a Model page shows, without the instant of the query. */
function essence(h: PromiseSettledResult<ModelHealthResponse>) {
  if (h.status === 'rejected') return { error: (h.reason as Error).message };
  const v = h.value;
  return {
    verdict: v.verdict,
    // reasons quote values to 4 digits, which move with the window
    reason: v.reason?.replace(/\d+(\.\d+)?/g, 'N'),
    objectives: v.objectives.map(o => [o.name, o.status]),
    current: Object.fromEntries(
      Object.entries(v.current).map(([k, x]) => [
        k,
        x === null ? null : Number(x.toPrecision(2)),
      ]),
    ),
    charted: Object.entries(v.series)
      .filter(([, points]) => points.some(p => p.v !== null))
      .map(([panel]) => panel),
    panelErrors: v.panelErrors,
    prometheus: v.prometheus,
    alertmanager: v.alertmanager,
  };
}

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'ModelHealthService.getHealthMany against real Prometheus',
  () => {
    const anchor = Math.floor(Date.now() / 1000) - 5;
    const profiles = new Map(
      Object.entries({
        ...builtInMetricsProfiles,
        'scalar-drift': scalarDrift,
      }),
    );
    let prom: PrometheusHandle;
    let proxy: CountingProxy;

    /** With `cacheTtlMs`, the client's own query cache is off: every query asked shows. */
    const service = (url: string, cacheTtlMs?: number) =>
      ModelHealthService.create({
        prometheus: PrometheusClient.create({
          url,
          ...(cacheTtlMs ? { cacheTtlMs: 0 } : {}),
        }),
        profiles,
        logger: mockServices.logger.mock(),
        ...(cacheTtlMs ? { cacheTtlMs } : {}),
      });
    /** The configured models of `models`, and how many panels each charts. */
    const panelsOf = (models: Entity[]) =>
      models
        .filter(e =>
          /^[a-z_]+=/.test(
            e.metadata.annotations?.['mlplatform.io/metrics-selector'] ?? '',
          ),
        )
        .map(
          e =>
            Object.keys(
              profiles.get(
                e.metadata.annotations?.['mlplatform.io/metrics-profile'] ??
                  'openmetrics',
              )!.queries,
            ).length + 1, // + availability
        )
        .reduce((a, b) => a + b, 0);

    beforeAll(async () => {
      prom = await startPrometheus({
        backfill: demoMetricsBackfill({ now: anchor, hours: 2 }),
      });
      proxy = await startCountingProxy(prom.url);
    }, 90_000);

    afterAll(async () => {
      await Promise.all([prom?.stop(), proxy?.stop()]);
    });

    it('asks each panel once for the whole fleet, no chart series, and judges every model as alone', async () => {
      const window = parseHealthWindow('1h');
      const batched = service(proxy.url);
      const alone = service(prom.url);
      proxy.requests.length = 0;
      const [many, each] = await Promise.all([
        Promise.allSettled(batched.getHealthMany(fleet, window)),
        Promise.allSettled(fleet.map(e => alone.getHealth(e, window))),
      ]);

      expect(many.map(verdictEssence)).toEqual(each.map(verdictEssence));
      // the fleet is judged on real data, not only "unknown"
      const verdicts = many.map(h =>
        h.status === 'fulfilled' ? h.value.verdict : 'error',
      );
      expect(verdicts.slice(0, DEMO_MODELS.length)).toEqual(
        DEMO_MODELS.map(d => d.objectivesVerdict),
      );
      expect(verdicts.filter(v => v === 'unknown').length).toBeGreaterThan(40);
      expect(
        many.find(
          (_, i) => fleet[i].metadata.name === 'scalar-fraud',
        ) as PromiseFulfilledResult<ModelVerdict>,
      ).toMatchObject({ value: { current: { drift: expect.any(Number) } } });

      // One instant query per panel template, plus the scalar panel's batch
      // that Prometheus refused, asked per model; no range query at all.
      const used = new Set(
        fleet
          .filter(e =>
            /^[a-z_]+=/.test(
              e.metadata.annotations?.['mlplatform.io/metrics-selector'] ?? '',
            ),
          )
          .filter(e => !e.metadata.name.startsWith('bad'))
          .map(
            e =>
              e.metadata.annotations?.['mlplatform.io/metrics-profile'] ??
              'openmetrics',
          ),
      );
      const templates = new Set(
        [...used].flatMap(p => Object.values(profiles.get(p)!.queries)),
      );
      const panels = templates.size + 1; // + availability, the same for all
      expect(proxy.count('/api/v1/query')).toBe(panels + 2);
      expect(proxy.count('/api/v1/query_range')).toBe(0);
      // the fleet alone would have cost one query per model and panel
      expect(alone.stats().evaluations).toBe(fleet.length - 2);
      expect(batched.stats().evaluations).toBe(fleet.length - 2);
      expect(batched.stats().charts).toBe(0);

      // Each Model page then shows what it shows alone, charts included:
      // its verdict from the cache, its series asked for it alone.
      proxy.requests.length = 0;
      const pages = await Promise.allSettled(
        fleet.map(e => batched.getHealth(e, window)),
      );
      expect(pages.map(essence)).toEqual(each.map(essence));
      expect(
        pages.filter(
          p =>
            p.status === 'fulfilled' &&
            Object.values(p.value.series).some(points => points.length),
        ).length,
      ).toBeGreaterThanOrEqual(DEMO_MODELS.length);
      // one range query per panel of each page; scalar-fraud's throughput
      // is fraud-detector's, the same query, asked once
      expect(proxy.count('/api/v1/query')).toBe(0);
      const ranges = proxy.requests.map(r =>
        new URLSearchParams(r.body).get('query'),
      );
      expect(new Set(ranges).size).toBe(ranges.length);
      expect(ranges.length).toBe(
        panelsOf(fleet.filter(e => !e.metadata.name.startsWith('bad'))) - 1,
      );
      expect(batched.stats().evaluations).toBe(fleet.length - 2);
      expect(batched.stats().charts).toBe(fleet.length - 2);
    });

    it('answers from its cache what it evaluated, for the Model pages too', async () => {
      const window = parseHealthWindow('1h');
      const health = service(proxy.url);
      const configured = fleet.slice(0, DEMO_MODELS.length + 40);
      await Promise.all(health.getHealthMany(configured, window));
      proxy.requests.length = 0;
      const again = await Promise.all(health.getHealthMany(configured, window));
      expect(proxy.requests).toHaveLength(0);

      // the first view of a page asks its series, once for every viewer
      const pages = await Promise.all(
        [1, 2, 3].map(() => health.getHealth(configured[0], window)),
      );
      expect(pages[1]).toBe(pages[0]);
      expect(pages[2]).toBe(pages[0]);
      expect(pages[0]).toMatchObject(again[0]);
      expect(proxy.count('/api/v1/query')).toBe(0);
      expect(proxy.count('/api/v1/query_range')).toBe(
        panelsOf([configured[0]]),
      );
      expect(await health.getHealth(configured[0], window)).toBe(pages[0]);
      expect(proxy.count('/api/v1/query_range')).toBe(
        panelsOf([configured[0]]),
      );
    });

    it("refreshes a viewed model's series with its verdict, so its page stays warm", async () => {
      const window = parseHealthWindow('1h');
      const ttl = 500;
      const health = service(proxy.url, ttl);
      const models = fleet.slice(0, DEMO_MODELS.length);
      /** Lets the verdicts go stale, then waits for the overview's refresh. */
      const refresh = async () => {
        await new Promise(resolve => setTimeout(resolve, ttl + 50));
        proxy.requests.length = 0;
        const stale = await Promise.all(health.getHealthMany(models, window));
        let refreshed = stale;
        for (
          let i = 0;
          i < 100 &&
          refreshed.some((r, k) => r.checkedAt === stale[k].checkedAt);
          i++
        ) {
          await new Promise(resolve => setTimeout(resolve, 20));
          refreshed = await Promise.all(health.getHealthMany(models, window));
        }
        return refreshed;
      };
      await Promise.all(health.getHealthMany(models, window));
      const viewed = await health.getHealth(models[0], window);

      const refreshed = await refresh();
      // series of the viewed model only
      expect(proxy.count('/api/v1/query_range')).toBe(panelsOf([models[0]]));
      const before = proxy.requests.length;
      const page = await health.getHealth(models[0], window);
      expect(proxy.requests.length).toBe(before);
      expect(page).not.toBe(viewed);
      expect(page.checkedAt).toBe(refreshed[0].checkedAt);
      expect(Object.values(page.series).some(p => p.length)).toBe(true);

      // viewed again, so charted again; then no longer viewed, not charted
      await refresh();
      expect(proxy.count('/api/v1/query_range')).toBe(panelsOf([models[0]]));
      await refresh();
      expect(proxy.count('/api/v1/query_range')).toBe(0);
      expect(proxy.count('/api/v1/query')).toBeGreaterThan(0);
    });

    it('judges one model without its series (MCP tool, serving revisions): instant queries only, the verdict of its page', async () => {
      const window = parseHealthWindow('1h');
      const first = fleet[0];
      const health = service(proxy.url);
      proxy.requests.length = 0;
      const verdict = await health.getVerdict(first, window);
      expect(proxy.count('/api/v1/query_range')).toBe(0);
      expect(proxy.count('/api/v1/query')).toBe(panelsOf([first]));
      expect(verdict).not.toHaveProperty('series');
      expect(verdict.verdict).toBe(DEMO_MODELS[0].objectivesVerdict);
      const page = await service(prom.url).getHealth(first, window);
      expect(verdictEssence({ status: 'fulfilled', value: verdict })).toEqual(
        verdictEssence({ status: 'fulfilled', value: page }),
      );
    });

    it('tells every model of the batch that Prometheus did not answer', async () => {
      const health = service(proxy.url);
      proxy.shut(true);
      try {
        const answers = await Promise.all(
          health.getHealthMany(fleet.slice(0, 10), parseHealthWindow('1h')),
        );
        expect(new Set(answers.map(a => a.prometheus.state))).toEqual(
          new Set(['unreachable']),
        );
        expect(answers[9].reason).toMatch(/^Prometheus at .* did not answer/);
      } finally {
        proxy.shut(false);
      }
    });
  },
);
