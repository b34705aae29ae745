/*
 * The Serving card's API and the governed rollout against test API servers
 * (two with KServe, one without, serving a Deployment) and a real OCI
 * registry for the versions.
 */
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  AlertmanagerHandle,
  DEMO_MODELS,
  demoAlertRules,
  demoMetricsBackfill,
  describeIfBinary,
  openMetricsSeries,
  PrometheusHandle,
  RegistryHandle,
  serverBinaries,
  startAlertmanager,
  startPrometheus,
  startRegistry,
} from '@mlplatform/test-services';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  ModelEntityV1alpha1,
  parseHealthWindow,
} from '@mlplatform/plugin-ml-common';
// The examples/ml reader of ml-common's tests, so both read the same entities.
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import {
  EXAMPLES_ML_DIR,
  readEntities,
} from '@mlplatform/plugin-ml-common/src/kinds/__testUtils__/entities';
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { sampleTeamPolicy } from '../__testUtils__/samplePolicy';
import { mlStores, registryModel } from '../__testUtils__/servingSeeds';
import request from 'supertest';
import { AuditStore } from '../database/AuditStore';
import { GpuReservationStore } from '../database/GpuReservationStore';
import { MlAuditor } from '../services/audit/MlAuditor';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';
import { AlertmanagerClient } from '../services/monitoring/AlertmanagerClient';
import { PrometheusClient } from '../services/monitoring/PrometheusClient';
import { builtInMetricsProfiles } from '../services/monitoring/metricsProfiles';
import { testClusters } from '../__testUtils__/testClusters';
import { ClusterService } from '../services/kubernetes/ClusterService';
import { RegistryService } from '../services/registry/RegistryService';
import {
  ServingService,
  storageUriFor,
} from '../services/serving/ServingService';
import { createRollbackAction } from '../services/alerts/rollbackAction';
import { createServingRouter } from './serving';

jest.setTimeout(60_000);

const OWNER = 'user:default/ada';
const OUTSIDER = 'user:default/mallory';
const KSERVE = 'serving.kserve.io/v1beta1';
const ns = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});

