/*
 * The ML overview's model verdicts through the whole plugin, against a real
 * Prometheus with the demo models' series behind a counting proxy: the
 * overview's verdict refresh sends instant queries only (no chart series),
 * and a Model page then shows the same verdict with its charts, asking the
 * range queries of that model alone.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  mlOverviewResponseSchema,
  MlOverviewResponse,
  ModelHealthResponse,
} from '@mlplatform/plugin-ml-common';
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
import request from 'supertest';
import {
  CountingProxy,
  startCountingProxy,
} from './__testUtils__/countingProxy';
import { mlPlugin } from './plugin';

jest.setTimeout(120_000);

const examples = readEntities(EXAMPLES_ML_DIR);
const demoModels = DEMO_MODELS.map(
  d =>
    examples.find(
      e => e.kind === 'Model' && stringifyEntityRef(e) === d.entityRef,
    )!,
);
/** Models of other teams, each with its own selector and no series. */
const quietModels: Entity[] = Array.from({ length: 30 }, (_, i) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: {
    name: `quiet-${i}`,
    namespace: 'default',
    annotations: {
      'mlplatform.io/metrics-selector': `namespace="team-${i}", model="quiet-${i}"`,
    },
  },
  spec: {
    type: 'classifier',
    owner: 'team-a',
    lifecycle: 'production',
    slo: { latencyP95Ms: 200 },
  },
}));

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'GET /api/ml/overview: model verdicts without chart series',
  () => {
    let prometheus: PrometheusHandle;
    let proxy: CountingProxy;

    beforeAll(async () => {
      prometheus = await startPrometheus({
        backfill: demoMetricsBackfill({
          now: Math.floor(Date.now() / 1000) - 5,
          hours: 2,
        }),
      });
      proxy = await startCountingProxy(prometheus.url);
    });

    afterAll(async () => {
      await Promise.all([prometheus?.stop(), proxy?.stop()]);
    });

    it('judges the fleet with instant queries only; a Model page adds its own charts', async () => {
      const { server } = await startTestBackend({
        features: [
          mlPlugin,
          catalogServiceMock.factory({
            entities: [...demoModels, ...quietModels],
          }),
          mockServices.rootConfig.factory({
            data: { ml: { prometheus: { url: proxy.url } } },
          }),
        ],
      });
      const auth = { Authorization: mockCredentials.user.header() };
      const overview = async (): Promise<MlOverviewResponse> => {
        const res = await request(server).get('/api/ml/overview').set(auth);
        expect(res.status).toBe(200);
        return mlOverviewResponseSchema.parse(res.body);
      };

      proxy.requests.length = 0;
      let body = await overview();
      for (let i = 0; i < 100 && body.models.evaluating > 0; i++) {
        await new Promise(resolve => setTimeout(resolve, 100));
        body = await overview();
      }
      expect(body.models.evaluating).toBe(0);
      expect(body.models.total).toBe(demoModels.length + quietModels.length);
      const rows = new Map(body.models.items.map(m => [m.entityRef, m]));
      for (const d of DEMO_MODELS) {
        expect(rows.get(d.entityRef)?.verdict).toBe(d.objectivesVerdict);
      }
      expect(body.models.byVerdict.unknown).toBe(quietModels.length);

      // the verdicts came from instant queries only
      const instant = proxy.count('/api/v1/query');
      expect(instant).toBeGreaterThan(0);
      expect(proxy.count('/api/v1/query_range')).toBe(0);

      // A Model page: the overview's verdict, with charts from range
      // queries for that model only.
      const fraud = DEMO_MODELS.find(d =>
        d.entityRef.endsWith('/fraud-detector'),
      )!;
      const page = await request(server)
        .get('/api/ml/models/default/fraud-detector/health')
        .set(auth);
      expect(page.status).toBe(200);
      const health = page.body as ModelHealthResponse;
      expect(health.verdict).toBe(rows.get(fraud.entityRef)!.verdict);
      expect(health.reason).toBe(rows.get(fraud.entityRef)!.reason);
      expect(
        Object.values(health.series).filter(p => p.some(x => x.v !== null))
          .length,
      ).toBeGreaterThan(3);
      const ranges = proxy.requests.filter(
        r => r.path === '/api/v1/query_range',
      );
      expect(ranges.length).toBeGreaterThan(3);
      for (const r of ranges) {
        expect(new URLSearchParams(r.body).get('query')).toContain(
          'model="fraud-detector"',
        );
      }
      expect(proxy.count('/api/v1/query')).toBe(instant);
    });
  },
);
