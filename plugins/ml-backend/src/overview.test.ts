/*
 * GET /api/ml/overview through the whole plugin: the catalog (mock), a test
 * Kubernetes API server with Kueue, no Prometheus. Checks the wiring — the
 * health service, the quota service with queue positions, owner names — and
 * that a refresh costs one list per kind per cluster however many ask.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mlOverviewResponseSchema } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import request from 'supertest';
import { clusterASeed } from './__testUtils__/kubeSeeds';
import { mlPlugin } from './plugin';

jest.setTimeout(60_000);

const entities = [
  {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: {
      name: 'fraud-detector',
      namespace: 'default',
      title: 'Fraud detector',
    },
    spec: {
      owner: 'fraud-team',
      type: 'classification',
      lifecycle: 'production',
    },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name: 'fraud-team', namespace: 'default' },
    spec: {
      type: 'team',
      profile: { displayName: 'Fraud Squad' },
      children: [],
    },
  },
];

describe('GET /api/ml/overview (whole plugin)', () => {
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await startKubeApiServer({ seed: clusterASeed() });
  });
  afterAll(async () => {
    await kube?.stop();
  });

  it('answers from the health and quota services, with owner names and one list per kind', async () => {
    const { server } = await startTestBackend({
      features: [
        mlPlugin,
        catalogServiceMock.factory({ entities }),
        mockServices.rootConfig.factory({
          data: {
            ml: {
              kubernetes: {
                clusters: [
                  {
                    name: 'gpu-cluster-a',
                    url: kube.url,
                    token: kube.token,
                    caData: kube.caData,
                  },
                ],
              },
            },
          },
        }),
      ],
    });
    kube.resetRequests();
    const auth = { Authorization: mockCredentials.user.header() };
    const responses = await Promise.all(
      [1, 2, 3].map(() => request(server).get('/api/ml/overview').set(auth)),
    );
    for (const r of responses) expect(r.status).toBe(200);
    const body = mlOverviewResponseSchema.parse(responses[0].body);

    expect(body.models.items).toEqual([
      {
        entityRef: 'model:default/fraud-detector',
        title: 'Fraud detector',
        owner: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
        verdict: 'unknown',
        reason: expect.stringMatching(/metrics-selector|Prometheus/),
        firingAlerts: 0,
      },
    ]);
    const fraud = body.gpus.items.find(
      g => g.team?.ref === 'group:default/fraud-team',
    );
    // fraud-cq: 8 GPUs, all used; job-train-big waits for 2 × 2
    expect(fraud).toEqual({
      cluster: 'gpu-cluster-a',
      team: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
      hard: 8,
      used: 8,
      free: 0,
      pendingDemand: 4,
      pendingWorkloads: 1,
    });
    expect(body.gpus.clusters).toEqual([
      { name: 'gpu-cluster-a', available: true },
    ]);

    // three overviews at once share one quota refresh
    const lists: Record<string, number> = {};
    for (const r of kube.requests) {
      if (r.verb === 'list') {
        lists[r.resource!] = (lists[r.resource!] ?? 0) + 1;
      }
    }
    expect(Object.values(lists).every(n => n === 1)).toBe(true);
    expect(lists.workloads).toBe(1);
    expect(
      kube.requests.filter(r => r.subresource === 'pendingworkloads'),
    ).toHaveLength(1);
  });
});
