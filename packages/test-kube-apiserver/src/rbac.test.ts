/*
 * The built-in RBAC kinds (rbac.authorization.k8s.io/v1) and ServiceAccount,
 * served for manifests like deploy/ (validated and stored, not enforced:
 * the server's tokens decide what a caller may do).
 */
import https from 'node:https';
import { KubeApiServer, startKubeApiServer } from './index';

describe('rbac.authorization.k8s.io/v1 and ServiceAccount', () => {
  let kube: KubeApiServer;

  beforeAll(async () => {
    kube = await startKubeApiServer({
      controllers: false,
      crds: [],
      tokens: {
        'bot-token': { user: 'system:serviceaccount:team:bot', rbac: true },
      },
    });
  });

  afterAll(async () => {
    await kube?.stop();
  });

  const call = (method: string, p: string, token = kube.token, body?: object) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = https.request(
        `${kube.url}${p}`,
        {
          method,
          ca: kube.caPem,
          headers: {
            Authorization: `Bearer ${token}`,
            'content-type': 'application/json',
          },
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  const discovery = async (p: string) => (await call('GET', p)).body;

  it('serves the group in discovery, cluster-scoped roles and namespaced ones', async () => {
    const body = await discovery('/apis/rbac.authorization.k8s.io/v1');
    expect(
      body.resources.map((r: any) => [r.name, r.namespaced, r.kind]),
    ).toEqual([
      ['clusterroles', false, 'ClusterRole'],
      ['clusterrolebindings', false, 'ClusterRoleBinding'],
      ['roles', true, 'Role'],
      ['rolebindings', true, 'RoleBinding'],
    ]);
  });

  it('stores a valid ClusterRole (names may hold a colon), refuses one without verbs or with a slash in its name', async () => {
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'ml:reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    });
    expect(
      kube
        .list('rbac.authorization.k8s.io/v1', 'ClusterRole')
        .map((r: any) => r.metadata.name),
    ).toEqual(['ml:reader']);
    await expect(
      kube.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'no-verbs' },
        rules: [{ apiGroups: [''], resources: ['pods'] }],
      }),
    ).rejects.toThrow(/verbs/);
    await expect(
      kube.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'a/b' },
        rules: [],
      }),
    ).rejects.toThrow("may not contain '/'");
  });

  it('stores a ServiceAccount and a RoleBinding in a namespace', async () => {
    await kube.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
    });
    await kube.create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'bot', namespace: 'team' },
    });
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bot-reads', namespace: 'team' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'ml:reader',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'team' }],
    });
    expect(kube.get('v1', 'ServiceAccount', 'team', 'bot')).toBeDefined();
    expect(
      kube.list('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team'),
    ).toHaveLength(1);
  });

  it('authorizes an rbac token by the stored bindings: what its roles allow, in their namespaces, nothing else', async () => {
    await kube.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'other' },
    });
    const bot = (method: string, p: string, body?: object) =>
      call(method, p, 'bot-token', body);
    // ml:reader (list pods) is bound to bot in team only.
    expect((await bot('GET', '/api/v1/namespaces/team/pods')).status).toBe(200);
    const elsewhere = await bot('GET', '/api/v1/namespaces/other/pods');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.message).toBe(
      'pods is forbidden: User "system:serviceaccount:team:bot" cannot list resource "pods" in API group "" in the namespace "other"',
    );
    const create = await bot('POST', '/api/v1/namespaces/team/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(create.status).toBe(403);
    expect(create.body.message).toContain(
      'cannot create resource "pods" in API group "" in the namespace "team"',
    );
    // A ClusterRoleBinding opens it everywhere, a subresource needs its own rule.
    await kube.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'bot-reads-everywhere' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'ml:reader',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'bot', namespace: 'team' }],
    });
    expect((await bot('GET', '/api/v1/namespaces/other/pods')).status).toBe(
      200,
    );
    expect((await bot('GET', '/api/v1/pods')).status).toBe(200);
    expect(
      (await bot('GET', '/api/v1/namespaces/other/pods/p/log')).status,
    ).toBe(403);
    expect((await bot('GET', '/api/v1/namespaces')).status).toBe(403);
  });
});
