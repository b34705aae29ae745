import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  GpuQuotasResponse,
  PipelineRun,
  mlOverviewResponseSchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import request from 'supertest';
import { OverviewService } from '../services/overview/OverviewService';
import { createOverviewRouter } from './overview';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const hoursAgo = (h: number) => new Date(NOW - h * 3600_000).toISOString();

const model = (name: string, owner: string, title?: string): Entity => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: 'default', ...(title ? { title } : {}) },
  spec: { owner, type: 'classification', lifecycle: 'production' },
});
const pipeline = (name: string, owner: string): Entity => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Pipeline',
  metadata: { name, namespace: 'default' },
  spec: { owner, orchestrator: { type: 'argo', id: name } },
});
const group = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name, namespace: 'default' },
  spec: { type: 'team', profile: { displayName }, children: [] },
});

const entities = [
  model('fraud-detector', 'fraud-team', 'Fraud detector'),
  model('churn', 'group:default/growth'),
  model('ranker', 'fraud-team'),
  model('unconfigured', 'growth'),
  pipeline('fraud-training', 'fraud-team'),
  pipeline('churn-training', 'growth'),
  pipeline('broken', 'growth'),
  group('fraud-team', 'Fraud Squad'),
  group('growth', 'Growth'),
];

const HEALTH: Record<string, any> = {
  'model:default/fraud-detector': {
    verdict: 'failing',
    reason: 'p95 latency 480 ms, objective 200 ms',
    alerts: [
      {
        name: 'ModelDriftHigh',
        severity: 'critical',
        summary: 'Drift above 0.3',
        startsAt: hoursAgo(2),
      },
    ],
  },
  'model:default/churn': { verdict: 'healthy', alerts: [] },
  'model:default/ranker': {
    verdict: 'degraded',
    reason: 'accuracy 0.91, objective 0.93',
    alerts: [],
  },
};

const RUNS: Record<string, PipelineRun[]> = {
  'pipeline:default/fraud-training': [
    {
      id: 'ft-3',
      status: 'failed',
      rawStatus: 'Failed',
      message: 'OOMKilled',
      finishedAt: hoursAgo(3),
      trigger: { type: 'manual' },
      parameters: {},
    } as PipelineRun,
    {
      id: 'ft-1',
      status: 'failed',
      finishedAt: hoursAgo(30),
      trigger: { type: 'manual' },
      parameters: {},
    } as PipelineRun,
  ],
  'pipeline:default/churn-training': [
    {
      id: 'ct-9',
      status: 'running',
      startedAt: hoursAgo(8),
      trigger: { type: 'schedule' },
      parameters: {},
    } as PipelineRun,
    {
      id: 'ct-8',
      status: 'succeeded',
      finishedAt: hoursAgo(20),
      trigger: { type: 'schedule' },
      parameters: {},
    } as PipelineRun,
  ],
};

const QUOTAS: GpuQuotasResponse = {
  clusters: [
    { name: 'a', available: true, queuePositions: 'available' },
    { name: 'b', available: false, error: 'connect ECONNREFUSED' },
  ],
  quotas: [
    {
      cluster: 'a',
      namespace: 'fraud',
      team: 'group:default/fraud-team',
      source: 'kueue',
      name: 'fraud-cq',
      clusterQueue: 'fraud-cq',
      localQueue: 'fraud-queue',
      resources: [
        {
          resource: 'nvidia.com/gpu',
          flavor: 'a100',
          hard: 8,
          used: 6,
          free: 2,
          borrowable: 0,
        },
      ],
      pending: [
        {
          kind: 'Workload',
          name: 'big',
          namespace: 'fraud',
          gpus: { 'nvidia.com/gpu': 4 },
          reason: 'QuotaReserved=False',
          message: '…',
        },
      ],
    },
    {
      cluster: 'a',
      namespace: 'growth',
      team: 'group:default/growth',
      source: 'resourcequota',
      name: 'gpu-quota',
      resources: [
        {
          resource: 'nvidia.com/gpu',
          hard: 4,
          used: 1,
          free: 3,
          borrowable: 0,
        },
      ],
      pending: [],
    },
  ],
};

