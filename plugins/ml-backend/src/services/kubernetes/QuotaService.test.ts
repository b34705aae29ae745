/*
 * QuotaService with Kueue's visibility API on the test API server: queue
 * positions on pending workloads (one GET per ClusterQueue with pending
 * workloads per refresh, cached with the rest), and the fallback to the
 * view without positions when the API is absent (404) or refused (403).
 */
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { ClusterService } from './ClusterService';
import { QuotaService } from './QuotaService';
import { clusterASeed, workload } from '../../__testUtils__/kubeSeeds';
import { testClusters } from '../../__testUtils__/testClusters';

const VISIBILITY = 'visibility.kueue.x-k8s.io';

describe('QuotaService queue positions', () => {
  let server: KubeApiServer;
  let clusters: ClusterService;

  beforeAll(async () => {
    const urgent = workload('v1beta2', 'fraud', 'job-urgent', 'fraud-queue', {
      count: 1,
      gpus: 4,
      admitted: false,
    });
    server = await startKubeApiServer({
      controllers: false,
      seed: [
        ...clusterASeed(),
        { ...urgent, spec: { ...urgent.spec, priority: 100 } },
      ],
    });
    clusters = testClusters({ a: server });
  });

  afterAll(async () => {
    clusters?.close();
    await server?.stop();
  });

  beforeEach(() => {
    server.setKueueVisibility('served');
    server.resetRequests();
  });

  const visibilityCalls = () =>
    server.requests.filter(r => r.group === VISIBILITY);

  it('puts each pending workload in its place, with one call per ClusterQueue, cached', async () => {
    const service = new QuotaService(clusters);
    const result = await service.getQuotas({ namespace: 'fraud' });
    expect(result.clusters[0]).toMatchObject({ queuePositions: 'available' });
    expect(result.clusters[0].notes).toBeUndefined();
    const [fraud] = result.quotas;
    expect(
      fraud.pending.map(p => [
        p.name,
        p.positionInClusterQueue,
        p.positionInLocalQueue,
      ]),
    ).toEqual([
      ['job-urgent', 0, 0],
      ['job-train-big', 1, 1],
    ]);
    expect(fraud.pending[1]).toMatchObject({
      clusterQueue: 'fraud-cq',
      kueueReason: 'Pending',
      explanation:
        "Waiting: the team's queue needs 4 more A100-80GB GPUs than are free; 1 workload is ahead of it",
    });
    // fraud-cq is the only ClusterQueue with pending workloads
    expect(visibilityCalls().map(r => r.path)).toEqual([
      `/apis/${VISIBILITY}/v1beta1/clusterqueues/fraud-cq/pendingworkloads`,
    ]);

    await service.getQuotas();
    expect(visibilityCalls()).toHaveLength(1);
  });

  it.each([
    ['absent', 'absent', /is not served on a\./],
    [
      'forbidden',
      'forbidden',
      /may not read Kueue's visibility API on a \(403\)/,
    ],
  ] as const)(
    'falls back to the view without positions when the API is %s, and says so',
    async (mode, state, note) => {
      server.setKueueVisibility(mode);
      const result = await new QuotaService(clusters).getQuotas({
        namespace: 'fraud',
      });
      expect(result.clusters[0]).toMatchObject({
        available: true,
        queuePositions: state,
        notes: [expect.stringMatching(note)],
      });
      const [fraud] = result.quotas;
      expect(fraud.pending.map(p => p.name).sort()).toEqual([
        'job-train-big',
        'job-urgent',
      ]);
      expect(fraud.pending[0].positionInClusterQueue).toBeUndefined();
      expect(
        fraud.pending.find(p => p.name === 'job-train-big')!.explanation,
      ).toBe(
        "Waiting: the team's queue needs 4 more A100-80GB GPUs than are free",
      );
    },
  );
});
