/*
 * deploy/ (issue 20, docs/deploy.md): the manifests go through the real
 * kubectl's server-side dry run against the test API server, and the ML
 * backend's ClusterRole grants exactly what ML_KUBE_ACCESS (the list kept
 * next to the Kubernetes calls) says the backend does.
 */
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ML_KUBE_ACCESS } from './services/kubernetes/kubeAccess';

const DEPLOY = path.resolve(__dirname, '../../../deploy');
const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = fs.existsSync(KUBECTL);
if (!haveKubectl && process.env.CI) {
  throw new Error(`${KUBECTL} is required in CI for the deploy/ test`);
}

jest.setTimeout(60_000);

function manifests(): any[] {
  return fs
    .readdirSync(DEPLOY)
    .filter(f => f.endsWith('.yaml'))
    .sort()
    .flatMap(f =>
      parseAllDocuments(fs.readFileSync(path.join(DEPLOY, f), 'utf8')).map(d =>
        d.toJSON(),
      ),
    )
    .filter(Boolean);
}

const byKind = (kind: string) => manifests().filter(m => m.kind === kind);

/** `group/resource verb` for every grant of a list of PolicyRules. */
function grants(
  rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>,
): string[] {
  return rules
    .flatMap(r =>
      r.apiGroups.flatMap(g =>
        r.resources.flatMap(res => r.verbs.map(v => `${g}/${res} ${v}`)),
      ),
    )
    .sort();
}

describe('deploy/', () => {
  (haveKubectl ? describe : describe.skip)(
    'kubectl apply --dry-run=server against the test API server',
    () => {
      let kube: KubeApiServer;
      let dir: string;

      beforeAll(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'));
        kube = await startKubeApiServer({ controllers: false });
      });

      afterAll(async () => {
        await kube?.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      });

      const kubectl = async (args: string[]) => {
        const kubeconfig = await kube.writeKubeconfig(
          path.join(dir, 'kubeconfig'),
        );
        return new Promise<{ code: number; stdout: string; stderr: string }>(
          resolve =>
            execFile(
              KUBECTL,
              [
                '--kubeconfig',
                kubeconfig,
                '--cache-dir',
                path.join(dir, 'cache'),
                ...args,
              ],
              { timeout: 30_000 },
              (err, stdout, stderr) =>
                resolve({
                  code: err ? Number((err as any).code ?? 1) : 0,
                  stdout,
                  stderr,
                }),
            ),
        );
      };

      it('accepts every object, as docs/deploy.md applies them, and stores none', async () => {
        // The namespace first, as the docs say: a dry run creates nothing
        // the namespaced objects could be checked in.
        const ns = await kubectl([
          'apply',
          '-f',
          path.join(DEPLOY, '00-namespace.yaml'),
        ]);
        expect(ns.stderr).toBe('');
        const run = await kubectl(['apply', '--dry-run=server', '-f', DEPLOY]);
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
        expect(run.stdout.trim().split('\n')).toEqual([
          'namespace/ml-portal unchanged (server dry run)',
          'serviceaccount/ml-portal created (server dry run)',
          'clusterrole.rbac.authorization.k8s.io/ml-portal-ml-backend created (server dry run)',
          'clusterrolebinding.rbac.authorization.k8s.io/ml-portal-ml-backend created (server dry run)',
          'service/postgres created (server dry run)',
          'statefulset.apps/postgres created (server dry run)',
          'configmap/ml-portal-config created (server dry run)',
          'deployment.apps/ml-portal created (server dry run)',
          'service/ml-portal created (server dry run)',
        ]);
        expect(
          kube.list('rbac.authorization.k8s.io/v1', 'ClusterRole'),
        ).toEqual([]);
        expect(kube.list('apps/v1', 'Deployment', 'ml-portal')).toEqual([]);
      });

      it('refuses a broken manifest with the real error', async () => {
        const [role] = byKind('ClusterRole');
        const broken = path.join(dir, 'broken.yaml');
        fs.writeFileSync(
          broken,
          JSON.stringify({
            ...role,
            rules: [{ apiGroups: [''], resources: ['pods'] }],
          }),
        );
        const run = await kubectl(['apply', '--dry-run=server', '-f', broken]);
        expect(run.code).not.toBe(0);
        expect(run.stderr).toContain('verbs');
      });
    },
  );

  it("grants the ML backend's ServiceAccount exactly what ML_KUBE_ACCESS lists", () => {
    const [role] = byKind('ClusterRole');
    const [binding] = byKind('ClusterRoleBinding');
    const [account] = byKind('ServiceAccount');
    const [deployment] = byKind('Deployment');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role.metadata.name,
    });
    expect(binding.subjects).toEqual([
      {
        kind: 'ServiceAccount',
        name: account.metadata.name,
        namespace: account.metadata.namespace,
      },
    ]);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(
      account.metadata.name,
    );
    const wanted = grants(
      ML_KUBE_ACCESS.map(a => ({
        apiGroups: [a.apiGroup],
        resources: a.resources,
        verbs: a.verbs,
      })),
    );
    // Every call has its grant, and nothing more is granted (no wildcards).
    expect(grants(role.rules)).toEqual(wanted);
    expect(JSON.stringify(role.rules)).not.toContain('*');
  });

  it('runs two replicas with health probes, secrets only by reference', () => {
    const [deployment] = byKind('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    const [container] = deployment.spec.template.spec.containers;
    expect(container.readinessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/readiness',
    );
    expect(container.livenessProbe.httpGet.path).toBe(
      '/.backstage/health/v1/liveness',
    );
    // No Secret objects and no literal values of secret variables.
    expect(byKind('Secret')).toEqual([]);
    const secretVars = manifests()
      .flatMap(m => m.spec?.template?.spec?.containers ?? [])
      .flatMap(c => c.env ?? [])
      .filter(e => /PASSWORD|SECRET|TOKEN/.test(e.name));
    expect(secretVars.length).toBeGreaterThan(0);
    for (const e of secretVars) {
      expect(e).toEqual({
        name: e.name,
        valueFrom: { secretKeyRef: expect.any(Object) },
      });
    }
    const [service] = byKind('Service').filter(
      s => s.metadata.name === 'ml-portal',
    );
    expect(deployment.spec.template.metadata.labels).toMatchObject(
      service.spec.selector,
    );
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
  });
});
