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
    kube = await startKubeApiServer({ controllers: false, crds: [] });
  });

  afterAll(async () => {
    await kube?.stop();
  });

  const discovery = (p: string) =>
    new Promise<any>((resolve, reject) => {
      https
        .get(
          `${kube.url}${p}`,
          {
            ca: kube.caPem,
            headers: { Authorization: `Bearer ${kube.token}` },
          },
          res => {
            const chunks: Buffer[] = [];
            res.on('data', c => chunks.push(c));
            res.on('end', () =>
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))),
            );
          },
        )
        .on('error', reject);
    });

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
});
