/*
 * The governed rollout of a Model served by a plain Deployment + Service (a
 * cluster without KServe), against the project's test API server and a real
 * OCI registry: the canary as a second Deployment behind the same Service,
 * the split the Serving card shows, promote, roll back, and every refusal
 * with nothing applied.
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
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  openMetricsSeries,
  PrometheusHandle,
  RegistryHandle,
  serverBinaries,
  startPrometheus,
  startRegistry,
} from '@mlplatform/test-services';
import { modelDeploymentRequestSchema } from '@mlplatform/plugin-ml-common';
import express from 'express';
import { sampleTeamPolicy } from '../__testUtils__/samplePolicy';
import { mlStores, registryModel } from '../__testUtils__/servingSeeds';
import request from 'supertest';
import { gpuPod, ns } from '../__testUtils__/kubeSeeds';
import { AuditStore } from '../database/AuditStore';
import { GpuReservationStore } from '../database/GpuReservationStore';
import { MlAuditor } from '../services/audit/MlAuditor';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';
import { PrometheusClient } from '../services/monitoring/PrometheusClient';
import { builtInMetricsProfiles } from '../services/monitoring/metricsProfiles';
import { ClusterService } from '../services/kubernetes/ClusterService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import { RegistryService } from '../services/registry/RegistryService';
import { ServingService } from '../services/serving/ServingService';
import { canarySplit } from '../services/serving/DeploymentRollout';
import {
  buildCanaryDeployment,
  buildDeploymentObjects,
} from '../services/serving/deploymentManifests';
import { createServingRouter } from './serving';

jest.setTimeout(60_000);

const OWNER = 'user:default/ada';
const OUTSIDER = 'user:default/mallory';

describeIfBinary(serverBinaries.registry)('rollout of a Deployment', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let registry: RegistryHandle;
  let plain: KubeApiServer;
  let clusters: ClusterService;
  let app: express.Express;
  let auditStore: AuditStore;
  let serving: ServingService;
  let uri: (tag: string) => string;

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
    // no KServe: models serve as Deployments; 8 GPUs, 2 in use: 6 free
    plain = await startKubeApiServer({
      crds: [],
      seed: [
        ns('fraud', { 'mlplatform.io/team': 'fraud-team' }),
        {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'gpu-quota', namespace: 'fraud' },
          spec: { hard: { 'requests.nvidia.com/gpu': '8' } },
        },
        gpuPod('fraud', 'train-1', { 'nvidia.com/gpu': '2' }),
      ],
    });
    clusters = ClusterService.create({
      clusters: [
        {
          name: 'plain',
          url: plain.url,
          token: plain.token,
          caData: plain.caData,
          serviceAccount: false,
          skipTLSVerify: false,
        },
      ],
      settings: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 60,
        requestTimeoutMs: 2000,
      },
    });
    const quotas = new QuotaService(clusters);
    const knex = await databases.init('SQLITE_3');
    const stores = await mlStores(knex);
    auditStore = stores.auditStore;
    const reservations = stores.reservations;
    const catalog = catalogServiceMock({
      entities: [registryModel(registry.host)],
    });
    const claimsOf = (user: string) =>
      user === OWNER ? [OWNER, 'group:default/fraud-team'] : [user];
    serving = ServingService.create({
      clusters,
      quotas,
      reservations,
      catalog,
      registryService: RegistryService.create({
        registries: [{ name: 'local', type: 'oci', url: registry.url }],
        logger: mockServices.logger.mock(),
      }),
      // The sample policy's decisions (members of the owning team: of the
      // Model for a rollout, of the namespace for a deploy).
      ...sampleTeamPolicy({ claimsOf, catalog, quotas }),
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
    await Promise.all([registry?.stop(), plain?.stop()]);
  });

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });
  const deploy = (body: object) =>
    request(app)
      .post('/models/default/fraud-detector/deployments')
      .set(as(OWNER))
      .send({ cluster: 'plain', namespace: 'fraud', ...body });
  /** Deploys v1 of the Model as Deployment `name`: 4 replicas, no GPU. */
  const deployCpu = async (name: string) =>
    expect(
      (
        await deploy({
          name,
          version: 'v1',
          gpus: 0,
          minReplicas: 4,
          maxReplicas: 4,
        })
      ).status,
    ).toBe(201);
  const rollout = (body: object, user = OWNER) =>
    request(app)
      .post('/models/default/fraud-detector/rollout')
      .set(as(user))
      .send({ cluster: 'plain', namespace: 'fraud', ...body });
  const placeOf = async (name: string) => {
    const res = await request(app)
      .get('/models/default/fraud-detector/serving')
      .set(as(OUTSIDER));
    expect(res.status).toBe(200);
    return res.body.places.filter((p: any) => p.name === name);
  };
  const deployment = (name: string) =>
    plain.get('apps/v1', 'Deployment', 'fraud', name) as any;
  const storageUriOf = (d: any) =>
    d.spec.template.spec.containers[0].env.find(
      (e: any) => e.name === 'STORAGE_URI',
    ).value;
  /** Every Deployment of the namespace with its resourceVersion. */
  const snapshot = () =>
    plain
      .list('apps/v1', 'Deployment', 'fraud')
      .map((d: any) => `${d.metadata.name}@${d.metadata.resourceVersion}`)
      .sort();
  const lastAudit = async (actor = OWNER) => {
    const [event] = await auditStore.list({
      actor,
      action: 'ml.model.rollout',
    });
    return event;
  };

  it('splits replicas by the share: at least one canary above 0 %, at least one stable below 100 %', () => {
    expect(canarySplit(4, 25)).toEqual({ stable: 3, canary: 1 });
    expect(canarySplit(4, 50)).toEqual({ stable: 2, canary: 2 });
    expect(canarySplit(10, 10)).toEqual({ stable: 9, canary: 1 });
    expect(canarySplit(1, 10)).toEqual({ stable: 1, canary: 1 });
    expect(canarySplit(4, 0)).toEqual({ stable: 4, canary: 0 });
    expect(canarySplit(4, 100)).toEqual({ stable: 0, canary: 4 });
  });

  it('canary of v3 at 25 %: a second Deployment behind the same Service; the card shows the split; promote leaves one Deployment at v3', async () => {
    await deployCpu('fraud-cpu');
    const stableTemplate = deployment('fraud-cpu').spec.template;

    const res = await rollout({
      action: 'canary',
      name: 'fraud-cpu',
      version: 'v3',
      percent: 25,
    });
    expect(res.status).toBe(200);
    const canary = deployment('fraud-cpu-canary');
    expect(canary.metadata.labels).toMatchObject({
      'mlplatform.io/model': 'fraud-detector',
      'mlplatform.io/canary-of': 'fraud-cpu',
    });
    expect(canary.metadata.annotations).toMatchObject({
      'mlplatform.io/model-version': 'v3',
      'mlplatform.io/stable-model-version': 'v1',
      'mlplatform.io/stable-replicas': '4',
      'mlplatform.io/deployed-by': OWNER,
    });
    expect(canary.spec.replicas).toBe(1);
    expect(storageUriOf(canary)).toBe(uri('v3'));
    expect(canary.spec.template.metadata.labels['mlplatform.io/revision']).toBe(
      'fraud-cpu-canary',
    );
    // the one Service selects the pods of both
    const svc = plain.get('v1', 'Service', 'fraud', 'fraud-cpu') as any;
    for (const d of [canary, deployment('fraud-cpu')]) {
      expect(d.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    }
    // the stable one gives up the canary's replica, its pods untouched
    expect(deployment('fraud-cpu').spec.replicas).toBe(3);
    expect(deployment('fraud-cpu').spec.template).toEqual(stableTemplate);

    const split = {
      version: 'v3',
      canary: { percent: 25, version: 'v3', stableVersion: 'v1' },
      replicas: { desired: 4 },
      traffic: [
        {
          revision: 'fraud-cpu-canary',
          percent: 25,
          role: 'canary',
          version: 'v3',
        },
        { revision: 'fraud-cpu', percent: 75, role: 'stable', version: 'v1' },
      ],
    };
    expect(res.body.place).toMatchObject(split);
    const places = await placeOf('fraud-cpu');
    expect(places).toHaveLength(1);
    expect(places[0]).toMatchObject({ kind: 'Deployment', ...split });
    expect(await placeOf('fraud-cpu-canary')).toEqual([]);
    expect(await lastAudit()).toMatchObject({
      outcome: 'succeeded',
      details: {
        rollout: 'canary',
        name: 'fraud-cpu',
        toVersion: 'v3',
        percent: 25,
        fromVersion: 'v1',
      },
    });

    // a second canary while one runs: refused, nothing changes
    const before = snapshot();
    const again = await rollout({
      action: 'canary',
      name: 'fraud-cpu',
      version: 'v2',
      percent: 50,
    });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toBe(
      'Invalid body: name: a canary (fraud-cpu-canary, version v3) already runs on Deployment fraud/fraud-cpu on plain; promote it or roll it back first',
    );
    expect(snapshot()).toEqual(before);

    const promoted = await rollout({ action: 'promote', name: 'fraud-cpu' });
    expect(promoted.status).toBe(200);
    expect(deployment('fraud-cpu-canary')).toBeUndefined();
    const d = deployment('fraud-cpu');
    expect(d.spec.replicas).toBe(4);
    expect(storageUriOf(d)).toBe(uri('v3'));
    expect(d.metadata.annotations['mlplatform.io/model-version']).toBe('v3');
    // the Service's selector is the Deployment's and is unchanged
    expect(d.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    expect(
      plain
        .list('apps/v1', 'Deployment', 'fraud')
        .map((x: any) => x.metadata.name),
    ).toEqual(['fraud-cpu']);
    const [after] = await placeOf('fraud-cpu');
    expect(after.canary).toBeUndefined();
    expect(after.version).toBe('v3');
    expect(after.traffic).toEqual([
      { revision: 'fraud-cpu', percent: 100, role: 'stable', version: 'v3' },
    ]);
    expect(await lastAudit()).toMatchObject({
      outcome: 'succeeded',
      details: { rollout: 'promote', fromVersion: 'v3', stableVersion: 'v1' },
    });
  });

  it('roll back: the canary Deployment is deleted, the stable one runs as before', async () => {
    const before = deployment('fraud-cpu');
    expect(
      (
        await rollout({
          action: 'canary',
          name: 'fraud-cpu',
          version: 'v2',
          percent: 50,
        })
      ).status,
    ).toBe(200);
    expect(deployment('fraud-cpu').spec.replicas).toBe(2);
    expect(deployment('fraud-cpu-canary').spec.replicas).toBe(2);
    expect((await placeOf('fraud-cpu'))[0].traffic).toEqual([
      {
        revision: 'fraud-cpu-canary',
        percent: 50,
        role: 'canary',
        version: 'v2',
      },
      { revision: 'fraud-cpu', percent: 50, role: 'stable', version: 'v3' },
    ]);

    const back = await rollout({ action: 'rollback', name: 'fraud-cpu' });
    expect(back.status).toBe(200);
    expect(deployment('fraud-cpu-canary')).toBeUndefined();
    const d = deployment('fraud-cpu');
    expect(d.spec.replicas).toBe(4);
    expect(d.spec.template).toEqual(before.spec.template);
    expect(d.metadata.annotations).toEqual(before.metadata.annotations);
    expect(back.body.place.traffic).toEqual([
      { revision: 'fraud-cpu', percent: 100, role: 'stable', version: 'v3' },
    ]);
    expect(await lastAudit()).toMatchObject({
      outcome: 'succeeded',
      details: { rollout: 'rollback', fromVersion: 'v2', stableVersion: 'v3' },
    });
  });

  it('refuses bad input, a version not in the registry, no canary and a non-owner, changing nothing', async () => {
    const before = snapshot();
    const refusals: Array<[object, number, RegExp]> = [
      [
        { action: 'canary', name: 'fraud-cpu', version: 'v2', percent: 101 },
        400,
        /percent: must be from 0 to 100/,
      ],
      [
        { action: 'canary', name: 'fraud-cpu', version: 'v9', percent: 10 },
        400,
        /^Invalid body: version: v9 is not a version of model:default\/fraud-detector/,
      ],
      [
        { action: 'canary', name: 'fraud-cpu', version: 'v3', percent: 10 },
        400,
        /^Invalid body: version: v3 is already the stable version of Deployment fraud\/fraud-cpu on plain$/,
      ],
      [
        { action: 'promote', name: 'fraud-cpu' },
        400,
        /^No canary runs on Deployment fraud\/fraud-cpu on plain \(no Deployment fraud-cpu-canary labelled as its canary\): nothing to promote$/,
      ],
      [
        { action: 'rollback', name: 'nope' },
        404,
        /^No InferenceService or Deployment fraud\/nope on plain$/,
      ],
    ];
    for (const [body, status, message] of refusals) {
      const res = await rollout(body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const outsider = await rollout(
      { action: 'canary', name: 'fraud-cpu', version: 'v2', percent: 10 },
      OUTSIDER,
    );
    expect(outsider.status).toBe(403);
    expect(await lastAudit(OUTSIDER)).toMatchObject({ outcome: 'refused' });
    expect(snapshot()).toEqual(before);
  });

  it('two canaries of one place at once: one runs, the other is refused, nothing half-rolled-out', async () => {
    await deployCpu('fraud-race');
    const asks = [
      { version: 'v2', percent: 25 },
      { version: 'v3', percent: 50 },
    ];
    const responses = await Promise.all(
      asks.map(a => rollout({ action: 'canary', name: 'fraud-race', ...a })),
    );
    const statuses = responses.map(r => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const won = asks[responses.findIndex(r => r.status === 200)];
    const lost = responses.find(r => r.status === 409)!;
    expect(lost.body.error.message).toMatch(
      /^a canary \(fraud-race-canary\) was started on Deployment fraud\/fraud-race on plain at the same time; promote it or roll it back first/,
    );
    // One canary, the winner's, and the stable's replicas split once by it.
    const canaries = plain
      .list('apps/v1', 'Deployment', 'fraud')
      .filter((d: any) => d.metadata.name.startsWith('fraud-race'));
    expect(canaries.map((d: any) => d.metadata.name).sort()).toEqual([
      'fraud-race',
      'fraud-race-canary',
    ]);
    const canary = deployment('fraud-race-canary');
    expect(canary.metadata.annotations['mlplatform.io/model-version']).toBe(
      won.version,
    );
    const split = canarySplit(4, won.percent);
    expect(canary.spec.replicas).toBe(split.canary);
    expect(deployment('fraud-race').spec.replicas).toBe(split.stable);
    const outcomes = (
      await auditStore.list({ actor: OWNER, action: 'ml.model.rollout' })
    )
      .slice(0, 2)
      .map(e => e.outcome)
      .sort();
    expect(outcomes).toEqual(['failed', 'succeeded']);

    expect(
      (await rollout({ action: 'rollback', name: 'fraud-race' })).status,
    ).toBe(200);
    expect(deployment('fraud-race').spec.replicas).toBe(4);
  });

  it("a canary's GPUs are checked and held like a deploy's: beyond the quota 409 with the numbers, nothing applied", async () => {
    // 2 GPUs × 2 replicas: 4 of the 6 free are held for it
    expect(
      (
        await deploy({
          name: 'fraud-gpu',
          version: 'v1',
          gpus: 2,
          minReplicas: 2,
          maxReplicas: 2,
        })
      ).status,
    ).toBe(201);
    const before = snapshot();
    const all = await rollout({
      action: 'canary',
      name: 'fraud-gpu',
      version: 'v2',
      percent: 100,
    });
    expect(all.status).toBe(409);
    expect(all.body.error.message).toMatch(
      /^2 GPUs per replica × 2 replicas: asked for 4 nvidia.com\/gpu in fraud on plain/,
    );
    expect(snapshot()).toEqual(before);
    expect(await lastAudit()).toMatchObject({
      outcome: 'failed',
      details: { rollout: 'canary', name: 'fraud-gpu', percent: 100 },
    });
    // one replica of 2 GPUs fits the 2 left
    const half = await rollout({
      action: 'canary',
      name: 'fraud-gpu',
      version: 'v2',
      percent: 50,
    });
    expect(half.status).toBe(200);
    expect(deployment('fraud-gpu-canary').spec.replicas).toBe(1);
    expect(
      (await rollout({ action: 'rollback', name: 'fraud-gpu' })).status,
    ).toBe(200);
  });

  it('a failed apply deletes the canary it created and is audited as failed', async () => {
    const before = snapshot();
    plain.setFault({
      status: 500,
      match: r => r.method === 'PATCH' && r.path.includes('/deployments/'),
    });
    try {
      const res = await rollout({
        action: 'canary',
        name: 'fraud-cpu',
        version: 'v2',
        percent: 25,
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body.error.message).toContain(
        'the canary fraud/fraud-cpu-canary was deleted again, nothing changed',
      );
    } finally {
      plain.setFault(null);
    }
    expect(deployment('fraud-cpu-canary')).toBeUndefined();
    expect(snapshot()).toEqual(before);
    expect(await lastAudit()).toMatchObject({
      outcome: 'failed',
      details: { rollout: 'canary', name: 'fraud-cpu', toVersion: 'v2' },
    });
  });

  it("an alert rule's rollback removes a Deployment's canary too", async () => {
    expect(
      (
        await rollout({
          action: 'canary',
          name: 'fraud-cpu',
          version: 'v1',
          percent: 25,
        })
      ).status,
    ).toBe(200);
    const result = await serving.rollbackCanaries({
      entityRef: 'model:default/fraud-detector',
      credentials: mockCredentials.service(),
      trigger: 'ModelCanaryErrors f00d',
    });
    expect(result.failed).toEqual([]);
    expect(result.rolledBack.map(p => p.name)).toEqual(['fraud-cpu']);
    expect(deployment('fraud-cpu-canary')).toBeUndefined();
    expect(deployment('fraud-cpu').spec.replicas).toBe(4);
  });
});

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'rollout of a Deployment: canary vs stable health from Prometheus',
  () => {
    let kube: KubeApiServer;
    let prom: PrometheusHandle;
    let clusters: ClusterService;
    let serving: ServingService;
    const entity: any = {
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: {
        name: 'fraud-detector',
        namespace: 'default',
        annotations: {
          'mlplatform.io/metrics-selector': 'namespace="fraud"',
          'mlplatform.io/metrics-profile': 'openmetrics',
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
      // as the pod scrape job relabels them: revision_name from the pods'
      // mlplatform.io/revision (docs/serving.md); stable 0.1 % errors,
      // canary 20 %
      const revision = (rev: string, ok: number, failed: number) => [
        ...(
          [
            ['200', ok],
            ['500', failed],
          ] as const
        ).map(([code, n]) =>
          openMetricsSeries(
            'model_requests_total',
            { namespace: 'fraud', revision_name: rev, code },
            counter(n),
          ),
        ),
        ...(
          [
            ['0.1', 0.9],
            ['0.25', 1],
            ['+Inf', 1],
          ] as const
        ).map(([le, share]) =>
          openMetricsSeries(
            'model_request_duration_seconds_bucket',
            { namespace: 'fraud', revision_name: rev, le },
            counter(Math.round((ok + failed) * share)),
          ),
        ),
      ];
      [kube, prom] = await Promise.all([
        startKubeApiServer({ seed: [ns('fraud')], crds: [] }),
        startPrometheus({
          backfill: [
            ...revision('fraud-cpu', 999, 1),
            ...revision('fraud-cpu-canary', 80, 20),
          ].join(''),
        }),
      ]);
      // the objects a deploy and a canary at 25 % of 4 replicas make
      const [stable, service] = buildDeploymentObjects({
        request: modelDeploymentRequestSchema.parse({
          cluster: 'plain',
          namespace: 'fraud',
          name: 'fraud-cpu',
          version: 'v1',
          gpus: 0,
          minReplicas: 4,
          maxReplicas: 4,
        }),
        model: { namespace: 'default', name: 'fraud-detector' },
        storageUri: 'models:/fraud-detector/1',
        modelFormat: 'sklearn',
        deployedBy: OWNER,
      });
      const canary = buildCanaryDeployment({
        stable: stable as any,
        version: 'v2',
        storageUri: 'models:/fraud-detector/2',
        stableVersion: 'v1',
        replicas: 1,
        stableReplicas: 4,
        deployedBy: OWNER,
      });
      const { spec } = stable as any;
      for (const o of [
        { ...stable, spec: { ...spec, replicas: 3 } },
        service,
        canary,
      ]) {
        const { resource: _resource, ...object } = o as any;
        await kube.create(object);
      }
      clusters = ClusterService.create({
        clusters: [
          {
            name: 'plain',
            url: kube.url,
            token: kube.token,
            caData: kube.caData,
            serviceAccount: false,
            skipTLSVerify: false,
          },
        ],
        settings: {
          teamLabel: 'mlplatform.io/team',
          refreshSeconds: 60,
          requestTimeoutMs: 2000,
        },
      });
      serving = ServingService.create({
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
        health: ModelHealthService.create({
          prometheus: PrometheusClient.create({ url: prom.url }),
          profiles: new Map(Object.entries(builtInMetricsProfiles)),
          logger: mockServices.logger.mock(),
        }),
        ttlMs: 0,
      });
    });
    afterAll(async () => {
      clusters?.close();
      await Promise.all([kube?.stop(), prom?.stop()]);
    });

    it('judges the canary Deployment and the stable one side by side', async () => {
      const { places } = await serving.getServing(
        entity,
        'model:default/fraud-detector',
      );
      expect(places).toHaveLength(1);
      const [place] = places;
      expect(place.canary).toEqual({
        percent: 25,
        version: 'v2',
        stableVersion: 'v1',
      });
      const [canary, stable] = place.traffic;
      expect(canary).toMatchObject({
        revision: 'fraud-cpu-canary',
        role: 'canary',
        percent: 25,
      });
      expect(stable).toMatchObject({
        revision: 'fraud-cpu',
        role: 'stable',
        percent: 75,
      });
      expect(canary.health!.errorRate).toBeCloseTo(0.2, 2);
      expect(canary.health!.verdict).toBe('failing');
      expect(stable.health!.errorRate).toBeCloseTo(0.001, 3);
      expect(stable.health!.verdict).toBe('healthy');
      expect(stable.health!.p95).toBeGreaterThan(0);
    });
  },
);