describeIfBinary(serverBinaries.registry)('serving routes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let registry: RegistryHandle;
  let a: KubeApiServer;
  let b: KubeApiServer;
  let c: KubeApiServer;
  let clusters: ClusterService;
  let app: express.Express;
  let auditStore: AuditStore;
  let uri: (tag: string) => string;
  let serving: ServingService;

  const isvc = (name: string, tag: string, extra: any = {}) => ({
    apiVersion: KSERVE,
    kind: 'InferenceService',
    metadata: {
      name,
      namespace: 'fraud',
      labels: { 'mlplatform.io/model': 'fraud-detector' },
      ...extra.metadata,
    },
    spec: {
      predictor: {
        minReplicas: 2,
        maxReplicas: 4,
        model: { modelFormat: { name: 'onnx' }, storageUri: uri(tag) },
      },
    },
  });

  beforeAll(async () => {
    registry = await startRegistry();
    for (const tag of ['v1', 'v2', 'v3']) {
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag,
        file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
        framework: 'onnx',
        metrics: { auc: 0.9 },
        aliases: [],
      });
    }
    uri = tag => `oci://${registry.host}/models/fraud-detector:${tag}`;
    [a, b, c] = await Promise.all([
      startKubeApiServer({ seed: [ns('fraud')] }),
      // no KServe: the model serves as a plain Deployment there
      startKubeApiServer({ seed: [ns('fraud')], crds: [] }),
      startKubeApiServer({ seed: [ns('fraud')] }),
    ]);
    await a.create(isvc('fraud-detector', 'v2'));
    // another model's InferenceService: not ours
    await a.create({
      ...isvc('ranker', 'v1'),
      metadata: {
        name: 'ranker',
        namespace: 'fraud',
        labels: { 'mlplatform.io/model': 'product-ranker' },
      },
    });
    await c.create(
      isvc('fraud-detector-eu', 'v1', {
        metadata: {
          annotations: {
            'kube-apiserver.test/phase': 'Failed',
            'kube-apiserver.test/message': 'OOMKilled',
          },
        },
      }),
    );
    // a quota of one pod: the Deployment controller runs 1 of 3 replicas
    await b.apply({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'one-pod', namespace: 'fraud' },
      spec: { hard: { pods: '1' } },
    });
    await b.apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'fraud-detector',
        namespace: 'fraud',
        labels: { 'mlplatform.io/model': 'fraud-detector' },
        annotations: { 'mlplatform.io/model-version': 'v1' },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'fraud-detector' } },
        template: {
          metadata: { labels: { app: 'fraud-detector' } },
          spec: { containers: [{ name: 'server', image: 'onnx-server:1' }] },
        },
      },
    });

    clusters = testClusters({ a, b, c }, { requestTimeoutMs: 2000 });
    const knex = await databases.init('SQLITE_3');
    const stores = await mlStores(knex);
    auditStore = stores.auditStore;
    const reservations = stores.reservations;
    const catalog = catalogServiceMock({
      entities: [
        registryModel(registry.host),
        {
          apiVersion: 'mlplatform.io/v1alpha1',
          kind: 'Model',
          metadata: { name: 'unserved', namespace: 'default' },
          spec: {
            type: 'classifier',
            lifecycle: 'experimental',
            owner: 'fraud-team',
          },
        },
      ],
    });
    const claimsOf = (user: string) =>
      user === OWNER ? [OWNER, 'group:default/fraud-team'] : [user];
    serving = ServingService.create({
      clusters,
      catalog,
      reservations,
      registryService: RegistryService.create({
        registries: [{ name: 'local', type: 'oci', url: registry.url }],
        logger: mockServices.logger.mock(),
      }),
      // The sample policy's decision (members of the owning team).
      ...sampleTeamPolicy({ claimsOf, catalog }),
      audit: MlAuditor.create({ auditStore }),
    });
    const router = await createServingRouter({
      httpAuth: mockServices.httpAuth(),
      catalog,
      serving,
    });
    app = express().use(router).use(mockErrorHandler());
  });

  afterAll(async () => {
    clusters?.close();
    await Promise.all([registry?.stop(), a?.stop(), b?.stop(), c?.stop()]);
  });

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });
  const servingOf = (user = OUTSIDER) =>
    request(app).get('/models/default/fraud-detector/serving').set(as(user));
  const rollout = (body: object, user = OWNER) =>
    request(app)
      .post('/models/default/fraud-detector/rollout')
      .set(as(user))
      .send(body);
  const TARGET = { cluster: 'a', namespace: 'fraud', name: 'fraud-detector' };
  const live = () =>
    a.get(KSERVE, 'InferenceService', 'fraud', 'fraud-detector') as any;

  it('lists every place the model serves across the clusters, one list per kind per cluster, cached', async () => {
    for (const s of [a, b, c]) s.resetRequests();
    const res = await servingOf();
    expect(res.status).toBe(200);
    expect(res.body.entityRef).toBe('model:default/fraud-detector');
    expect(res.body.clusters).toEqual(['a', 'b', 'c']);
    expect(res.body.errors).toEqual([]);
    expect(res.body.places).toEqual([
      {
        cluster: 'a',
        namespace: 'fraud',
        name: 'fraud-detector',
        kind: 'InferenceService',
        url: 'http://fraud-detector-fraud.example.com',
        internalUrl: 'http://fraud-detector.fraud.svc.cluster.local',
        version: 'v2',
        ready: true,
        replicas: { desired: 2, max: 4 },
        traffic: [
          {
            revision: 'fraud-detector-predictor-00001',
            percent: 100,
            role: 'stable',
            version: 'v2',
          },
        ],
      },
      {
        cluster: 'b',
        namespace: 'fraud',
        name: 'fraud-detector',
        kind: 'Deployment',
        version: 'v1',
        ready: false,
        // why, from the ReplicaFailure condition: the quota refused the pods
        reason: 'FailedCreate',
        message: expect.stringMatching(
          /^pods "fraud-detector-\w+-\w+" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1$/,
        ),
        replicas: { ready: 1, desired: 3 },
        traffic: [
          {
            revision: 'fraud-detector',
            percent: 100,
            role: 'stable',
            version: 'v1',
          },
        ],
      },
      expect.objectContaining({
        cluster: 'c',
        name: 'fraud-detector-eu',
        version: 'v1',
        ready: false,
        reason: 'RevisionFailed',
        message: expect.stringContaining('OOMKilled'),
        traffic: [],
      }),
    ]);
    const lists = (s: KubeApiServer) =>
      s.requests.filter(r => r.method === 'GET').map(r => r.path);
    expect(lists(a)).toEqual([
      `/apis/${KSERVE}/inferenceservices`,
      '/apis/apps/v1/deployments',
    ]);
    // b has no KServe: its 404 is "nothing serves here", not an error
    expect(lists(b)).toEqual([
      `/apis/${KSERVE}/inferenceservices`,
      '/apis/apps/v1/deployments',
    ]);
    // warm: no request reaches the clusters
    for (const s of [a, b, c]) s.resetRequests();
    const again = await servingOf(OWNER);
    expect(again.body.places).toHaveLength(3);
    expect([...a.requests, ...b.requests, ...c.requests]).toEqual([]);

    const none = await request(app)
      .get('/models/default/unserved/serving')
      .set(as(OWNER));
    expect(none.body.places).toEqual([]);
    const missing = await request(app)
      .get('/models/default/nope/serving')
      .set(as(OWNER));
    expect(missing.status).toBe(404);
  });

  it('refuses bad input with 400 naming the field, and changes nothing', async () => {
    const before = live().metadata.resourceVersion;
    for (const [body, field] of [
      [{ action: 'canary', ...TARGET, version: 'v3', percent: 101 }, 'percent'],
      [{ action: 'canary', ...TARGET, version: 'v3', percent: -1 }, 'percent'],
      [
        { action: 'canary', ...TARGET, version: 'v3', percent: 12.5 },
        'percent',
      ],
      [
        { action: 'canary', ...TARGET, version: '../x', percent: 10 },
        'version',
      ],
      [
        {
          action: 'canary',
          ...TARGET,
          name: 'Not_A_Label',
          version: 'v3',
          percent: 10,
        },
        'name',
      ],
      [{ action: 'scale', ...TARGET }, 'action'],
    ] as const) {
      const res = await rollout(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(`${field}:`);
    }
    const unknown = await rollout({
      action: 'canary',
      ...TARGET,
      version: 'v9',
      percent: 10,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(
      /version: v9 is not a version of model:default\/fraud-detector .*known: v1, v2, v3|known: v3, v2, v1/,
    );
    const noCanary = await rollout({ action: 'promote', ...TARGET });
    expect(noCanary.status).toBe(400);
    expect(noCanary.body.error.message).toMatch(/No canary runs/);
    const notOurs = await rollout({
      action: 'canary',
      ...TARGET,
      name: 'ranker',
      version: 'v3',
      percent: 10,
    });
    expect(notOurs.status).toBe(404);
    expect(live().metadata.resourceVersion).toBe(before);
    const failed = await auditStore.list({ actor: OWNER });
    expect(failed.map(e => e.outcome)).toEqual(['failed', 'failed', 'failed']);
  });

  it('refuses a non-owner with 403, applies nothing, audits the refusal', async () => {
    const before = live().metadata.resourceVersion;
    const res = await rollout(
      { action: 'canary', ...TARGET, version: 'v3', percent: 10 },
      OUTSIDER,
    );
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'user:default/mallory may not roll out model:default/fraud-detector: not a member of group:default/fraud-team, which owns it',
    );
    expect(live().metadata.resourceVersion).toBe(before);
    const [event] = await auditStore.list({ actor: OUTSIDER });
    expect(event).toMatchObject({
      action: 'ml.model.rollout',
      outcome: 'refused',
      details: { rollout: 'canary', toVersion: 'v3', percent: 10 },
    });
  });

  it('canary of v3 at 10 %, then promote; a second canary rolled back', async () => {
    const canary = await rollout({
      action: 'canary',
      ...TARGET,
      version: 'v3',
      percent: 10,
    });
    expect(canary.status).toBe(200);
    expect(live().spec.predictor).toMatchObject({
      canaryTrafficPercent: 10,
      model: { storageUri: uri('v3') },
    });
    // the card sees it at once (the list was refreshed after the change)
    const [place] = (await servingOf()).body.places;
    expect(place).toMatchObject({
      version: 'v3',
      canary: { percent: 10, version: 'v3', stableVersion: 'v2' },
      traffic: [
        {
          revision: 'fraud-detector-predictor-00002',
          percent: 10,
          role: 'canary',
          version: 'v3',
        },
        {
          revision: 'fraud-detector-predictor-00001',
          percent: 90,
          role: 'stable',
          version: 'v2',
        },
      ],
    });

    const promoted = await rollout({ action: 'promote', ...TARGET });
    expect(promoted.status).toBe(200);
    expect(live().spec.predictor.canaryTrafficPercent).toBeUndefined();
    const [after] = (await servingOf()).body.places;
    expect(after.canary).toBeUndefined();
    expect(after.traffic).toEqual([
      {
        revision: 'fraud-detector-predictor-00002',
        percent: 100,
        role: 'stable',
        version: 'v3',
      },
    ]);

    // v1 as a canary, rolled back: all traffic to v3 again
    expect(
      (
        await rollout({
          action: 'canary',
          ...TARGET,
          version: 'v1',
          percent: 25,
        })
      ).status,
    ).toBe(200);
    const back = await rollout({ action: 'rollback', ...TARGET });
    expect(back.status).toBe(200);
    expect(back.body.place.traffic).toEqual([
      {
        revision: 'fraud-detector-predictor-00003',
        percent: 0,
        role: 'canary',
        version: 'v1',
      },
      {
        revision: 'fraud-detector-predictor-00002',
        percent: 100,
        role: 'stable',
        version: 'v3',
      },
    ]);
    const events = await auditStore.list({
      action: 'ml.model.rollout',
      outcome: 'succeeded',
    });
    expect(events.map(e => [e.details.rollout, e.details.fromVersion])).toEqual(
      expect.arrayContaining([
        ['canary', 'v2'],
        ['promote', 'v3'],
        ['canary', 'v3'],
        ['rollback', 'v1'],
      ]),
    );
  });

  it('a refused apply changes nothing and is audited as failed', async () => {
    a.setFault({
      status: 500,
      match: r => r.method === 'PATCH' && r.path.includes('inferenceservices'),
    });
    try {
      const before = live().metadata.resourceVersion;
      const res = await rollout({ action: 'promote', ...TARGET });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(live().metadata.resourceVersion).toBe(before);
      expect(live().spec.predictor.canaryTrafficPercent).toBe(0);
    } finally {
      a.setFault(null);
    }
    const [last] = await auditStore.list({ actor: OWNER });
    expect(last).toMatchObject({
      outcome: 'failed',
      details: { rollout: 'promote' },
    });
  });

  it('a change made by someone else between the read and the PATCH wins: 409, the rollout applies nothing', async () => {
    // the PATCH waits; meanwhile someone edits the InferenceService
    a.setFault({
      delayMs: 400,
      match: r => r.method === 'PATCH' && r.path.includes('inferenceservices'),
    });
    try {
      a.resetRequests();
      // supertest sends on then(): start it now
      const pending = rollout({
        action: 'canary',
        ...TARGET,
        version: 'v2',
        percent: 50,
      }).then(r => r);
      // the PATCH has arrived (and waits) once the server logged it
      for (let i = 0; i < 100; i++) {
        if (a.requests.some(r => r.method === 'PATCH')) break;
        await new Promise(r => setTimeout(r, 10));
      }
      expect(a.requests.some(r => r.method === 'PATCH')).toBe(true);
      const current = live();
      await a.apply({
        ...current,
        metadata: {
          ...current.metadata,
          annotations: {
            ...current.metadata.annotations,
            'example.com/edited-by': 'someone-else',
          },
        },
        status: undefined,
      });
      const res = await pending;
      expect(res.status).toBe(409);
    } finally {
      a.setFault(null);
    }
    expect(live().spec.predictor.canaryTrafficPercent).toBe(0);
    expect(live().metadata.annotations['example.com/edited-by']).toBe(
      'someone-else',
    );
    const [last] = await auditStore.list({ actor: OWNER });
    expect(last).toMatchObject({
      outcome: 'failed',
      details: { rollout: 'canary', percent: 50 },
    });
  });

  it("an alert rule's rollback action sends all traffic back to the stable version, audited", async () => {
    const started = await rollout({
      action: 'canary',
      ...TARGET,
      version: 'v2',
      percent: 30,
    });
    expect(started.status).toBe(200);
    expect(started.body.place.canary).toEqual({
      percent: 30,
      version: 'v2',
      stableVersion: 'v3',
    });
    const action = createRollbackAction({
      serving,
      auth: mockServices.auth(),
    });
    const alert = {
      status: 'firing' as const,
      fingerprint: 'f00d',
      labels: { alertname: 'ModelCanaryErrors' },
      annotations: {},
      startsAt: new Date().toISOString(),
    };
    const result = await action.run({
      alert,
      entityRef: 'model:default/fraud-detector',
      params: {},
    });
    expect(result).toMatchObject({
      summary: 'rolled back the canary on a/fraud/fraud-detector',
      rolledBack: ['a/fraud/fraud-detector'],
    });
    expect(live().spec.predictor.canaryTrafficPercent).toBe(0);
    const [place] = (await servingOf()).body.places;
    expect(
      place.traffic.map((t: any) => [t.role, t.version, t.percent]),
    ).toEqual([
      ['canary', 'v2', 0],
      ['stable', 'v3', 100],
    ]);
    const [event] = await auditStore.list({ action: 'ml.model.rollout' });
    expect(event).toMatchObject({
      outcome: 'succeeded',
      details: {
        rollout: 'rollback',
        trigger: 'ModelCanaryErrors f00d',
        fromVersion: 'v2',
      },
    });
    expect(event.actor).not.toBe(OWNER);
    // nothing left to roll back: says so, changes nothing
    const again = await action.run({
      alert,
      entityRef: 'model:default/fraud-detector',
      params: {},
    });
    expect(again.summary).toBe(
      'no canary of model:default/fraud-detector takes traffic: nothing to roll back',
    );
  });

  it('builds storage URIs of versions', () => {
    expect(
      storageUriFor('oci://h:5000/m/x:v2', 'v2', 'oci://h:5000/m/x', 'v3'),
    ).toBe('oci://h:5000/m/x:v3');
    expect(storageUriFor('models:/x/2', '2', 'mlflow://x', '7')).toBe(
      'models:/x/7',
    );
    expect(storageUriFor(undefined, undefined, 'mlflow://reg/x', '7')).toBe(
      'models:/x/7',
    );
    expect(storageUriFor(undefined, undefined, 'oci://h:5000/m/x', 'v1')).toBe(
      'oci://h:5000/m/x:v1',
    );
  });
});

