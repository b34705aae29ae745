/*
 * The demo's Dataset on a PVC shows live facts: the examples/ml Dataset, the
 * examples/kube claim and the demo Prometheus series (demoMetricsBackfill),
 * loaded as the demo stack loads them.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  DEMO_VOLUMES,
  demoMetricsBackfill,
  PrometheusHandle,
  startPrometheus,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { mlPlugin } from './plugin';

const examples = path.resolve(__dirname, '../../../examples');
const read = (file: string) =>
  loadManifests(fs.readFileSync(path.join(examples, file), 'utf8'));

describe("the demo's PVC Dataset", () => {
  let kube: KubeApiServer;
  let prometheus: PrometheusHandle;
  let server: any;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    [kube, prometheus] = await Promise.all([
      startKubeApiServer({
        seed: read('kube/gpu-cluster-b.yaml'),
        crds: ['kueue', 'argo'],
      }),
      startPrometheus({ backfill: demoMetricsBackfill({ hours: 0.1 }) }),
    ]);
    const dataset = read('ml/nlp.yaml').find(
      e => (e as any).metadata.name === 'support-tickets-curated',
    );
    const backend = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: {
            ml: {
              prometheus: { url: prometheus.url },
              kubernetes: {
                clusters: [
                  {
                    name: 'gpu-cluster-b',
                    url: kube.url,
                    token: kube.token,
                    caData: kube.caData,
                  },
                ],
              },
            },
          },
        }),
        catalogServiceMock.factory({ entities: [dataset as any] }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  }, 60_000);
  afterAll(async () => {
    await stop?.();
    await Promise.all([kube?.stop(), prometheus?.stop()]);
  });

  it('shows the Bound claim and its used bytes', async () => {
    const res = await request(server)
      .get('/api/ml/datasets/default/support-tickets-curated/facts')
      .set({ Authorization: mockCredentials.user.header() });
    expect(res.status).toBe(200);
    expect(res.body.location).toBe(
      'pvc://gpu-cluster-b/nlp/support-tickets-curated',
    );
    expect(res.body.facts).toMatchObject({
      kind: 'pvc',
      phase: 'Bound',
      capacity: '50Gi',
      storageClass: 'cephfs',
    });
    const used = res.body.facts.usedBytes;
    expect(used).toBeGreaterThan(30 * 1024 ** 3);
    expect(used).toBeLessThan(DEMO_VOLUMES[0].capacityBytes);
  });
});
