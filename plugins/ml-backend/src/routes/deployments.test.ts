/*
 * Deploying a model version against test API servers (one with the KServe
 * CRD, one without) and a real OCI registry for the versions: what lands on
 * the cluster, what the Serving card then shows, and every refusal with
 * nothing applied.
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
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import express from 'express';
import { sampleTeamPolicy } from '../__testUtils__/samplePolicy';
import { mlStores, registryModel } from '../__testUtils__/servingSeeds';
import request from 'supertest';
import { gpuPod, ns } from '../__testUtils__/kubeSeeds';
import { AuditStore } from '../database/AuditStore';
import { GpuReservationStore } from '../database/GpuReservationStore';
import { MlAuditor } from '../services/audit/MlAuditor';
import { ClusterService } from '../services/kubernetes/ClusterService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import { RegistryService } from '../services/registry/RegistryService';
import { ServingService } from '../services/serving/ServingService';
import { createServingRouter } from './serving';

jest.setTimeout(60_000);

const OWNER = 'user:default/ada';
const OUTSIDER = 'user:default/mallory';
const KSERVE = 'serving.kserve.io/v1beta1';

/** A team namespace with an 8-GPU quota of which 2 are in use: 6 free. */
const teamNamespace = (name: string, team: string) => [
  ns(name, { 'mlplatform.io/team': team }),
  {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'gpu-quota', namespace: name },
    spec: { hard: { 'requests.nvidia.com/gpu': '8' } },
  },
  gpuPod(name, 'train-1', { 'nvidia.com/gpu': '2' }),
];