/**
 * A ServingService that only reads: one cluster, canary health from
 * `health`, lists never cached (so a test sees its own changes at once).
 */
function readingServing(
  cluster: string,
  kube: KubeApiServer,
  health: ModelHealthService,
): { clusters: ClusterService; serving: ServingService } {
  const clusters = testClusters(
    { [cluster]: kube },
    { requestTimeoutMs: 2000 },
  );
  const serving = ServingService.create({
    clusters,
    catalog: catalogServiceMock({ entities: [] }),
    registryService: RegistryService.create({
      registries: [],
      logger: mockServices.logger.mock(),
    }),
    permissions: mockServices.permissions.mock(),
    userInfo: mockServices.userInfo.mock(),
    audit: {} as MlAuditor,
    // Nothing deployed here.
    reservations: {} as GpuReservationStore,
    health,
    ttlMs: 0,
  });
  return { clusters, serving };
}

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'serving: canary vs stable health from Prometheus',
  () => {
    let kube: KubeApiServer;
    let prom: PrometheusHandle;
    let clusters: ClusterService;
    let serving: ServingService;
    const REV1 = 'fraud-detector-predictor-00001';
    const REV2 = 'fraud-detector-predictor-00002';
    const isvc = (tag: string, canary?: number) => ({
      apiVersion: KSERVE,
      kind: 'InferenceService',
      metadata: {
        name: 'fraud-detector',
        namespace: 'fraud',
        labels: { 'mlplatform.io/model': 'fraud-detector' },
        annotations: {
          'mlplatform.io/model-version': tag,
          ...(canary !== undefined
            ? { 'mlplatform.io/stable-model-version': 'v1' }
            : {}),
        },
      },
      spec: {
        predictor: {
          ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
          model: {
            modelFormat: { name: 'sklearn' },
            storageUri: `models:/fraud-detector/${tag.slice(1)}`,
          },
        },
      },
    });
    const entity: any = {
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: {
        name: 'fraud-detector',
        namespace: 'default',
        annotations: {
          'mlplatform.io/metrics-selector': 'namespace="fraud"',
          'mlplatform.io/metrics-profile': 'kserve',
        },
      },
      spec: {
        type: 'classifier',
        lifecycle: 'production',
        owner: 'fraud-team',
        slo: { latencyP95Ms: 500, errorRate: 0.01 },
      },
    };

    beforeAll(async () => {
      const last = Math.floor(Date.now() / 1000) - 20;
      const minutes = Array.from({ length: 31 }, (_, i) => i);
      const at = (i: number) => last - (30 - i) * 60;
      const counter = (perMinute: number) =>
        minutes.map(i => [at(i), i * perMinute] as [number, number]);
      // the stable revision: 0.1 % errors; the canary: 20 %
      const revision = (rev: string, ok: number, failed: number) => [
        openMetricsSeries(
          'revision_request_count',
          {
            namespace: 'fraud',
            revision_name: rev,
            response_code_class: '2xx',
          },
          counter(ok),
        ),
        openMetricsSeries(
          'revision_request_count',
          {
            namespace: 'fraud',
            revision_name: rev,
            response_code_class: '5xx',
          },
          counter(failed),
        ),
        ...(
          [
            ['0.1', 0.9],
            ['0.25', 1],
            ['+Inf', 1],
          ] as const
        ).map(([le, share]) =>
          openMetricsSeries(
            'request_predict_seconds_bucket',
            { namespace: 'fraud', revision_name: rev, le },
            counter(Math.round((ok + failed) * share)),
          ),
        ),
        openMetricsSeries(
          'request_predict_seconds_count',
          { namespace: 'fraud', revision_name: rev },
          counter(ok + failed),
        ),
      ];
      [kube, prom] = await Promise.all([
        startKubeApiServer({ seed: [ns('fraud')] }),
        startPrometheus({
          backfill: [...revision(REV1, 999, 1), ...revision(REV2, 80, 20)].join(
            '',
          ),
        }),
      ]);
      await kube.apply(isvc('v1'));
      await kube.apply(isvc('v2', 10));
      ({ clusters, serving } = readingServing(
        'a',
        kube,
        ModelHealthService.create({
          prometheus: PrometheusClient.create({ url: prom.url }),
          profiles: new Map(Object.entries(builtInMetricsProfiles)),
          logger: mockServices.logger.mock(),
        }),
      ));
    });
    afterAll(async () => {
      clusters?.close();
      await Promise.all([kube?.stop(), prom?.stop()]);
    });

    it('judges the canary and the stable revision side by side', async () => {
      const res = await serving.getServing(
        entity,
        'model:default/fraud-detector',
      );
      const [place] = res.places;
      expect(place.canary).toEqual({
        percent: 10,
        version: 'v2',
        stableVersion: 'v1',
      });
      const [canary, stable] = place.traffic;
      expect(canary).toMatchObject({ revision: REV2, role: 'canary' });
      expect(stable).toMatchObject({ revision: REV1, role: 'stable' });
      expect(canary.health!.errorRate).toBeCloseTo(0.2, 2);
      expect(canary.health!.verdict).toBe('failing');
      expect(stable.health!.errorRate).toBeCloseTo(0.001, 3);
      expect(stable.health!.verdict).toBe('healthy');
      expect(stable.health!.p95).toBeGreaterThan(0);
      expect(stable.health!.p95).toBeLessThanOrEqual(0.25);
    });

    it('says why a revision without series has no verdict', async () => {
      // A new canary (v3, revision 00003) that has served nothing yet.
      await kube.apply(isvc('v3', 10));
      const res = await serving.getServing(
        entity,
        'model:default/fraud-detector',
      );
      const [canary, stable] = res.places[0].traffic;
      expect(canary.revision).toBe('fraud-detector-predictor-00003');
      expect(canary.health).toEqual({
        verdict: 'unknown',
        reason:
          'Prometheus has no series with revision_name="fraud-detector-predictor-00003" under the Model\'s selector in the last 15m: the revision has served no requests yet, or its serving metrics are not labelled with revision_name (docs/serving.md)',
        p95: null,
        errorRate: null,
        throughput: null,
      });
      expect(stable).toMatchObject({
        revision: REV1,
        health: { verdict: 'healthy' },
      });
    });
  },
);

