/*
 * The ML actions through the real MCP actions backend: an MCP client's
 * JSON-RPC over streamable HTTP (`POST /api/mcp-actions/v1`) with a user's
 * token, the real actions service and registry (the ml plugin's
 * `/.backstage/actions` endpoints, called on behalf of the user), the real
 * ML backend against the test Kubernetes API server seeded from
 * examples/kube, the real catalog with examples/ml, the real permission
 * backend with the owning-team policy, a real OCI registry and Prometheus.
 * Every answer is compared with the HTTP API's for the same input.
 */
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import {
  KubeApiServer,
  loadManifests,
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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { oboAuthServiceFactory } from '../permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from '../permissions/__testUtils__/testPolicy';
import { mlPlugin } from '../plugin';
import { userInfoServiceFactory, asUser } from '../__testUtils__/testUsers';

jest.setTimeout(120_000);

const EXAMPLES = path.resolve(__dirname, '../../../../examples');
const ADA = 'user:default/ada';
const EVE = 'user:default/eve';
const GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [EVE]: ['group:default/nlp-team'],
};

const userInfoFactory = userInfoServiceFactory(GROUPS);

const as = asUser;

const TOOLS = [
  'ml.compare-runs',
  'ml.create-notebook',
  'ml.deploy-model',
  'ml.estimate-queue-wait',
  'ml.explain-pending-workload',
  'ml.get-gpu-quota',
  'ml.get-idle-notebooks',
  'ml.get-logs',
  'ml.get-model-health',
  'ml.get-model-serving',
  'ml.get-queue-history',
  'ml.gpu-hours',
  'ml.list-model-versions',
  'ml.promote-model-version',
  'ml.rollout-model',
  'ml.start-pipeline-run',
];

