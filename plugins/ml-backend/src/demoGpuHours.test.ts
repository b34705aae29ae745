/*
 * The demo stack's GPU-hours and Kueue wait metrics: the demo exporter's
 * series (packages/test-services demoMetrics), backfilled into a real
 * Prometheus, answer GET /quotas/gpu-hours and the wait estimate's
 * Prometheus fallback for the demo clusters of examples/kube, so the demo's
 * GPU quota page shows them.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { GpuHoursResponse } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  demoMetricsBackfill,
  describeIfBinary,
  PrometheusHandle,
  serverBinaries,
  startPrometheus,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { asUser } from './__testUtils__/testUsers';
import { mlPlugin } from './plugin';

jest.setTimeout(120_000);

const EXAMPLES = path.resolve(__dirname, '../../../examples/kube');
const NOW = Math.floor(Date.now() / 1000);

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'demo GPU-hours and Kueue waits',
  () => {
    const kube: KubeApiServer[] = [];
    let prom: PrometheusHandle;
    let backend: Awaited<ReturnType<typeof startTestBackend>>;

    beforeAll(async () => {
      for (const name of ['gpu-cluster-a', 'gpu-cluster-b']) {
        kube.push(
          await startKubeApiServer({
            seed: loadManifests(
              fs.readFileSync(path.join(EXAMPLES, `${name}.yaml`), 'utf8'),
            ),
          }),
        );
      }
      prom = await startPrometheus({
        backfill: demoMetricsBackfill({ now: NOW, hours: 3 }),
      });
      backend = await startTestBackend({
        features: [
          mlPlugin,
          catalogServiceMock.factory({ entities: [] }),
          mockServices.rootConfig.factory({
            data: {
              ml: {
                prometheus: { url: prom.url },
                kubernetes: {
                  clusters: ['gpu-cluster-a', 'gpu-cluster-b'].map(
                    (name, i) => ({
                      name,
                      url: kube[i].url,
                      token: kube[i].token,
                      caData: kube[i].caData,
                    }),
                  ),
                },
              },
            },
          }),
        ],
      });
    });
    afterAll(async () => {
      await backend?.stop();
      await Promise.all([...kube.map(k => k.stop()), prom?.stop()]);
    });

    it('gives GPU-hours per team, cluster and GPU type for the demo pods', async () => {
      const res = await request(backend.server)
        .get('/api/ml/quotas/gpu-hours?days=1')
        .set(asUser('user:default/guest'));
      expect(res.status).toBe(200);
      const body: GpuHoursResponse = res.body;
      const types = new Set(body.rows.map(r => `${r.cluster}/${r.gpuType}`));
      expect(types).toEqual(
        new Set([
          'gpu-cluster-a/NVIDIA-A100-SXM4-80GB',
          'gpu-cluster-b/NVIDIA-H100-80GB-HBM3',
          'gpu-cluster-b/NVIDIA-A100-SXM4-40GB mig-1g.10gb',
        ]),
      );
      const nlp = body.rows.find(r => r.gpuType === 'NVIDIA-H100-80GB-HBM3')!;
      expect(nlp.team).toBe('group:default/nlp-team');
      // 8 H100s since midnight (at most the 3 backfilled hours)
      const hours = Math.min(3, (NOW % 86_400) / 3600);
      expect(Math.abs(nlp.gpuHours - 8 * hours)).toBeLessThan(8 * (5 / 60) * 2);
    });
  },
);
