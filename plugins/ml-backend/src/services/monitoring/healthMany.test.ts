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

    const service = (url: string) =>
      ModelHealthService.create({
        prometheus: PrometheusClient.create({ url }),
        profiles,
        logger: mockServices.logger.mock(),
      });

    beforeAll(async () => {
      prom = await startPrometheus({
        backfill: demoMetricsBackfill({ now: anchor, hours: 2 }),
      });
      proxy = await startCountingProxy(prom.url);
    }, 90_000);

    afterAll(async () => {
      await Promise.all([prom?.stop(), proxy?.stop()]);
    });

    it('asks each panel once for the whole fleet, and judges every model as alone', async () => {
      const window = parseHealthWindow('1h');
      const batched = service(proxy.url);
      const alone = service(prom.url);
      proxy.requests.length = 0;
      const [many, each] = await Promise.all([
        Promise.allSettled(batched.getHealthMany(fleet, window)),
        Promise.allSettled(fleet.map(e => alone.getHealth(e, window))),
      ]);

      expect(many.map(essence)).toEqual(each.map(essence));
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
        ) as PromiseFulfilledResult<ModelHealthResponse>,
      ).toMatchObject({ value: { current: { drift: expect.any(Number) } } });

      // One query per panel template (instant and chart series each), plus
      // the scalar panel's batch that Prometheus refused, asked per model.
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
      const count = (path: string) =>
        proxy.requests.filter(r => r.path === path).length;
      expect(count('/api/v1/query')).toBe(panels + 2);
      expect(count('/api/v1/query_range')).toBe(panels + 2);
      // the fleet alone would have cost one query per model and panel
      expect(alone.stats().evaluations).toBe(fleet.length - 2);
      expect(batched.stats().evaluations).toBe(fleet.length - 2);
    });

    it('answers from its cache what it evaluated, for the Model pages too', async () => {
      const window = parseHealthWindow('1h');
      const health = service(proxy.url);
      const configured = fleet.slice(0, DEMO_MODELS.length + 40);
      await Promise.all(health.getHealthMany(configured, window));
      proxy.requests.length = 0;
      const again = await Promise.all(health.getHealthMany(configured, window));
      const page = await health.getHealth(configured[0], window);
      expect(proxy.requests).toHaveLength(0);
      expect(page).toBe(again[0]);
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