describeIfBinary([
  serverBinaries.registry,
  serverBinaries.prometheus,
  serverBinaries.promtool,
])('ML actions over MCP', () => {
  let kube: KubeApiServer;
  let registry: RegistryHandle;
  let prom: PrometheusHandle;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let dir: string;
  let rpcId = 0;

  /** One JSON-RPC request to the MCP endpoint, as an MCP client sends it. */
  async function mcp(user: string, method: string, params?: object) {
    const id = ++rpcId;
    const res = await request(backend.server)
      .post('/api/mcp-actions/v1')
      .set(as(user))
      .set('Accept', 'application/json, text/event-stream')
      .set('Content-Type', 'application/json')
      .send({ jsonrpc: '2.0', id, method, params });
    expect(res.status).toBe(200);
    // Streamable HTTP answers with one SSE `message` event.
    const data = res.text
      .split('\n')
      .filter(l => l.startsWith('data: '))
      .map(l => JSON.parse(l.slice(6)));
    expect(data).toHaveLength(1);
    expect(data[0].id).toBe(id);
    return data[0];
  }

  async function call(user: string, tool: string, args: object) {
    const { result, error } = await mcp(user, 'tools/call', {
      name: tool,
      arguments: args,
    });
    expect(error).toBeUndefined();
    return result as {
      isError?: boolean;
      content: Array<{ type: string; text: string }>;
      structuredContent?: any;
    };
  }

  beforeAll(async () => {
    const last = Math.floor(Date.now() / 1000) - 20;
    const minutes = Array.from({ length: 31 }, (_, i) => i);
    const at = (i: number) => last - (30 - i) * 60;
    const counter = (perMinute: number) =>
      minutes.map(i => [at(i), i * perMinute] as [number, number]);
    const labels = { namespace: 'fraud', model: 'mcp-model', pod: 'p-0' };
    const buckets: Array<[string, number]> = [
      ['0.1', 10],
      ['0.25', 30],
      ['0.5', 80],
      ['1', 100],
      ['+Inf', 100],
    ];
    [kube, registry, prom] = await Promise.all([
      startKubeApiServer({
        seed: loadManifests(
          fs.readFileSync(
            path.join(EXAMPLES, 'kube/gpu-cluster-a.yaml'),
            'utf8',
          ),
        ),
        controllers: false,
      }),
      startRegistry(),
      startPrometheus({
        backfill: [
          ...buckets.map(([le, perMinute]) =>
            openMetricsSeries(
              'model_request_duration_seconds_bucket',
              { ...labels, le },
              counter(perMinute),
            ),
          ),
          openMetricsSeries(
            'model_requests_total',
            { ...labels, code: '200' },
            counter(98),
          ),
          openMetricsSeries(
            'model_requests_total',
            { ...labels, code: '500' },
            counter(2),
          ),
        ].join(''),
      }),
    ]);
    for (const [tag, auc] of [
      ['v1', 0.91],
      ['v2', 0.95],
    ] as const) {
      await pushModel({
        registry: registry.url,
        repository: 'models/mcp-model',
        tag,
        file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
        framework: 'onnx',
        metrics: { auc },
        pipelineRun: `run-${tag}`,
        aliases: tag === 'v2' ? ['production'] : [],
        created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
      });
    }

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-mcp-test-'));
    const testFile = path.join(dir, 'mcp-model.yaml');
    fs.writeFileSync(
      testFile,
      JSON.stringify({
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'Model',
        metadata: {
          name: 'mcp-model',
          annotations: {
            'mlplatform.io/registry-ref': `oci://${registry.host}/models/mcp-model`,
            'mlplatform.io/metrics-selector':
              'namespace="fraud", model="mcp-model"',
          },
        },
        spec: {
          type: 'classifier',
          lifecycle: 'production',
          owner: 'fraud-team',
          slo: { latencyP95Ms: 1000, errorRate: 0.01 },
        },
      }),
    );
    const files = [
      path.join(EXAMPLES, 'org.yaml'),
      ...['org', 'fraud', 'recsys', 'nlp', 'gpu-quotas'].map(f =>
        path.join(EXAMPLES, `ml/${f}.yaml`),
      ),
      testFile,
    ];

    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleMlEntityModel,
        mlPlugin,
        mcpActionsPlugin,
        permissionPlugin,
        mlTestPolicyModule(),
        oboAuthServiceFactory,
        userInfoFactory,
        // The real actions registry and actions service, not the mocks
        // startTestBackend installs: the MCP backend reaches the ml plugin's
        // actions over HTTP on behalf of the caller, as in production.
        actionsRegistryServiceFactory,
        actionsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            backend: { actions: { pluginSources: ['catalog', 'ml'] } },
            catalog: {
              rules: [
                {
                  allow: [
                    ...['Component', 'API', 'System', 'Resource', 'Location'],
                    ...['User', 'Group', 'Model', 'Dataset', 'Pipeline'],
                    'GpuQuota',
                  ],
                },
              ],
              locations: files.map(target => ({ type: 'file', target })),
            },
            ml: {
              kubernetes: {
                requestTimeoutSeconds: 5,
                clusters: [
                  {
                    name: 'gpu-cluster-a',
                    url: kube.url,
                    token: kube.token,
                    caData: kube.caData,
                  },
                ],
              },
              registries: [{ name: 'local', type: 'oci', url: registry.url }],
              prometheus: { url: prom.url },
            },
          },
        }),
      ],
    });
    const needed = [
      'model/default/mcp-model',
      'pipeline/default/fraud-detector-training',
      'gpuquota/default/fraud-gpu-quota',
    ];
    const deadline = Date.now() + 60_000;
    for (const ref of needed) {
      for (;;) {
        const res = await request(backend.server)
          .get(`/api/catalog/entities/by-name/${ref}`)
          .set(as(ADA));
        if (res.status === 200) break;
        if (Date.now() > deadline) throw new Error(`${ref} never arrived`);
        await new Promise(r => setTimeout(r, 250));
      }
    }
  });

  afterAll(async () => {
    await backend?.stop();
    await Promise.all([kube?.stop(), registry?.stop(), prom?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('initializes and lists the nine ML tools with their input schemas', async () => {
    const init = await mcp(ADA, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'jest', version: '1' },
    });
    expect(init.result.serverInfo.name).toBe('backstage');
    expect(init.result.capabilities.tools).toBeDefined();

    const { result } = await mcp(ADA, 'tools/list');
    const tools = result.tools.filter((t: any) => t.name.startsWith('ml.'));
    expect(tools.map((t: any) => t.name).sort()).toEqual(TOOLS);
    // The catalog's actions are served alongside.
    expect(result.tools.length).toBeGreaterThan(tools.length);
    const byName = Object.fromEntries(tools.map((t: any) => [t.name, t]));
    const create = byName['ml.create-notebook'];
    expect(create.inputSchema.required.sort()).toEqual(['gpus', 'name']);
    // The notebook template's defaults, so "a notebook with 1 GPU" suffices.
    expect(create.inputSchema.properties.image.default).toBe(
      'quay.io/jupyter/pytorch-notebook:2024-12-02',
    );
    expect(create.inputSchema.properties.cpu.default).toBe('4');
    expect(create.inputSchema.properties.memory.default).toBe('16Gi');
    expect(create.inputSchema.additionalProperties).toBe(false);
    expect(create.inputSchema.properties.gpus.type).toBe('integer');
    expect(create.description).toMatch(/free \+ borrowable/);
    expect(create.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
    });
    expect(byName['ml.get-model-health'].annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
    });
    // Repointing production is a change an assistant should confirm.
    expect(byName['ml.promote-model-version'].annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    // So is starting a server that spends a team's GPUs.
    expect(byName['ml.deploy-model'].annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: true,
    });
    expect(
      byName['ml.promote-model-version'].inputSchema.required.sort(),
    ).toEqual(['alias', 'model', 'version']);
    expect(byName['ml.explain-pending-workload'].inputSchema.required).toEqual([
      'cluster',
      'namespace',
    ]);

    // The same list on the ml plugin's own actions endpoint.
    const own = await request(backend.server)
      .get('/api/ml/.backstage/actions/v1/actions')
      .set(as(ADA));
    expect(own.status).toBe(200);
    expect(own.body.actions.map((a: any) => a.id).sort()).toEqual(
      TOOLS.map(t => t.replace('ml.', 'ml:')),
    );
  });

  it('get-model-health gives the verdict and values of the HTTP API', async () => {
    const http = await request(backend.server)
      .get('/api/ml/models/default/mcp-model/health?window=30m')
      .set(as(ADA));
    expect(http.status).toBe(200);
    const result = await call(ADA, 'ml.get-model-health', {
      model: 'mcp-model',
      window: '30m',
    });
    expect(result.isError).toBeFalsy();
    const health = result.structuredContent;
    // p95 = 0.5 + 0.5 * 15 / 20 = 0.875 s (SLO 1000 ms: met); error rate
    // 2 / 100 misses 0.01 by at most 2x: degraded.
    expect(health.current.p95).toBeCloseTo(0.875, 3);
    expect(health.current.errorRate).toBeCloseTo(0.02, 5);
    expect(health.verdict).toBe('degraded');
    expect(health).toEqual({
      entityRef: http.body.entityRef,
      verdict: http.body.verdict,
      ...(http.body.reason ? { reason: http.body.reason } : {}),
      window: '30m',
      profile: http.body.profile,
      objectives: http.body.objectives,
      current: http.body.current,
      alerts: http.body.alerts,
      prometheus: http.body.prometheus,
      alertmanager: http.body.alertmanager,
      checkedAt: http.body.checkedAt,
    });
    expect(health.series).toBeUndefined();
    expect(JSON.parse(result.content[0].text)).toEqual(health);

    const missing = await call(ADA, 'ml.get-model-health', {
      model: 'model:default/nope',
    });
    expect(missing.isError).toBe(true);
    expect(missing.content[0].text).toBe(
      'NotFoundError: No Model default/nope in the catalog',
    );
    const badWindow = await call(ADA, 'ml.get-model-health', {
      model: 'mcp-model',
      window: '9y',
    });
    const httpBad = await request(backend.server)
      .get('/api/ml/models/default/mcp-model/health?window=9y')
      .set(as(ADA));
    expect(httpBad.status).toBe(400);
    expect(badWindow.content[0].text).toBe(
      `InputError: ${httpBad.body.error.message}`,
    );
  });

  it('list-model-versions gives the HTTP API answer', async () => {
    const http = await request(backend.server)
      .get('/api/ml/models/default/mcp-model/versions')
      .set(as(ADA));
    expect(http.status).toBe(200);
    const result = await call(ADA, 'ml.list-model-versions', {
      model: 'default/mcp-model',
    });
    expect(result.structuredContent).toEqual(http.body);
    expect(
      result.structuredContent.versions.map((v: any) => [
        v.version,
        v.aliases,
        v.metrics.auc,
      ]),
    ).toEqual([
      ['v2', ['production'], 0.95],
      ['v1', [], 0.91],
    ]);
  });

  it('get-gpu-quota gives the numbers of GET /quotas', async () => {
    const http = await request(backend.server)
      .get('/api/ml/quotas?cluster=gpu-cluster-a&team=recsys-team')
      .set(as(ADA));
    expect(http.status).toBe(200);
    const result = await call(ADA, 'ml.get-gpu-quota', {
      cluster: 'gpu-cluster-a',
      team: 'recsys-team',
    });
    expect(result.structuredContent).toEqual(http.body);
    const [recsys] = result.structuredContent.quotas;
    expect(recsys).toMatchObject({
      namespace: 'recsys',
      clusterQueue: 'recsys-cq',
      cohort: 'ml-shared',
    });
    expect(recsys.resources[0]).toMatchObject({
      resource: 'nvidia.com/gpu',
      hard: 16,
      used: 16,
      free: 0,
      borrowable: 4,
    });

    const bad = await call(ADA, 'ml.get-gpu-quota', { namespace: 'Not_DNS' });
    const httpBad = await request(backend.server)
      .get('/api/ml/quotas?namespace=Not_DNS')
      .set(as(ADA));
    expect(httpBad.status).toBe(400);
    expect(bad.content[0].text).toBe(
      `InputError: ${httpBad.body.error.message}`,
    );
  });

  it('get-idle-notebooks says what GET /notebooks/idle says, and refuses what it refuses', async () => {
    // This Prometheus has no DCGM series: both say so, with what to do.
    const http = await request(backend.server)
      .get('/api/ml/notebooks/idle?mine=true')
      .set(as(ADA));
    expect(http.status).toBe(200);
    const result = await call(ADA, 'ml.get-idle-notebooks', { mine: true });
    expect(result.isError).toBeFalsy();
    const { summary, notebooks, ...cycle } = result.structuredContent;
    const { items, checkedAt: _at, ...httpCycle } = http.body;
    expect({ ...cycle, checkedAt: undefined }).toEqual({
      ...httpCycle,
      checkedAt: undefined,
    });
    expect(cycle.status).toBe('no-dcgm');
    expect(cycle.message).toContain('DCGM');
    expect([summary, notebooks, items]).toEqual([[], [], []]);

    const bad = await call(ADA, 'ml.get-idle-notebooks', {
      namespace: 'Not_DNS',
    });
    const httpBad = await request(backend.server)
      .get('/api/ml/notebooks/idle?namespace=Not_DNS')
      .set(as(ADA));
    expect(httpBad.status).toBe(400);
    expect(bad.content[0].text).toBe(
      `InputError: ${httpBad.body.error.message}`,
    );
  });

  it('explain-pending-workload explains each pending Workload from the quota numbers', async () => {
    const quotas = await request(backend.server)
      .get('/api/ml/quotas?cluster=gpu-cluster-a&namespace=recsys')
      .set(as(ADA));
    const pending = quotas.body.quotas.flatMap((q: any) => q.pending);
    expect(pending.length).toBeGreaterThan(0);

    const result = await call(ADA, 'ml.explain-pending-workload', {
      cluster: 'gpu-cluster-a',
      namespace: 'recsys',
    });
    expect(result.isError).toBeFalsy();
    const out = result.structuredContent;
    expect(out.workloads.map((w: any) => w.name)).toEqual(
      pending.map((p: any) => p.name),
    );
    expect(out.summary).toBe(
      `${pending.length} workload(s) waiting for GPUs in recsys on gpu-cluster-a.`,
    );
    const hpo = out.workloads.find(
      (w: any) => w.name === 'job-product-ranker-hpo-1a9e4',
    );
    expect(hpo).toMatchObject({
      kind: 'Workload',
      queue: 'recsys-lq',
      quota: {
        source: 'kueue',
        clusterQueue: 'recsys-cq',
        cohort: 'ml-shared',
      },
      reason: 'QuotaReserved=False',
      requested: { 'nvidia.com/gpu': 8 },
      resources: [
        {
          resource: 'nvidia.com/gpu',
          requested: 8,
          flavor: 'a100-80gb',
          free: 0,
          borrowable: 4,
        },
      ],
    });
    expect(hpo.message).toMatch(
      /insufficient unused quota for nvidia.com\/gpu/,
    );
    expect(hpo.explanation).toBe(
      'job-product-ranker-hpo-1a9e4 asks for 8 nvidia.com/gpu; the recsys-cq ClusterQueue has 0 nvidia.com/gpu free (flavor a100-80gb) and can borrow 4 from cohort ml-shared, so it waits until 4 more nvidia.com/gpu are released. It is next in line in recsys-cq.',
    );
    // the place in line from Kueue's visibility API, and the reason in plain words
    expect(hpo).toMatchObject({
      positionInClusterQueue: 0,
      positionInLocalQueue: 0,
      plainReason:
        "Waiting: the team's queue needs 4 more A100-80GB GPUs than are free; it is next in line",
    });

    const one = await call(ADA, 'ml.explain-pending-workload', {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      workload: 'nothing-here',
    });
    expect(one.structuredContent).toEqual({
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      summary:
        'nothing-here is not waiting for GPUs in fraud on gpu-cluster-a: it is admitted, finished, or does not exist.',
      workloads: [],
    });
    const unknown = await call(ADA, 'ml.explain-pending-workload', {
      cluster: 'gpu-cluster-z',
      namespace: 'fraud',
    });
    expect(unknown.content[0].text).toBe(
      'NotFoundError: unknown cluster "gpu-cluster-z"; known clusters: gpu-cluster-a',
    );
  });

  describe('create-notebook', () => {
    const notebook = (name: string, extra: object = {}) => ({
      name,
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
      cpu: '2',
      memory: '8Gi',
      gpus: 1,
      ...extra,
    });
    const created = (name: string) =>
      kube.get('kubeflow.org/v1', 'Notebook', 'fraud', name) ??
      kube.get('apps/v1', 'StatefulSet', 'fraud', name);

    it('creates a notebook within quota as the caller, audited', async () => {
      const result = await call(ADA, 'ml.create-notebook', notebook('nb-mcp'));
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        name: 'nb-mcp',
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        createdBy: ADA,
        gpus: 1,
        gpuResource: 'nvidia.com/gpu',
        phase: 'Pending',
      });
      expect(created('nb-mcp')).toBeDefined();

      // The same notebook the UI lists, and the same audit record.
      const list = await request(backend.server)
        .get('/api/ml/notebooks')
        .set(as(ADA));
      expect(list.body.items.map((n: any) => n.name)).toContain('nb-mcp');
      const audit = await request(backend.server)
        .get('/api/ml/audit?action=ml.notebook.create')
        .set(as(ADA));
      expect(audit.status).toBe(200);
      expect(JSON.stringify(audit.body)).toContain(
        'notebook:gpu-cluster-a/fraud/nb-mcp',
      );
    });

    it('refuses more GPUs than the team has, with the HTTP 409 sentence, creating nothing', async () => {
      const input = notebook('nb-greedy', { gpus: 64 });
      const http = await request(backend.server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send(input);
      expect(http.status).toBe(409);
      const result = await call(ADA, 'ml.create-notebook', input);
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toBe(
        `ConflictError: ${http.body.error.message}`,
      );
      expect(http.body.error.message).toMatch(
        /^asked for 64 nvidia\.com\/gpu in fraud on gpu-cluster-a; \d+ free, 0 borrowable$/,
      );
      expect(created('nb-greedy')).toBeUndefined();
    });

    it('refuses a non-member of the owning team as the HTTP API does', async () => {
      const input = notebook('nb-eve');
      const http = await request(backend.server)
        .post('/api/ml/notebooks')
        .set(as(EVE))
        .send(input);
      expect(http.status).toBe(403);
      const result = await call(EVE, 'ml.create-notebook', input);
      expect(result.content[0].text).toBe(
        `NotAllowedError: ${http.body.error.message}`,
      );
      expect(http.body.error.message).toBe(
        'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
      );
      expect(created('nb-eve')).toBeUndefined();
    });

    it('concurrent MCP creations never promise more than free + borrowable GPUs; the losers are told why', async () => {
      const quota = await call(ADA, 'ml.get-gpu-quota', {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
      });
      const [gpu] = quota.structuredContent.quotas[0].resources;
      // Free and borrowable less what the notebooks of earlier tests still
      // being created hold (shown as promised).
      const available = gpu.free + gpu.borrowable;
      const promisedBefore = gpu.promised ?? 0;
      const names = Array.from(
        { length: available + 3 },
        (_, i) => `nb-race-${i}`,
      );
      const answers = await Promise.all(
        names.map(name =>
          call(ADA, 'ml.create-notebook', notebook(name)).then(r =>
            r.isError ? r.content[0].text : 'created',
          ),
        ),
      );
      const won = names.filter((_, i) => answers[i] === 'created');
      const lost = answers.filter(x => x !== 'created');
      // Every GPU the quota had free is promised (to the winners and to the
      // notebooks of earlier tests still being created), none beyond.
      expect(won.length).toBeGreaterThan(0);
      expect(won.length).toBeLessThanOrEqual(available);
      expect(lost).toHaveLength(names.length - won.length);
      for (const a of lost) {
        expect(a).toBe(
          `ConflictError: asked for 1 nvidia.com/gpu in fraud on gpu-cluster-a; 0 free, 0 borrowable; ${
            won.length + promisedBefore
          } promised to notebooks being created or started`,
        );
      }
      // The quota tool now shows them promised, none left free.
      const after = await call(ADA, 'ml.get-gpu-quota', {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
      });
      expect(after.structuredContent.quotas[0].resources[0]).toEqual(
        expect.objectContaining({
          free: 0,
          borrowable: 0,
          promised: won.length + promisedBefore,
        }),
      );
      for (const name of names) {
        expect(created(name) !== undefined).toBe(won.includes(name));
      }
      for (const name of won) {
        const gone = await request(backend.server)
          .delete(`/api/ml/notebooks/gpu-cluster-a/fraud/${name}`)
          .set(as(ADA));
        expect(gone.status).toBe(204);
      }
    });

    it('refuses bad input with the zod error and creates nothing', async () => {
      const creates = () =>
        kube.requests.filter(r => r.verb === 'create').length;
      const before = creates();
      // Passes the tool's schema, fails the shared request validation.
      const input = notebook('nb-bad', { cpu: 'lots', gpus: -1 });
      const http = await request(backend.server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send(input);
      expect(http.status).toBe(400);
      const result = await call(ADA, 'ml.create-notebook', input);
      expect(result.content[0].text).toBe(
        `InputError: ${http.body.error.message}`,
      );
      expect(http.body.error.message).toMatch(
        /^Invalid notebook: cpu: .*gpus: /,
      );

      // Fails the tool's own schema (wrong type, unknown key).
      const typed = await call(ADA, 'ml.create-notebook', {
        ...notebook('nb-typed'),
        gpus: 'two',
      });
      expect(typed.isError).toBe(true);
      // The tool's zod issues reach the client, so it can correct itself.
      expect(typed.content[0].text).toMatch(
        /^InputError: Invalid input to action "ml:create-notebook"; caused by .*"path": \[\s*"gpus"\s*\],\s*"message": "Expected number, received string"/s,
      );
      const extra = await call(ADA, 'ml.create-notebook', {
        ...notebook('nb-extra'),
        gpu: 1,
      });
      expect(extra.isError).toBe(true);
      expect(extra.content[0].text).toMatch(
        /Unrecognized key\(s\) in object: 'gpu'/,
      );
      for (const name of ['nb-bad', 'nb-typed', 'nb-extra']) {
        expect(created(name)).toBeUndefined();
      }
      expect(creates()).toBe(before);
    });
  });

  it('start-pipeline-run starts a run the HTTP API lists, and refuses a non-member', async () => {
    const result = await call(ADA, 'ml.start-pipeline-run', {
      pipeline: 'fraud-detector-training',
      parameters: { epochs: '3' },
    });
    expect(result.isError).toBeFalsy();
    const { pipelineRef, run } = result.structuredContent;
    expect(pipelineRef).toBe('pipeline:default/fraud-detector-training');
    expect(run.trigger).toEqual({ type: 'manual', by: ADA });
    // The caller's value over the CronJob's default parameters.
    expect(run.parameters).toEqual({ epochs: '3', learning_rate: '0.001' });
    const job: any = kube.get('batch/v1', 'Job', 'fraud', run.id);
    expect(job.spec.template.spec.containers[0].env).toContainEqual({
      name: 'PARAM_epochs',
      value: '3',
    });
    const runs = await request(backend.server)
      .get('/api/ml/pipelines/default/fraud-detector-training/runs')
      .set(as(ADA));
    expect(runs.status).toBe(200);
    expect(runs.body.runs.map((r: any) => r.id)).toContain(run.id);

    const http = await request(backend.server)
      .post('/api/ml/pipelines/default/fraud-detector-training/runs')
      .set(as(EVE))
      .send({});
    expect(http.status).toBe(403);
    const refused = await call(EVE, 'ml.start-pipeline-run', {
      pipeline: 'pipeline:default/fraud-detector-training',
    });
    expect(refused.content[0].text).toBe(
      `NotAllowedError: ${http.body.error.message}`,
    );
  });

  describe('promote-model-version', () => {
    const versions = async () => {
      const res = await request(backend.server)
        .get('/api/ml/models/default/mcp-model/versions')
        .set(as(ADA));
      expect(res.status).toBe(200);
      return Object.fromEntries(
        res.body.versions.map((v: any) => [v.version, v.aliases]),
      );
    };
    const promoteAudit = async () => {
      const res = await request(backend.server)
        .get('/api/ml/audit?action=ml.model.promote')
        .set(as(ADA));
      expect(res.status).toBe(200);
      return res.body.items as any[];
    };

    it('moves the alias for a member of the owning team, audited', async () => {
      const before = (await promoteAudit()).length;
      const result = await call(ADA, 'ml.promote-model-version', {
        model: 'mcp-model',
        alias: 'production',
        version: 'v1',
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        entityRef: 'model:default/mcp-model',
        alias: 'production',
        version: 'v1',
        previousVersion: 'v2',
      });
      // The registry the HTTP API reads has moved.
      expect(await versions()).toEqual({ v2: [], v1: ['production'] });
      const audit = await promoteAudit();
      expect(audit.length).toBe(before + 1);
      expect(audit[0]).toMatchObject({
        action: 'ml.model.promote',
        actor: ADA,
        targetRef: 'model:default/mcp-model',
        outcome: 'succeeded',
      });

      // Back where the other tests expect it.
      const back = await call(ADA, 'ml.promote-model-version', {
        model: 'model:default/mcp-model',
        alias: 'production',
        version: 'v2',
      });
      expect(back.structuredContent.previousVersion).toBe('v1');
      expect(await versions()).toEqual({ v2: ['production'], v1: [] });
    });

    it('refuses a non-member with the HTTP 403 sentence, moving nothing', async () => {
      const http = await request(backend.server)
        .post('/api/ml/models/default/mcp-model/aliases')
        .set(as(EVE))
        .send({ alias: 'production', version: 'v1' });
      expect(http.status).toBe(403);
      const result = await call(EVE, 'ml.promote-model-version', {
        model: 'default/mcp-model',
        alias: 'production',
        version: 'v1',
      });
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toBe(
        `NotAllowedError: ${http.body.error.message}`,
      );
      expect(http.body.error.message).toBe(
        'user:default/eve may not promote model:default/mcp-model: not a member of group:default/fraud-team, which owns it',
      );
      expect(await versions()).toEqual({ v2: ['production'], v1: [] });
    });

    it('refuses bad input with the HTTP 400 sentence, moving nothing', async () => {
      const before = (await promoteAudit()).length;
      const body = { alias: 'prod/../x', version: 'v1?x=1' };
      const http = await request(backend.server)
        .post('/api/ml/models/default/mcp-model/aliases')
        .set(as(ADA))
        .send(body);
      expect(http.status).toBe(400);
      const result = await call(ADA, 'ml.promote-model-version', {
        model: 'mcp-model',
        ...body,
      });
      expect(result.isError).toBe(true);
      expect(result.content[0].text).toBe(
        `InputError: ${http.body.error.message}`,
      );
      expect(http.body.error.message).toMatch(
        /^Invalid body: alias: .*; version: /,
      );
      // A bad Model name is refused as the HTTP API's path schema refuses it.
      const httpPath = await request(backend.server)
        .post('/api/ml/models/default/a..b/aliases')
        .set(as(ADA))
        .send({ alias: 'production', version: 'v1' });
      expect(httpPath.status).toBe(400);
      const badModel = await call(ADA, 'ml.promote-model-version', {
        model: 'default/a..b',
        alias: 'production',
        version: 'v1',
      });
      expect(badModel.isError).toBe(true);
      expect(badModel.content[0].text).toBe(
        `InputError: ${httpPath.body.error.message}`,
      );
      expect(httpPath.body.error.message).toBe(
        'Invalid model: name: not an entity name',
      );
      expect(await versions()).toEqual({ v2: ['production'], v1: [] });
      expect((await promoteAudit()).length).toBe(before);
    });
  });

  describe('get-model-serving and rollout-model', () => {
    const KSERVE = 'serving.kserve.io/v1beta1';
    const live = () =>
      kube.get(KSERVE, 'InferenceService', 'fraud', 'mcp-model') as any;
    const target = {
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'mcp-model',
    };
    beforeAll(async () => {
      await kube.create({
        apiVersion: KSERVE,
        kind: 'InferenceService',
        metadata: {
          name: 'mcp-model',
          namespace: 'fraud',
          labels: { 'mlplatform.io/model': 'mcp-model' },
        },
        spec: {
          predictor: {
            model: {
              modelFormat: { name: 'onnx' },
              storageUri: `oci://${registry.host}/models/mcp-model:v1`,
            },
          },
        },
      });
    });

    it('answers as the HTTP API does', async () => {
      const http = await request(backend.server)
        .get('/api/ml/models/default/mcp-model/serving')
        .set(as(ADA));
      expect(http.status).toBe(200);
      expect(http.body.places).toMatchObject([
        { ...target, kind: 'InferenceService', version: 'v1' },
      ]);
      const result = await call(ADA, 'ml.get-model-serving', {
        model: 'mcp-model',
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual(http.body);
    });

    it('refuses a non-member with the HTTP 403 sentence and bad percent with the 400 one, changing nothing', async () => {
      const before = live().metadata.resourceVersion;
      const http = await request(backend.server)
        .post('/api/ml/models/default/mcp-model/rollout')
        .set(as(EVE))
        .send({ action: 'canary', ...target, version: 'v2', percent: 10 });
      expect(http.status).toBe(403);
      const refused = await call(EVE, 'ml.rollout-model', {
        model: 'mcp-model',
        action: 'canary',
        ...target,
        version: 'v2',
        percent: 10,
      });
      expect(refused.isError).toBe(true);
      expect(refused.content[0].text).toBe(
        `NotAllowedError: ${http.body.error.message}`,
      );
      const bad = await call(ADA, 'ml.rollout-model', {
        model: 'mcp-model',
        action: 'canary',
        ...target,
        version: 'v2',
        percent: 150,
      });
      expect(bad.isError).toBe(true);
      expect(bad.content[0].text).toMatch(/^InputError: Invalid body: percent/);
      expect(live().metadata.resourceVersion).toBe(before);
    });

    it('starts a canary of v2 for the owning team, audited', async () => {
      const result = await call(ADA, 'ml.rollout-model', {
        model: 'mcp-model',
        action: 'canary',
        ...target,
        version: 'v2',
        percent: 20,
      });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({
        entityRef: 'model:default/mcp-model',
        action: 'canary',
        place: { version: 'v2', canary: { percent: 20, stableVersion: 'v1' } },
      });
      expect(live().spec.predictor).toMatchObject({
        canaryTrafficPercent: 20,
        model: { storageUri: `oci://${registry.host}/models/mcp-model:v2` },
      });
      const audit = await request(backend.server)
        .get('/api/ml/audit?action=ml.model.rollout')
        .set(as(ADA));
      // ADA sees her own rows: the refused bad percent never started one
      expect(
        audit.body.items.map((e: any) => [e.actor, e.outcome, e.details]),
      ).toEqual([
        [
          ADA,
          'succeeded',
          expect.objectContaining({
            rollout: 'canary',
            toVersion: 'v2',
            percent: 20,
            fromVersion: 'v1',
          }),
        ],
      ]);
    });

    it("deploy-model: a dry run, then the deployment, through the HTTP API's service; a non-member refused", async () => {
      const body = {
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        name: 'mcp-deployed',
        version: 'v2',
        gpus: 0,
        maxReplicas: 2,
      };
      const refused = await call(EVE, 'ml.deploy-model', {
        model: 'mcp-model',
        ...body,
      });
      expect(refused.isError).toBe(true);
      expect(refused.content[0].text).toBe(
        'NotAllowedError: user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
      );
      const dry = await call(ADA, 'ml.deploy-model', {
        model: 'mcp-model',
        ...body,
        dryRun: true,
      });
      expect(dry.isError).toBeFalsy();
      expect(dry.structuredContent).toMatchObject({
        dryRun: true,
        kind: 'InferenceService',
        manifests: [{ metadata: { name: 'mcp-deployed' } }],
      });
      expect(
        kube.get(KSERVE, 'InferenceService', 'fraud', 'mcp-deployed'),
      ).toBeUndefined();
      const done = await call(ADA, 'ml.deploy-model', {
        model: 'mcp-model',
        ...body,
      });
      expect(done.isError).toBeFalsy();
      expect(done.structuredContent).toMatchObject({
        dryRun: false,
        place: { name: 'mcp-deployed', version: 'v2' },
      });
      const deployed = kube.get(
        KSERVE,
        'InferenceService',
        'fraud',
        'mcp-deployed',
      ) as any;
      expect(deployed.spec.predictor).toMatchObject({
        minReplicas: 1,
        maxReplicas: 2,
      });
      const audit = await request(backend.server)
        .get('/api/ml/audit?action=ml.model.deploy')
        .set(as(ADA));
      expect(audit.body.items.map((e: any) => e.outcome)).toEqual([
        'succeeded',
        'succeeded',
      ]);
    });
  });
});
