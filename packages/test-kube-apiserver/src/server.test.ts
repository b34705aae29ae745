import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeApiServer, startKubeApiServer } from './index';
import {
  failure,
  kubeConfig,
  pod,
  raw,
  waitFor,
} from './__testUtils__/clientNode';

describe('test-kube-apiserver with @kubernetes/client-node', () => {
  let server: KubeApiServer;
  let core: CoreV1Api;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer({
      tokens: { 'read-only-token': { user: 'jane', readOnly: true } },
    });
    kc = kubeConfig(server);
    core = kc.makeApiClient(CoreV1Api);
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
