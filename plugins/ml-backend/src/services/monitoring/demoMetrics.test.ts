import { mockServices } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  parseHealthWindow,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import {
  AlertmanagerHandle,
  DEMO_MODELS,
  demoAlertRules,
  demoMetricsBackfill,
  DemoMetricsServer,
  describeIfBinary,
  PrometheusHandle,
  serverBinaries,
  startAlertmanager,
  startDemoMetricsServer,
  startPrometheus,
} from '@mlplatform/test-services';
// The examples/ml reader of ml-common's tests, so both read the same entities.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  EXAMPLES_ML_DIR,
  readEntities,
} from '@mlplatform/plugin-ml-common/src/kinds/__testUtils__/entities';
import { AlertmanagerClient } from './AlertmanagerClient';
import { builtInMetricsProfiles } from './metricsProfiles';
import { ModelHealthService } from './ModelHealthService';
import { PrometheusClient } from './PrometheusClient';

jest.setTimeout(90_000);

const examples = readEntities(EXAMPLES_ML_DIR);

function exampleModel(ref: string): Entity {
  const entity = examples.find(
    e => e.kind === 'Model' && stringifyEntityRef(e) === ref,
  );
  if (!entity) throw new Error(`${ref} is not in examples/ml`);
  return entity;
}

describe('demo models', () => {
  it.each(DEMO_MODELS.map(m => [m.entityRef, m] as const))(
    'match the annotations of %s in examples/ml',
    (ref, demo) => {
      const annotations = exampleModel(ref).metadata.annotations!;
      const matchers = parseLabelMatchers(
        annotations['mlplatform.io/metrics-selector'],
      );
      expect(matchers.every(m => m.op === '=')).toBe(true);
      expect(Object.fromEntries(matchers.map(m => [m.name, m.value]))).toEqual(
        demo.selector,
      );
      expect(
        annotations['mlplatform.io/metrics-profile'] ?? 'openmetrics',
      ).toBe(demo.profile);
    },
  );

  it('cover every team and every verdict', () => {
    const owners = DEMO_MODELS.map(m => exampleModel(m.entityRef).spec!.owner);
    expect(new Set(owners).size).toBe(3);
    expect(DEMO_MODELS.map(m => m.expectedVerdict).sort()).toEqual([
      'degraded',
      'degraded',
      'failing',
      'healthy',
    ]);
  });

  it('refuses nonsense options', () => {
    expect(() => demoMetricsBackfill({ hours: 0 })).toThrow(RangeError);
    expect(() => demoMetricsBackfill({ stepSeconds: 1 })).toThrow(RangeError);
  });
});