describeIfBinary(serverBinaries.registry)('model deployments', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let registry: RegistryHandle;
  let kserve: KubeApiServer;
  let plain: KubeApiServer;
  let clusters: ClusterService;
  let app: express.Express;
  let auditStore: AuditStore;
  let reservations: GpuReservationStore;

  beforeAll(async () => {
    registry = await startRegistry();
    for (const tag of ['v1', 'v2']) {
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
    const seed = [
      ...teamNamespace('fraud', 'fraud-team'),
      ...teamNamespace('ranking', 'ranking-team'),
      ns('sandbox'),
    ];
    [kserve, plain] = await Promise.all([
      startKubeApiServer({ seed }),
      startKubeApiServer({ seed, crds: [] }),
    ]);
    const cluster = (name: string, s: KubeApiServer) => ({
      name,
      url: s.url,
      token: s.token,
      caData: s.caData,
      serviceAccount: false,
      skipTLSVerify: false,
    });
    clusters = ClusterService.create({
      clusters: [cluster('kserve', kserve), cluster('plain', plain)],
      settings: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 60,
        requestTimeoutMs: 2000,
      },
    });
    const quotas = new QuotaService(clusters);
    const knex = await databases.init('SQLITE_3');
    ({ auditStore, reservations } = await mlStores(knex));
    const catalog = catalogServiceMock({
      entities: [registryModel(registry.host)],
    });
    const claimsOf = (user: string) =>
      user === OWNER ? [OWNER, 'group:default/fraud-team'] : [user];
    const serving = ServingService.create({
      clusters,
      quotas,
      reservations,
      catalog,
      registryService: RegistryService.create({
        registries: [{ name: 'local', type: 'oci', url: registry.url }],
        logger: mockServices.logger.mock(),
      }),
      // The sample policy's decision (members of the namespace's owning
      // team), on the namespace as read from the cluster.
      ...sampleTeamPolicy({ claimsOf, quotas }),
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
    await Promise.all([registry?.stop(), kserve?.stop(), plain?.stop()]);
  });

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });
  const deploy = (body: object, user = OWNER) =>
    request(app)
      .post('/models/default/fraud-detector/deployments')
      .set(as(user))
      .send(body);
  const servingPlaces = async () => {
    const res = await request(app)
      .get('/models/default/fraud-detector/serving')
      .set(as(OUTSIDER));
    expect(res.status).toBe(200);
    return res.body.places;
  };
  const BODY = {
    cluster: 'kserve',
    namespace: 'fraud',
    version: 'v2',
    gpus: 1,
    minReplicas: 1,
    maxReplicas: 3,
  };
  const lastAudit = async (actor = OWNER) => {
    const [event] = await auditStore.list({ actor });
    return event;
  };
  const objectsIn = (s: KubeApiServer, namespace: string) =>
    [
      s.list('apps/v1', 'Deployment', namespace),
      s.list('v1', 'Service', namespace),
      s.list('autoscaling/v2', 'HorizontalPodAutoscaler', namespace),
      ...(s === kserve ? [s.list(KSERVE, 'InferenceService', namespace)] : []),
    ].flat();

  it('serves a version as a KServe InferenceService where the cluster has KServe, and the Serving card shows it', async () => {
    const res = await deploy({ ...BODY, name: 'fraud-isvc' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      entityRef: 'model:default/fraud-detector',
      dryRun: false,
      kind: 'InferenceService',
      version: 'v2',
      storageUri: `oci://${registry.host}/models/fraud-detector:v2`,
      gpus: { perReplica: 1, total: 3, resource: 'nvidia.com/gpu' },
      place: { cluster: 'kserve', name: 'fraud-isvc', version: 'v2' },
    });
    const live = kserve.get(
      KSERVE,
      'InferenceService',
      'fraud',
      'fraud-isvc',
    ) as any;
    expect(live.metadata.labels).toMatchObject({
      'mlplatform.io/model': 'fraud-detector',
      'mlplatform.io/model-namespace': 'default',
    });
    expect(live.spec.predictor).toMatchObject({
      minReplicas: 1,
      maxReplicas: 3,
      model: {
        modelFormat: { name: 'onnx' },
        protocolVersion: 'v2',
        storageUri: `oci://${registry.host}/models/fraud-detector:v2`,
        resources: { limits: { 'nvidia.com/gpu': '1' } },
      },
    });
    expect(res.body.manifests).toEqual([
      expect.objectContaining({ kind: 'InferenceService', spec: live.spec }),
    ]);
    const places = await servingPlaces();
    expect(places).toContainEqual(
      expect.objectContaining({
        cluster: 'kserve',
        namespace: 'fraud',
        name: 'fraud-isvc',
        kind: 'InferenceService',
        version: 'v2',
        replicas: { desired: 1, max: 3 },
      }),
    );
    expect(await lastAudit()).toMatchObject({
      action: 'ml.model.deploy',
      outcome: 'succeeded',
      targetRef: 'model:default/fraud-detector',
      details: { cluster: 'kserve', name: 'fraud-isvc', version: 'v2' },
    });
  });

  it('serves a version as a Deployment + Service (+ autoscaler) where the cluster has no KServe', async () => {
    const res = await deploy({
      ...BODY,
      cluster: 'plain',
      name: 'fraud-plain',
      runtime: 'vllm-openai',
      version: 'v1',
    });
    expect(res.status).toBe(201);
    expect(res.body.kind).toBe('Deployment');
    expect(res.body.manifests.map((m: any) => m.kind)).toEqual([
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
    ]);
    const d = plain.get('apps/v1', 'Deployment', 'fraud', 'fraud-plain') as any;
    expect(d.metadata.labels['mlplatform.io/model']).toBe('fraud-detector');
    expect(d.spec.replicas).toBe(1);
    const [container] = d.spec.template.spec.containers;
    expect(container.image).toMatch(/vllm-openai/);
    expect(container.env).toContainEqual({
      name: 'STORAGE_URI',
      value: `oci://${registry.host}/models/fraud-detector:v1`,
    });
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    const svc = plain.get('v1', 'Service', 'fraud', 'fraud-plain') as any;
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
    const hpa = plain.get(
      'autoscaling/v2',
      'HorizontalPodAutoscaler',
      'fraud',
      'fraud-plain',
    ) as any;
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3 });
    expect(await servingPlaces()).toContainEqual(
      expect.objectContaining({
        cluster: 'plain',
        name: 'fraud-plain',
        kind: 'Deployment',
        version: 'v1',
      }),
    );
  });

  it('a dry run checks everything and returns the manifests, applying nothing', async () => {
    const before = objectsIn(kserve, 'fraud').length;
    const res = await deploy({ ...BODY, name: 'fraud-dry', dryRun: true });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.place).toBeUndefined();
    expect(res.body.manifests[0].metadata.name).toBe('fraud-dry');
    expect(objectsIn(kserve, 'fraud')).toHaveLength(before);
  });

  it('refuses bad input with 400 naming the field, and applies nothing', async () => {
    const before = objectsIn(kserve, 'fraud').length;
    const cases: Array<[object, string]> = [
      [
        { ...BODY, name: 'x', version: 'v9' },
        `Invalid body: version: v9 is not a version of model:default/fraud-detector in oci://${registry.host}/models/fraud-detector; known: v2, v1`,
      ],
      [
        { ...BODY, name: 'x', minReplicas: 4, maxReplicas: 2 },
        'minReplicas: must not be more than maxReplicas',
      ],
      [{ ...BODY, name: 'Fraud_Server' }, 'name: must be a DNS-1123 label'],
      [{ ...BODY, name: 'x', runtime: 'triton' }, 'runtime: must be one of'],
      [{ ...BODY, name: 'x', gpus: 1.5 }, 'gpus: must be a whole number'],
    ];
    for (const [body, message] of cases) {
      const res = await deploy(body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect(objectsIn(kserve, 'fraud')).toHaveLength(before);
    expect(await lastAudit()).toMatchObject({
      outcome: 'refused',
      details: { version: 'v9' },
    });
  });

  it('refuses GPUs × max replicas beyond free + borrowable with 409 and the numbers', async () => {
    const before = objectsIn(kserve, 'fraud').length;
    // 4 × 3 = 12 of a quota of 8; of its 6 free, the 3 of fraud-isvc
    // stay promised: no controller here starts its pods for the quota to count.
    const res = await deploy({ ...BODY, name: 'fraud-big', gpus: 4 });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      '4 GPUs per replica × 3 replicas: asked for 12 nvidia.com/gpu in fraud on kserve; 3 free, 0 borrowable',
    );
    expect(objectsIn(kserve, 'fraud')).toHaveLength(before);
    expect(await lastAudit()).toMatchObject({
      outcome: 'refused',
      details: { name: 'fraud-big', gpus: 4, maxReplicas: 3 },
    });
  });

  it('says which cluster or namespace does not exist, and that a namespace without a team cannot be spent', async () => {
    const cases: Array<[object, number, string]> = [
      [
        { cluster: 'nowhere' },
        404,
        'unknown cluster "nowhere"; known clusters: kserve, plain',
      ],
      [
        { namespace: 'missing' },
        404,
        'namespace missing does not exist on cluster kserve',
      ],
      [
        { namespace: 'sandbox' },
        400,
        'namespace sandbox on kserve has no owning team',
      ],
    ];
    for (const [where, status, message] of cases) {
      const res = await deploy({ ...BODY, name: 'lost', ...where });
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
      expect(await lastAudit()).toMatchObject({
        outcome: 'refused',
        details: { name: 'lost', ...where },
      });
    }
    expect(objectsIn(kserve, 'sandbox')).toEqual([]);
  });

  it("refuses a namespace the caller's team does not own with 403, applying nothing", async () => {
    const before = objectsIn(kserve, 'ranking').length;
    const res = await deploy({ ...BODY, namespace: 'ranking', name: 'nope' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'user:default/ada is not a member of group:default/ranking-team, which owns namespace ranking on kserve',
    );
    expect(objectsIn(kserve, 'ranking')).toHaveLength(before);
    expect(await lastAudit()).toMatchObject({
      action: 'ml.model.deploy',
      outcome: 'refused',
      details: { namespace: 'ranking', name: 'nope' },
    });
  });

  it('a failed apply of the Service deletes the Deployment created before it, audited as failed', async () => {
    plain.setFault({
      status: 500,
      match: r => r.method === 'POST' && r.path.endsWith('/services'),
    });
    try {
      const res = await deploy({
        ...BODY,
        cluster: 'plain',
        name: 'fraud-half',
      });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain(
        'nothing was left on the cluster',
      );
    } finally {
      plain.setFault(null);
    }
    expect(
      plain.get('apps/v1', 'Deployment', 'fraud', 'fraud-half'),
    ).toBeUndefined();
    expect(plain.get('v1', 'Service', 'fraud', 'fraud-half')).toBeUndefined();
    expect(await lastAudit()).toMatchObject({
      outcome: 'failed',
      details: { name: 'fraud-half', rolledBack: ['Deployment/fraud-half'] },
    });
  });

  it('an existing object of that name is a 409, and the existing one is left as it was', async () => {
    const before = kserve.get(
      KSERVE,
      'InferenceService',
      'fraud',
      'fraud-isvc',
    ) as any;
    const res = await deploy({ ...BODY, name: 'fraud-isvc', version: 'v1' });
    expect(res.status).toBe(409);
    const after = kserve.get(
      KSERVE,
      'InferenceService',
      'fraud',
      'fraud-isvc',
    ) as any;
    expect(after.metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });
});