describeIfBinary([
  serverBinaries.prometheus,
  serverBinaries.promtool,
  serverBinaries.alertmanager,
])("serving: the demo's canary, judged from the demo's metrics", () => {
  const fraud = DEMO_MODELS.find(m => m.revisions)!;
  const entity = readEntities(EXAMPLES_ML_DIR).find(
    e => e.kind === 'Model' && stringifyEntityRef(e) === fraud.entityRef,
  ) as ModelEntityV1alpha1;
  let kube: KubeApiServer;
  let prom: PrometheusHandle;
  let am: AlertmanagerHandle;
  let clusters: ClusterService;
  let serving: ServingService;
  let health: ModelHealthService;

  beforeAll(async () => {
    const anchor = Math.floor(Date.now() / 1000) - 5;
    [kube, am] = await Promise.all([
      // As the demo stack starts gpu-cluster-a.
      startKubeApiServer({
        seed: loadManifests(
          fs.readFileSync(
            path.resolve(
              __dirname,
              '../../../../examples/kube/gpu-cluster-a.yaml',
            ),
            'utf8',
          ),
        ),
      }),
      startAlertmanager(),
    ]);
    prom = await startPrometheus({
      backfill: demoMetricsBackfill({ now: anchor, hours: 1 }),
      rules: demoAlertRules(),
      alertmanagerUrl: am.url,
      evaluationInterval: '1s',
    });
    health = ModelHealthService.create({
      prometheus: PrometheusClient.create({ url: prom.url }),
      alertmanager: AlertmanagerClient.create({ url: am.url, cacheTtlMs: 0 }),
      profiles: new Map(Object.entries(builtInMetricsProfiles)),
      logger: mockServices.logger.mock(),
      cacheTtlMs: 0,
    });
    ({ clusters, serving } = readingServing('gpu-cluster-a', kube, health));
  }, 90_000);
  afterAll(async () => {
    clusters?.close();
    await Promise.all([kube?.stop(), prom?.stop(), am?.stop()]);
  });

  it('shows stable v2 healthy beside a degraded v3 canary, whatever the Model-wide alert', async () => {
    // The demo's ModelDriftHigh fires on the Model (both revisions see the
    // same inputs): the health card is failing, each revision is judged on
    // its own series.
    const deadline = Date.now() + 30_000;
    let model = await health.getHealth(entity, parseHealthWindow('15m'));
    while (model.alerts.length === 0 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 500));
      model = await health.getHealth(entity, parseHealthWindow('15m'));
    }
    expect(model.verdict).toBe('failing');
    expect(model.reason).toContain('alert ModelDriftHigh (critical) firing');

    const res = await serving.getServing(entity, fraud.entityRef);
    const place = res.places.find(p => p.kind === 'InferenceService')!;
    expect(place.canary).toEqual({
      percent: 10,
      version: 'v3',
      stableVersion: 'v2',
    });
    expect(
      place.traffic.map(t => [t.role, t.revision, t.percent, t.version]),
    ).toEqual(
      [...fraud.revisions!]
        .reverse()
        .map(r => [
          r.role,
          r.name,
          r.traffic * 100,
          r.role === 'stable' ? 'v2' : 'v3',
        ]),
    );
    for (const r of fraud.revisions!) {
      const t = place.traffic.find(x => x.revision === r.name)!;
      expect([r.role, t.health!.verdict]).toEqual([r.role, r.expectedVerdict]);
      expect(t.health!.p95).toBeCloseTo(r.p95Seconds, 6);
      expect(t.health!.errorRate).toBeCloseTo(r.errorRate, 6);
      expect(t.health!.throughput).toBeGreaterThan(0);
    }
    const canary = place.traffic.find(t => t.role === 'canary')!;
    expect(canary.health!.reason).toBe(
      `latencyP95Ms ${Number(
        (
          fraud.revisions!.find(r => r.role === 'canary')!.p95Seconds * 1000
        ).toPrecision(4),
      )} ms > 50 ms`,
    );
  });
});