describeIfBinary([
  serverBinaries.prometheus,
  serverBinaries.promtool,
  serverBinaries.alertmanager,
])('demo data in real Prometheus and Alertmanager', () => {
  const anchor = Math.floor(Date.now() / 1000) - 5;
  let prom: PrometheusHandle;
  let am: AlertmanagerHandle;
  let exporter: DemoMetricsServer;
  let service: ModelHealthService;

  beforeAll(async () => {
    [am, exporter] = await Promise.all([
      startAlertmanager(),
      startDemoMetricsServer({ anchor }),
    ]);
    prom = await startPrometheus({
      backfill: demoMetricsBackfill({ now: anchor, hours: 6 }),
      rules: demoAlertRules(),
      alertmanagerUrl: am.url,
      evaluationInterval: '1s',
      scrapeConfigs: exporter.scrapeConfigs.map(c => ({
        ...c,
        scrape_interval: '1s',
      })),
    });
    service = ModelHealthService.create({
      prometheus: PrometheusClient.create({ url: prom.url }),
      alertmanager: AlertmanagerClient.create({ url: am.url, cacheTtlMs: 0 }),
      profiles: new Map(Object.entries(builtInMetricsProfiles)),
      logger: mockServices.logger.mock(),
      cacheTtlMs: 0,
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), am?.stop(), exporter?.stop()]);
  });

  it.each(DEMO_MODELS.map(m => [m.entityRef, m] as const))(
    'gives %s its verdict with data on every panel',
    async (ref, demo) => {
      const health = await service.getHealth(
        exampleModel(ref),
        parseHealthWindow('1h'),
      );
      expect(health.profile).toBe(demo.profile);
      expect(health.current.p95).toBeCloseTo(demo.p95Seconds, 6);
      expect(health.current.errorRate).toBeCloseTo(demo.errorRate, 6);
      // vLLM has no drift series: null then, within 0.05 of the demo's otherwise.
      expect(
        demo.drift === null
          ? health.current.drift
          : Math.abs(health.current.drift! - demo.drift) < 0.05,
      ).toBe(demo.drift === null ? null : true);
      expect(health.current.availability).toBe(1);
      expect(health.current.gpuUtilization).toBeGreaterThan(39);
      expect(health.current.gpuUtilization).toBeLessThan(71);
      // One GPU of ~14000 MiB per serving pod (a canary's revision has its
      // own); the notebook GPU in the fraud namespace (39000 MiB) is left out.
      const gpus = demo.revisions?.length ?? 1;
      expect(health.current.gpuMemoryBytes).toBeLessThan(
        gpus * 15000 * 1048576,
      );
      expect(health.current.gpuMemoryBytes).toBeGreaterThan(
        gpus * 13000 * 1048576,
      );
      // Every panel of the profile has its chart; the others stay empty.
      const profile = builtInMetricsProfiles[demo.profile];
      for (const [panel, points] of Object.entries(health.series)) {
        const defined = panel === 'availability' || panel in profile.queries;
        expect([panel, points.filter(p => p.v !== null).length > 100]).toEqual([
          panel,
          defined,
        ]);
      }
      // Alertmanager may not have the demo rule's alert yet at this point.
      expect(health.verdict).toBe(
        health.alerts.length ? demo.expectedVerdict : demo.objectivesVerdict,
      );
    },
  );

  it('gives the LLM its vLLM panels and judges time to first token', async () => {
    const demo = DEMO_MODELS.find(m => m.profile === 'vllm')!;
    const llm = demo.llm!;
    const health = await service.getHealth(
      exampleModel(demo.entityRef),
      parseHealthWindow('1h'),
    );
    expect(health.current.ttftP95).toBeCloseTo(llm.ttftP95Seconds, 6);
    expect(health.current.tpotP95).toBeCloseTo(llm.tpotP95Seconds, 6);
    // The mean of a 20-minute wave over the hour, give or take the live
    // scrapes at 1 s after the backfill's 30 s steps.
    expect(health.current.kvCacheUsage).toBeCloseTo(llm.kvCacheUsage, 1);
    // 4 requests/s with a daily swing of +-30 %.
    expect(health.current.promptTokensPerSecond! / 4).toBeGreaterThan(
      llm.promptTokens * 0.7,
    );
    expect(health.current.promptTokensPerSecond! / 4).toBeLessThan(
      llm.promptTokens * 1.3,
    );
    expect(
      health.current.generationTokensPerSecond! /
        health.current.promptTokensPerSecond!,
    ).toBeCloseTo(llm.generationTokens / llm.promptTokens, 3);
    expect(health.current.requestsRunning).toBeGreaterThanOrEqual(8);
    expect(health.current.requestsWaiting).toBeGreaterThanOrEqual(0);
    expect(health.verdict).toBe('degraded');
    expect(health.reason).toBe(
      `ttftP95Ms ${Number(
        (llm.ttftP95Seconds * 1000).toPrecision(4),
      )} ms > 1000 ms`,
    );
    expect(
      Object.fromEntries(health.objectives.map(o => [o.name, o.status])),
    ).toEqual({
      latencyP95Ms: 'healthy',
      errorRate: 'healthy',
      availability: 'healthy',
      // The platform-wide drift objective; vLLM has no drift series.
      driftScore: 'unknown',
      ttftP95Ms: 'degraded',
      tpotP95Ms: 'healthy',
      kvCacheUsage: 'healthy',
    });
  });

  it('fires ModelDriftHigh into Alertmanager for the failing model only', async () => {
    const failing = DEMO_MODELS.find(m => m.expectedVerdict === 'failing')!;
    const deadline = Date.now() + 30_000;
    let health = await service.getHealth(
      exampleModel(failing.entityRef),
      parseHealthWindow('1h'),
    );
    while (health.alerts.length === 0 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      health = await service.getHealth(
        exampleModel(failing.entityRef),
        parseHealthWindow('1h'),
      );
    }
    expect(health.alerts).toEqual([
      expect.objectContaining({
        name: 'ModelDriftHigh',
        severity: 'critical',
        summary: 'Drift score of fraud-detector is 0.72, above 0.6',
        generatorURL: expect.stringContaining(prom.url),
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      }),
    ]);
    expect(health.verdict).toBe('failing');
    expect(health.reason).toBe(
      'driftScore 0.72 > 0.6; alert ModelDriftHigh (critical) firing',
    );

    for (const other of DEMO_MODELS.filter(m => m !== failing)) {
      const h = await service.getHealth(
        exampleModel(other.entityRef),
        parseHealthWindow('1h'),
      );
      expect(h.alerts).toEqual([]);
    }
  });

  it("serves the demo ClusterQueues' Kueue metrics for the Queue history", async () => {
    const value = async (q: string) => {
      const data = await prom.query(q);
      return data.resultType === 'vector' && data.result.length === 1
        ? Number(data.result[0].value[1])
        : undefined;
    };
    const sel = 'cluster="gpu-cluster-a", cluster_queue="recsys-cq"';
    const used = await value(
      `max(max_over_time(kueue_cluster_queue_resource_usage{${sel}, resource="nvidia.com/gpu"}[1h]))`,
    );
    const nominal = await value(
      `max(kueue_cluster_queue_nominal_quota{${sel}, resource="nvidia.com/gpu"})`,
    );
    expect(nominal).toBe(16);
    expect(used).toBeGreaterThan(8);
    expect(used).toBeLessThanOrEqual(16);
    // Six admissions an hour, a preemption every 90 minutes.
    const admitted = await value(
      `sum(increase(kueue_admitted_workloads_total{${sel}}[3h]))`,
    );
    expect(admitted).toBeGreaterThan(15);
    expect(admitted).toBeLessThan(21);
    const preempted = await value(
      `sum(increase(kueue_evicted_workloads_total{${sel}, reason="Preempted"}[3h]))`,
    );
    expect(preempted).toBeGreaterThan(1);
    expect(preempted).toBeLessThan(4);
  });

  it('keeps the demo live from the exporter after the backfill', async () => {
    const deadline = Date.now() + 20_000;
    let newest = 0;
    while (newest <= anchor && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      const data = await prom.query(
        'timestamp(model_drift_score{model="fraud-detector"})',
      );
      if (data.resultType === 'vector' && data.result[0]) {
        newest = Number(data.result[0].value[1]);
      }
    }
    expect(newest).toBeGreaterThan(anchor);
    const up = await prom.query('up{job="model-servers"}');
    expect(up.resultType === 'vector' && up.result[0]?.value[1]).toBe('1');
  });
});