/** The overview over `entities`, with these services and the rest fixed. */
function overviewOf(services: {
  healthService: unknown;
  pipelineRuns: unknown;
}): OverviewService {
  return OverviewService.create({
    catalog: catalogServiceMock({ entities }),
    healthService: services.healthService as any,
    pipelineRuns: services.pipelineRuns as any,
    quotaService: { getQuotas: async () => QUOTAS } as any,
    idleNotebooks: {
      snapshot: async () => ({
        status: 'no-prometheus' as const,
        message: 'ml.prometheus is not configured',
        threshold: 5,
        afterSeconds: 3600,
        checkedAt: new Date(NOW).toISOString(),
        items: [],
        namespaces: [],
      }),
    },
    datasetFacts: { lastVerdict: () => undefined },
    logger: mockServices.logger.mock(),
  });
}

describe('GET /overview', () => {
  const healthCalls: string[] = [];
  const runsCalls: string[] = [];

  async function app() {
    const overview = overviewOf({
      healthService: {
        getHealthMany: (es: Entity[]) =>
          es.map(async e => {
            const ref = `model:default/${e.metadata.name}`;
            healthCalls.push(ref);
            if (e.metadata.name === 'unconfigured') {
              throw new Error('bad metrics selector');
            }
            return { entityRef: ref, window: '1h', ...HEALTH[ref] };
          }),
      },
      pipelineRuns: {
        async listRuns({ pipelineRef }: { pipelineRef: string }) {
          runsCalls.push(pipelineRef);
          if (pipelineRef === 'pipeline:default/broken') {
            throw new Error('argo on cluster a did not answer');
          }
          return { pipelineRef, runs: RUNS[pipelineRef] ?? [] };
        },
      },
    });
    // the route asks for "now"; the test pins it
    const original = overview.getOverview.bind(overview);
    overview.getOverview = credentials => original(credentials, NOW);
    const router = await createOverviewRouter({
      httpAuth: mockServices.httpAuth(),
      overview,
    });
    return express().use(router).use(mockErrorHandler());
  }

  it('answers the fleet at a glance in the contract of ml-common', async () => {
    const res = await request(await app())
      .get('/overview')
      .set('Authorization', mockCredentials.user.header());
    expect(res.status).toBe(200);
    const body = mlOverviewResponseSchema.parse(res.body);

    // models worst first, with the reason and owners by name
    expect(
      body.models.items.map(m => [m.title, m.verdict, m.owner?.name]),
    ).toEqual([
      ['Fraud detector', 'failing', 'Fraud Squad'],
      ['ranker', 'degraded', 'Fraud Squad'],
      ['unconfigured', 'unknown', 'Growth'],
      ['churn', 'healthy', 'Growth'],
    ]);
    expect(body.models.items[0].reason).toBe(
      'p95 latency 480 ms, objective 200 ms',
    );
    expect(body.models.items[2].reason).toBe('bad metrics selector');
    expect(body.models.byVerdict).toEqual({
      failing: 1,
      degraded: 1,
      unknown: 1,
      healthy: 1,
    });
    expect(healthCalls).toHaveLength(4);
    expect(body.models.evaluating).toBe(0);

    expect(body.alerts.items).toEqual([
      {
        modelRef: 'model:default/fraud-detector',
        modelTitle: 'Fraud detector',
        owner: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
        name: 'ModelDriftHigh',
        severity: 'critical',
        summary: 'Drift above 0.3',
        startsAt: hoursAgo(2),
      },
    ]);

    // the failure of 30 h ago is outside the window; a run of 8 h is stuck
    expect(
      body.pipelines.items.map(r => [r.pipelineRef, r.runId, r.problem]),
    ).toEqual([
      ['pipeline:default/fraud-training', 'ft-3', 'failed'],
      ['pipeline:default/churn-training', 'ct-9', 'stuck'],
    ]);
    expect(body.pipelines.items[0]).toMatchObject({
      status: 'Failed',
      message: 'OOMKilled',
    });
    expect(body.pipelines.total).toBe(3);
    expect(body.pipelines.problems).toEqual([
      {
        source: 'pipeline:default/broken',
        error: 'argo on cluster a did not answer',
      },
    ]);

    expect(body.gpus.items).toEqual([
      {
        cluster: 'a',
        team: { ref: 'group:default/fraud-team', name: 'Fraud Squad' },
        hard: 8,
        used: 6,
        free: 2,
        pendingDemand: 4,
        pendingWorkloads: 1,
      },
      {
        cluster: 'a',
        team: { ref: 'group:default/growth', name: 'Growth' },
        hard: 4,
        used: 1,
        free: 3,
        pendingDemand: 0,
        pendingWorkloads: 0,
      },
    ]);
    expect(body.gpus.clusters[1]).toEqual({
      name: 'b',
      available: false,
      error: 'connect ECONNREFUSED',
    });

    // without Prometheus, the idle tile says why it knows nothing
    expect(body.idleNotebooks).toMatchObject({
      status: 'no-prometheus',
      message: 'ml.prometheus is not configured',
      gpus: 0,
      items: [],
    });
    expect(body.datasets).toEqual({
      total: 0,
      withObjective: 0,
      known: 0,
      stale: 0,
      items: [],
    });
    expect(body.alerts.total).toBe(1);
    expect(body.pipelines.failedOrStuck).toBe(2);
    expect(body.gpus.total).toBe(2);
  });

  it("reuses a pipeline's runs across overviews, and retries one that failed", async () => {
    const server = await app();
    runsCalls.length = 0;
    for (let i = 0; i < 3; i++) {
      const res = await request(server)
        .get('/overview')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
    }
    expect(runsCalls.sort()).toEqual([
      'pipeline:default/broken',
      'pipeline:default/broken',
      'pipeline:default/broken',
      'pipeline:default/churn-training',
      'pipeline:default/fraud-training',
    ]);
  });

  it('sends a caller its cached overview once serialized: gzipped, and 304 for its ETag', async () => {
    const server = await app();
    const auth = mockCredentials.user.header();
    const first = await request(server)
      .get('/overview')
      .set('Authorization', auth)
      .set('Accept-Encoding', 'gzip');
    expect(first.status).toBe(200);
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(mlOverviewResponseSchema.parse(first.body).models.total).toBe(4);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"/);
    // the broken pipeline keeps the answer out of the cache: rebuilt, the
    // same overview has the same ETag
    const again = await request(server)
      .get('/overview')
      .set('Authorization', auth)
      .set('If-None-Match', etag);
    expect(again.status).toBe(304);
  });

  it('refreshes verdicts judged apart in one batch: those past half their age go with the due ones', async () => {
    let now = NOW;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const batches: string[][] = [];
      let answerRanker: () => void = () => undefined;
      const overview = overviewOf({
        healthService: {
          getHealthMany: (es: Entity[]) => {
            const refs = es.map(e => `model:default/${e.metadata.name}`);
            batches.push(refs);
            return refs.map(async ref => {
              // the first time, ranker's verdict comes 10 s after the others
              if (ref === 'model:default/ranker' && batches.length === 1) {
                await new Promise<void>(resolve => {
                  answerRanker = resolve;
                });
              }
              return {
                entityRef: ref,
                window: '1h',
                alerts: [],
                ...HEALTH[ref],
              };
            });
          },
        },
        pipelineRuns: { listRuns: async () => ({ runs: [] }) },
      });
      const as = (user: string) =>
        overview.getOverview(
          mockCredentials.user(`user:default/${user}`),
          Date.now(),
        );
      const models = (o: { models: { items: Array<{ entityRef: string }> } }) =>
        o.models.items.map(m => m.entityRef).sort();
      const first = as('a');
      await new Promise(resolve => setImmediate(resolve));
      now += 10_000;
      answerRanker();
      await first;
      expect(batches).toHaveLength(1);

      // 31 s after the first verdicts: three are due, ranker's is 21 s old
      now = NOW + 31_000;
      expect(models(await as('b'))).toHaveLength(4);
      await new Promise(resolve => setImmediate(resolve));
      expect(batches).toHaveLength(2);
      expect(batches[1].sort()).toEqual(models(await as('b')));

      // from then on they fall due together: one batch per refresh
      now = NOW + 62_000;
      await as('c');
      await new Promise(resolve => setImmediate(resolve));
      expect(batches).toHaveLength(3);
      expect(batches[2]).toHaveLength(4);
      // none due: nothing asked
      now = NOW + 70_000;
      await as('d');
      await new Promise(resolve => setImmediate(resolve));
      expect(batches).toHaveLength(3);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('refuses a caller without credentials', async () => {
    const res = await request(await app())
      .get('/overview')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(401);
  });
});
