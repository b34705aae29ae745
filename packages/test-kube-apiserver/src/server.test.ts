import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import https from 'node:https';
import { BatchV1Api } from '@kubernetes/client-node';
import { KubeApiServer, PHASE_ANNOTATION, startKubeApiServer } from './index';

/** A plain HTTPS request, to see status bodies exactly as sent. */
function raw(
  s: KubeApiServer,
  path: string,
  token?: string,
): Promise<{ status: number; body: any; headers: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${s.url}${path}`,
      {
        ca: s.caPem,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      },
      res => {
        let text = '';
        res.on('data', c => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: JSON.parse(text),
            headers: res.headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function kubeConfig(s: KubeApiServer, token = s.token): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 't', server: s.url, caData: s.caData, skipTLSVerify: false },
    ],
    users: [{ name: 'u', token }],
    contexts: [{ name: 't', cluster: 't', user: 'u' }],
    currentContext: 't',
  });
  return kc;
}

async function failure(
  p: Promise<unknown>,
): Promise<{ code: number; body: any }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) {
      return {
        code: e.code,
        body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body,
      };
    }
    throw e;
  }
  throw new Error('expected the request to fail');
}

const pod = (name: string, extra: any = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'web', ...(extra.labels ?? {}) } },
  spec: {
    containers: [
      {
        name: 'main',
        image: 'nginx:1.27',
        resources: extra.resources ?? {
          requests: { cpu: '100m', memory: '64Mi' },
        },
      },
    ],
  },
});

describe('test-kube-apiserver with @kubernetes/client-node', () => {
  let server: KubeApiServer;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({
      tokens: { 'read-only-token': { user: 'jane', readOnly: true } },
    });
    kc = kubeConfig(server);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
    await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('creates, reads, updates and deletes pods with server-owned metadata', async () => {
    const created = await core.createNamespacedPod({
      namespace: 'team-a',
      body: pod('crud-1'),
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(created.spec?.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(created.status?.phase).toBe('Pending');

    const read = await core.readNamespacedPod({
      name: 'crud-1',
      namespace: 'team-a',
    });
    // the simulated kubelet has run it
    expect(read.status?.phase).toBe('Running');
    expect(Number(read.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );

    read.metadata!.labels = { ...read.metadata!.labels, tier: 'front' };
    const updated = await core.replaceNamespacedPod({
      name: 'crud-1',
      namespace: 'team-a',
      body: read,
    });
    expect(updated.metadata?.labels?.tier).toBe('front');

    const patched = await core.patchNamespacedPod(
      {
        name: 'crud-1',
        namespace: 'team-a',
        body: { metadata: { annotations: { note: 'x' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.annotations?.note).toBe('x');
    const jsonPatched = await core.patchNamespacedPod(
      {
        name: 'crud-1',
        namespace: 'team-a',
        body: [{ op: 'replace', path: '/metadata/labels/tier', value: 'back' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(jsonPatched.metadata?.labels?.tier).toBe('back');

    const deleted = await core.deleteNamespacedPod({
      name: 'crud-1',
      namespace: 'team-a',
    });
    expect((deleted as any).metadata.name).toBe('crud-1');
    const gone = await failure(
      core.readNamespacedPod({ name: 'crud-1', namespace: 'team-a' }),
    );
    expect(gone.code).toBe(404);
    expect(gone.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "crud-1" not found',
      reason: 'NotFound',
      details: { name: 'crud-1', kind: 'pods' },
      code: 404,
    });
  });

  it('answers 409 AlreadyExists, 409 Conflict on stale resourceVersion, 404 for a missing namespace', async () => {
    await core.createNamespacedPod({ namespace: 'team-a', body: pod('dup') });
    const dup = await failure(
      core.createNamespacedPod({ namespace: 'team-a', body: pod('dup') }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body.reason).toBe('AlreadyExists');
    expect(dup.body.message).toBe('pods "dup" already exists');

    const current = await core.readNamespacedPod({
      name: 'dup',
      namespace: 'team-a',
    });
    const stale = {
      ...current,
      metadata: { ...current.metadata, resourceVersion: '1' },
    };
    const conflict = await failure(
      core.replaceNamespacedPod({
        name: 'dup',
        namespace: 'team-a',
        body: stale,
      }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.body.reason).toBe('Conflict');
    expect(conflict.body.message).toBe(
      'Operation cannot be fulfilled on pods "dup": the object has been modified; please apply your changes to the latest version and try again',
    );

    const withRv = await failure(
      core.createNamespacedPod({
        namespace: 'team-a',
        body: { ...pod('rv'), metadata: { name: 'rv', resourceVersion: '5' } },
      }),
    );
    expect(withRv.code).toBe(500);
    expect(withRv.body.message).toBe(
      'Internal error occurred: resourceVersion should not be set on objects to be created',
    );

    const noNs = await failure(
      core.createNamespacedPod({ namespace: 'nowhere', body: pod('x') }),
    );
    expect(noNs.code).toBe(404);
    expect(noNs.body.message).toBe('namespaces "nowhere" not found');
  });

  it('rejects invalid names and objects with 422 Invalid and causes', async () => {
    const bad = await failure(
      core.createNamespacedPod({ namespace: 'team-a', body: pod('Bad_Name') }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body.reason).toBe('Invalid');
    expect(bad.body.message).toBe(
      `Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    expect(bad.body.details.causes).toEqual([
      expect.objectContaining({
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
      }),
    ]);

    const noContainers = await failure(
      core.createNamespacedPod({
        namespace: 'team-a',
        body: { metadata: { name: 'empty' }, spec: { containers: [] } },
      }),
    );
    expect(noContainers.code).toBe(422);
    expect(noContainers.body.message).toBe(
      'Pod "empty" is invalid: spec.containers: Required value',
    );

    const gpuWithoutLimit = await failure(
      core.createNamespacedPod({
        namespace: 'team-a',
        body: pod('gpu-req', {
          resources: { requests: { 'nvidia.com/gpu': '1' } },
        }),
      }),
    );
    expect(gpuWithoutLimit.body.message).toContain(
      'spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources',
    );
  });

  it('answers 401 for a wrong token and 403 for writes with a read-only token', async () => {
    const wrong = kubeConfig(server, 'not-a-token').makeApiClient(CoreV1Api);
    expect((await failure(wrong.listNamespace())).code).toBe(401);
    const missing = await raw(server, '/api/v1/namespaces');
    expect(missing.status).toBe(401);
    const unauthorized = await raw(server, '/api/v1/namespaces', 'not-a-token');
    expect(unauthorized.status).toBe(401);
    expect(missing.body).toEqual(unauthorized.body);
    expect(unauthorized.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });

    const ro = kubeConfig(server, 'read-only-token').makeApiClient(CoreV1Api);
    await expect(
      ro.listNamespacedPod({ namespace: 'team-a' }),
    ).resolves.toBeDefined();
    const forbidden = await failure(
      ro.createNamespacedPod({ namespace: 'team-a', body: pod('ro') }),
    );
    expect(forbidden.code).toBe(403);
    expect(forbidden.body.reason).toBe('Forbidden');
    expect(forbidden.body.message).toBe(
      'pods is forbidden: User "jane" cannot create resource "pods" in API group "" in the namespace "team-a"',
    );
    const forbiddenDelete = await failure(
      ro.deleteNamespacedPod({ name: 'dup', namespace: 'team-a' }),
    );
    expect(forbiddenDelete.body.message).toBe(
      'pods "dup" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "team-a"',
    );
  });

  it('filters lists by label and field selectors and pages with limit/continue', async () => {
    await core.createNamespace({ body: { metadata: { name: 'sel' } } });
    for (const [name, labels] of [
      ['a1', { app: 'a', tier: 'x' }],
      ['a2', { app: 'a', tier: 'y' }],
      ['b1', { app: 'b' }],
      ['c1', { app: 'c', tier: 'x' }],
    ] as const) {
      await core.createNamespacedPod({
        namespace: 'sel',
        body: pod(name, { labels }),
      });
    }
    const names = async (q: {
      labelSelector?: string;
      fieldSelector?: string;
    }) =>
      (await core.listNamespacedPod({ namespace: 'sel', ...q })).items.map(
        p => p.metadata?.name,
      );
    expect(await names({ labelSelector: 'app=a' })).toEqual(['a1', 'a2']);
    expect(await names({ labelSelector: 'app==a,tier!=y' })).toEqual(['a1']);
    expect(await names({ labelSelector: 'app in (a,c),tier' })).toEqual([
      'a1',
      'a2',
      'c1',
    ]);
    expect(await names({ labelSelector: 'app notin (a),!tier' })).toEqual([
      'b1',
    ]);
    expect(await names({ fieldSelector: 'metadata.name=b1' })).toEqual(['b1']);
    expect(
      await names({ fieldSelector: 'status.phase=Running,metadata.name!=a1' }),
    ).toEqual(['a2', 'b1', 'c1']);
    const badField = await failure(
      core.listNamespacedPod({ namespace: 'sel', fieldSelector: 'spec.foo=1' }),
    );
    expect(badField.code).toBe(400);

    const page1 = await core.listNamespacedPod({ namespace: 'sel', limit: 3 });
    expect(page1.items.map(p => p.metadata?.name)).toEqual(['a1', 'a2', 'b1']);
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await core.listNamespacedPod({
      namespace: 'sel',
      limit: 3,
      _continue: page1.metadata?._continue,
    });
    expect(page2.items.map(p => p.metadata?.name)).toEqual(['c1']);
    expect(page2.metadata?._continue).toBeUndefined();

    const all = await core.listPodForAllNamespaces({ labelSelector: 'app=b' });
    expect(
      all.items.map(p => `${p.metadata?.namespace}/${p.metadata?.name}`),
    ).toEqual(['sel/b1']);
  });

  it('streams watch events from a resourceVersion and honours selectors', async () => {
    await core.createNamespace({ body: { metadata: { name: 'watched' } } });
    const list = await core.listNamespacedPod({ namespace: 'watched' });
    const events: string[] = [];
    const watch = new Watch(kc);
    const ctl = await watch.watch(
      '/api/v1/namespaces/watched/pods',
      {
        resourceVersion: list.metadata?.resourceVersion,
        labelSelector: 'app=web',
      },
      (type, obj) =>
        events.push(`${type} ${obj.metadata.name} ${obj.status?.phase}`),
      () => {},
    );
    await core.createNamespacedPod({ namespace: 'watched', body: pod('w1') });
    await core.createNamespacedPod({
      namespace: 'watched',
      body: pod('other', { labels: { app: 'other' } }),
    });
    await core.deleteNamespacedPod({ name: 'w1', namespace: 'watched' });
    await waitFor(() => events.some(e => e.startsWith('DELETED')));
    ctl.abort();
    expect(events[0]).toBe('ADDED w1 Pending');
    expect(events).toContain('MODIFIED w1 Running');
    expect(events[events.length - 1]).toMatch(/^DELETED w1/);
    expect(events.join()).not.toContain('other');
  });

  it('ends a watch from a too old resourceVersion with a 410 Expired ERROR event', async () => {
    const events: Array<[string, any]> = [];
    const ctl = await new Watch(kc).watch(
      '/api/v1/namespaces',
      { resourceVersion: '1' },
      (type, obj) => events.push([type, obj]),
      () => {},
    );
    await waitFor(() => events.length > 0);
    ctl.abort();
    expect(events[0][0]).toBe('ERROR');
    expect(events[0][1]).toMatchObject({
      kind: 'Status',
      code: 410,
      reason: 'Expired',
    });
    expect(events[0][1].message).toMatch(
      /^too old resource version: 1 \(\d+\)$/,
    );
  });

  it('sends ADDED for existing objects when a watch has no resourceVersion', async () => {
    const events: string[] = [];
    const ctl = await new Watch(kc).watch(
      '/api/v1/namespaces',
      { fieldSelector: 'metadata.name=team-a' },
      (type, obj) => events.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await waitFor(() => events.length > 0);
    ctl.abort();
    expect(events).toEqual(['ADDED team-a']);
  });

  it('admits pods against ResourceQuotas with the real message and keeps status.used current', async () => {
    await core.createNamespace({ body: { metadata: { name: 'quota' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'quota',
      body: {
        metadata: { name: 'gpu-quota' },
        spec: {
          hard: {
            'requests.nvidia.com/gpu': '8',
            'requests.cpu': '4',
            'requests.memory': '16Gi',
            pods: '10',
          },
        },
      },
    });
    const gpuPod = (name: string, gpus: number) =>
      pod(name, {
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { 'nvidia.com/gpu': String(gpus) },
        },
      });
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g1', 4),
    });
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g2', 3),
    });
    const rq = await core.readNamespacedResourceQuota({
      name: 'gpu-quota',
      namespace: 'quota',
    });
    expect(rq.status?.used).toEqual({
      'requests.nvidia.com/gpu': '7',
      'requests.cpu': '1',
      'requests.memory': '2Gi',
      pods: '2',
    });
    expect(rq.status?.hard?.['requests.memory']).toBe('16Gi');

    const denied = await failure(
      core.createNamespacedPod({ namespace: 'quota', body: gpuPod('g3', 2) }),
    );
    expect(denied.code).toBe(403);
    expect(denied.body.reason).toBe('Forbidden');
    expect(denied.body.message).toBe(
      'pods "g3" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=7, limited: requests.nvidia.com/gpu=8',
    );

    const noCpu = await failure(
      core.createNamespacedPod({
        namespace: 'quota',
        body: pod('nocpu', {
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        }),
      }),
    );
    expect(noCpu.body.message).toBe(
      'pods "nocpu" is forbidden: failed quota: gpu-quota: must specify requests.cpu for: main; requests.memory for: main',
    );

    await core.deleteNamespacedPod({ name: 'g1', namespace: 'quota' });
    const after = await core.readNamespacedResourceQuota({
      name: 'gpu-quota',
      namespace: 'quota',
    });
    expect(after.status?.used?.['requests.nvidia.com/gpu']).toBe('3');
    expect(after.status?.used?.['requests.cpu']).toBe('500m');
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g3', 2),
    });
  });

  it('runs StatefulSets: ordered pods, status, scale to zero, quota-denied FailedCreate events', async () => {
    await core.createNamespace({ body: { metadata: { name: 'sts' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'sts',
      body: {
        metadata: { name: 'gpu-quota' },
        spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
      },
    });
    const sts = (replicas: number, gpus: number) => ({
      metadata: { name: 'trainer' },
      spec: {
        replicas,
        serviceName: 'trainer',
        selector: { matchLabels: { app: 'trainer' } },
        template: {
          metadata: { labels: { app: 'trainer' } },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'pytorch:2.4',
                resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
              },
            ],
          },
        },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'sts',
      body: sts(2, 1),
    });
    const pods = await core.listNamespacedPod({
      namespace: 'sts',
      labelSelector: 'app=trainer',
    });
    expect(pods.items.map(p => p.metadata?.name)).toEqual([
      'trainer-0',
      'trainer-1',
    ]);
    expect(pods.items[0].metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'trainer',
      controller: true,
    });
    expect(
      pods.items[0].metadata?.labels?.['statefulset.kubernetes.io/pod-name'],
    ).toBe('trainer-0');
    let status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });

    await apps.patchNamespacedStatefulSet(
      { name: 'trainer', namespace: 'sts', body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await core.listNamespacedPod({ namespace: 'sts' })).items).toEqual(
      [],
    );
    status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status?.replicas).toBe(0);
    expect(status?.readyReplicas).toBeUndefined();

    await apps.deleteNamespacedStatefulSet({
      name: 'trainer',
      namespace: 'sts',
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'sts',
      body: sts(1, 4),
    });
    status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status?.readyReplicas ?? 0).toBe(0);
    const events = await core.listNamespacedEvent({
      namespace: 'sts',
      fieldSelector: 'reason=FailedCreate',
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0].type).toBe('Warning');
    expect(events.items[0].message).toBe(
      'create Pod trainer-0 in StatefulSet trainer failed error: pods "trainer-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=2',
    );

    const immutable = await failure(
      apps.patchNamespacedStatefulSet(
        {
          name: 'trainer',
          namespace: 'sts',
          body: { spec: { serviceName: 'other' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(immutable.code).toBe(422);
    expect(immutable.body.message).toBe(
      "StatefulSet.apps \"trainer\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );

    // deleting the owner collects its pods
    await apps.patchNamespacedStatefulSet(
      {
        name: 'trainer',
        namespace: 'sts',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'main',
                    image: 'pytorch:2.4',
                    resources: { limits: { 'nvidia.com/gpu': '1' } },
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      (await core.listNamespacedPod({ namespace: 'sts' })).items,
    ).toHaveLength(1);
    await apps.deleteNamespacedStatefulSet({
      name: 'trainer',
      namespace: 'sts',
    });
    expect((await core.listNamespacedPod({ namespace: 'sts' })).items).toEqual(
      [],
    );
  });

  it('serves Kueue objects in v1beta2 and v1beta1 with a working status subresource', async () => {
    const group = 'kueue.x-k8s.io';
    await custom.createClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'resourceflavors',
      body: {
        apiVersion: `${group}/v1beta2`,
        kind: 'ResourceFlavor',
        metadata: { name: 'a100' },
      },
    });
    await custom.createClusterCustomObject({
      group,
      version: 'v1beta1',
      plural: 'clusterqueues',
      body: {
        apiVersion: `${group}/v1beta1`,
        kind: 'ClusterQueue',
        metadata: { name: 'team-cq' },
        spec: {
          cohort: 'shared',
          namespaceSelector: {},
          resourceGroups: [
            {
              coveredResources: ['nvidia.com/gpu'],
              flavors: [
                {
                  name: 'a100',
                  resources: [{ name: 'nvidia.com/gpu', nominalQuota: 8 }],
                },
              ],
            },
          ],
        },
      },
    });
    const v2: any = await custom.getClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'clusterqueues',
      name: 'team-cq',
    });
    expect(v2.apiVersion).toBe('kueue.x-k8s.io/v1beta2');
    // converted like Kueue's conversion webhook, defaulted from the CRD schema
    expect(v2.spec.cohortName).toBe('shared');
    expect(v2.spec.cohort).toBeUndefined();
    expect(v2.spec.queueingStrategy).toBe('BestEffortFIFO');
    expect(v2.spec.preemption).toEqual({
      borrowWithinCohort: { policy: 'Never' },
      reclaimWithinCohort: 'Never',
      withinClusterQueue: 'Never',
    });
    expect(v2.spec.resourceGroups[0].flavors[0].resources[0].nominalQuota).toBe(
      8,
    );

    const withStatus: any = await custom.patchClusterCustomObjectStatus(
      {
        group,
        version: 'v1beta2',
        plural: 'clusterqueues',
        name: 'team-cq',
        body: {
          status: {
            pendingWorkloads: 2,
            flavorsUsage: [
              {
                name: 'a100',
                resources: [
                  { name: 'nvidia.com/gpu', total: '6', borrowed: '0' },
                ],
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(withStatus.status.pendingWorkloads).toBe(2);
    // a write of the main resource does not change the status
    const replaced: any = await custom.replaceClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'clusterqueues',
      name: 'team-cq',
      body: { ...withStatus, status: { pendingWorkloads: 99 } },
    });
    expect(replaced.status.pendingWorkloads).toBe(2);

    const invalid = await failure(
      custom.createClusterCustomObject({
        group,
        version: 'v1beta2',
        plural: 'clusterqueues',
        body: {
          apiVersion: `${group}/v1beta2`,
          kind: 'ClusterQueue',
          metadata: { name: 'bad' },
          spec: { queueingStrategy: 'Sometimes' },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.body.message).toContain(
      'ClusterQueue.kueue.x-k8s.io "bad" is invalid',
    );
    expect(invalid.body.message).toContain(
      'spec.queueingStrategy: Unsupported value: "Sometimes"',
    );

    const crds: any = await kc
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({
        group: 'apiextensions.k8s.io',
        version: 'v1',
        plural: 'customresourcedefinitions',
      });
    expect(crds.items.map((c: any) => c.metadata.name)).toContain(
      'notebooks.kubeflow.org',
    );
  });

  it('turns a Kubeflow Notebook into a StatefulSet and Service and stops it by annotation', async () => {
    await core.createNamespace({ body: { metadata: { name: 'nb' } } });
    const body = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: 'my-nb' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'my-nb',
                image: 'jupyter/base-notebook:2024',
                resources: { requests: { cpu: '1', memory: '2Gi' } },
              },
            ],
          },
        },
      },
    };
    await custom.createNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: 'nb',
      plural: 'notebooks',
      body,
    });
    const sts = await apps.readNamespacedStatefulSet({
      name: 'my-nb',
      namespace: 'nb',
    });
    expect(sts.spec?.replicas).toBe(1);
    expect(sts.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Notebook',
      name: 'my-nb',
    });
    await core.readNamespacedService({ name: 'my-nb', namespace: 'nb' });
    let nb: any = await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: 'nb',
      plural: 'notebooks',
      name: 'my-nb',
    });
    expect(nb.status.readyReplicas).toBe(1);
    expect(nb.status.containerState.running).toBeDefined();

    await custom.patchNamespacedCustomObject(
      {
        group: 'kubeflow.org',
        version: 'v1',
        namespace: 'nb',
        plural: 'notebooks',
        name: 'my-nb',
        body: {
          metadata: {
            annotations: {
              'kubeflow-resource-stopped': '2025-01-01T00:00:00Z',
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      (await apps.readNamespacedStatefulSet({ name: 'my-nb', namespace: 'nb' }))
        .spec?.replicas,
    ).toBe(0);
    expect((await core.listNamespacedPod({ namespace: 'nb' })).items).toEqual(
      [],
    );
    nb = await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1beta1',
      namespace: 'nb',
      plural: 'notebooks',
      name: 'my-nb',
    });
    expect(nb.apiVersion).toBe('kubeflow.org/v1beta1');
    expect(nb.status.readyReplicas).toBe(0);
  });

  it('charges bare cpu, limits.* and MIG slice keys, and frees quota of finished pods', async () => {
    await core.createNamespace({ body: { metadata: { name: 'mig' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'mig',
      body: {
        metadata: { name: 'mig-quota' },
        spec: {
          hard: {
            cpu: '2',
            'limits.nvidia.com/mig-1g.10gb': '3',
            'limits.memory': '4Gi',
          },
        },
      },
    });
    const migPod = (name: string, slices: number, phase?: string) => ({
      metadata: {
        name,
        ...(phase ? { annotations: { [PHASE_ANNOTATION]: phase } } : {}),
      },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'vllm/vllm-openai:v0.6.0',
            resources: {
              requests: { cpu: '750m' },
              limits: {
                'nvidia.com/mig-1g.10gb': String(slices),
                memory: '1Gi',
              },
            },
          },
        ],
      },
    });
    await core.createNamespacedPod({ namespace: 'mig', body: migPod('m1', 2) });
    const used = (
      await core.readNamespacedResourceQuota({
        name: 'mig-quota',
        namespace: 'mig',
      })
    ).status?.used;
    expect(used).toEqual({
      cpu: '750m',
      'limits.nvidia.com/mig-1g.10gb': '2',
      'limits.memory': '1Gi',
    });
    const denied = await failure(
      core.createNamespacedPod({ namespace: 'mig', body: migPod('m2', 2) }),
    );
    expect(denied.body.message).toBe(
      'pods "m2" is forbidden: exceeded quota: mig-quota, requested: limits.nvidia.com/mig-1g.10gb=2, used: limits.nvidia.com/mig-1g.10gb=2, limited: limits.nvidia.com/mig-1g.10gb=3',
    );
    // a pod that has finished no longer counts
    const done = await core.createNamespacedPod({
      namespace: 'mig',
      body: migPod('m3', 1, 'Succeeded'),
    });
    expect(done.metadata?.name).toBe('m3');
    expect(
      (await core.readNamespacedPod({ name: 'm3', namespace: 'mig' })).status
        ?.phase,
    ).toBe('Succeeded');
    const after = (
      await core.readNamespacedResourceQuota({
        name: 'mig-quota',
        namespace: 'mig',
      })
    ).status?.used;
    expect(after?.['limits.nvidia.com/mig-1g.10gb']).toBe('2');
  });

  it('runs a Job to completion when its pod succeeds, and keeps suspended Jobs without pods', async () => {
    await core.createNamespace({ body: { metadata: { name: 'jobs' } } });
    const batch = kc.makeApiClient(BatchV1Api);
    const job = (name: string, suspend: boolean) => ({
      metadata: { name },
      spec: {
        suspend,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox:1.36' }],
          },
        },
      },
    });
    const created = await batch.createNamespacedJob({
      namespace: 'jobs',
      body: job('train', false),
    });
    expect(
      created.spec?.selector?.matchLabels?.[
        'batch.kubernetes.io/controller-uid'
      ],
    ).toBe(created.metadata?.uid);
    const pods = await core.listNamespacedPod({
      namespace: 'jobs',
      labelSelector: 'job-name=train',
    });
    expect(pods.items).toHaveLength(1);
    expect(
      (await batch.readNamespacedJob({ name: 'train', namespace: 'jobs' }))
        .status?.active,
    ).toBe(1);

    const p = pods.items[0];
    await core.patchNamespacedPodStatus(
      {
        name: p.metadata!.name!,
        namespace: 'jobs',
        body: { status: { phase: 'Succeeded' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const finished = await batch.readNamespacedJob({
      name: 'train',
      namespace: 'jobs',
    });
    expect(finished.status?.succeeded).toBe(1);
    expect(finished.status?.active).toBeUndefined();
    expect(finished.status?.conditions?.map(c => c.type)).toContain('Complete');

    await batch.createNamespacedJob({
      namespace: 'jobs',
      body: job('queued', true),
    });
    expect(
      (
        await core.listNamespacedPod({
          namespace: 'jobs',
          labelSelector: 'job-name=queued',
        })
      ).items,
    ).toEqual([]);
  });

  it('terminates namespaces asynchronously and refuses new objects in them meanwhile', async () => {
    await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
    await core.createNamespacedPod({ namespace: 'doomed', body: pod('p') });
    const deleting = await core.deleteNamespace({ name: 'doomed' });
    expect((deleting as any).status.phase).toBe('Terminating');
    const refused = await failure(
      core.createNamespacedPod({ namespace: 'doomed', body: pod('q') }),
    );
    expect(refused.code).toBe(403);
    expect(refused.body.message).toBe(
      'pods "q" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await waitFor(() => !server.get('v1', 'Namespace', undefined, 'doomed'));
    expect(server.list('v1', 'Pod', 'doomed')).toEqual([]);
  });

  it('injects faults and records requests', async () => {
    server.resetRequests();
    server.setFault({ status: 503, match: r => r.path.includes('/pods') });
    const down = await failure(core.listNamespacedPod({ namespace: 'team-a' }));
    expect(down.code).toBe(503);
    expect(down.body.reason).toBe('ServiceUnavailable');
    server.setFault(null);
    await core.listNamespacedPod({ namespace: 'team-a' });
    expect(
      server.requests.map(r => [r.verb, r.resource, r.namespace, r.status]),
    ).toEqual([
      ['list', 'pods', 'team-a', 503],
      ['list', 'pods', 'team-a', 200],
    ]);
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise(r => setTimeout(r, 20));
  }
}
