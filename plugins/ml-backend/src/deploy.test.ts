/*
 * deploy/ (issue 20, docs/deploy.md): the manifests go through the real
 * kubectl's server-side dry run against the test API server, and the ML
 * backend's ClusterRole grants exactly what ML_KUBE_ACCESS (the list kept
 * next to the Kubernetes calls) says the backend does.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import request from 'supertest';
import { gpuPod } from './__testUtils__/kubeSeeds';
import { asUser, userInfoServiceFactory } from './__testUtils__/testUsers';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
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

const WEBHOOK_SECRET = 'alertmanager-shared-secret-0123';

/** The example Models and Pipelines of the fraud and recsys teams. */
function exampleEntities(): Entity[] {
  return ['fraud', 'recsys'].flatMap(team =>
    parseAllDocuments(
      fs.readFileSync(
        path.join(__dirname, `../../../examples/ml/${team}.yaml`),
        'utf8',
      ),
    )
      .map(d => d.toJSON() as Entity)
      .filter(e => e?.kind)
      .map(e => ({ ...e, metadata: { namespace: 'default', ...e.metadata } })),
  );
}

/** Alertmanager's webhook delivery of one drift alert of fraud-detector. */
const driftAlert = () => ({
  version: '4',
  groupKey: '{}:{alertname="ModelDriftHigh"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'ml-portal',
  groupLabels: { alertname: 'ModelDriftHigh' },
  commonLabels: { alertname: 'ModelDriftHigh' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager.example.com',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'ModelDriftHigh',
        severity: 'warning',
        namespace: 'fraud',
        model: 'fraud-detector',
      },
      annotations: { summary: 'Drift score above 0.3' },
      startsAt: '2026-11-23T10:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example.com/graph?g0.expr=x',
      fingerprint: 'f00dfeed01',
    },
  ],
});

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

  describe("the ML backend as deploy/'s ServiceAccount, authorized by its ClusterRole alone", () => {
    const SA = 'system:serviceaccount:ml-portal:ml-portal';
    const ADA = 'user:default/ada';
    const BOB = 'user:default/bob';
    const servers: KubeApiServer[] = [];
    let backend: Awaited<ReturnType<typeof startTestBackend>> | undefined;

    afterAll(async () => {
      await backend?.stop();
      await Promise.all(servers.map(k => k.stop()));
    });

    /** A cluster where the portal's token is the ServiceAccount's, RBAC enforced. */
    async function clusterWithDeployRbac(
      name: string,
      seed: object[],
      crds?: Array<'kueue' | 'kubeflow' | 'argo' | 'kserve'>,
    ) {
      const kube = await startKubeApiServer({
        seed: [
          ...loadManifests(
            ['00-namespace.yaml', '10-rbac.yaml']
              .map(f => fs.readFileSync(path.join(DEPLOY, f), 'utf8'))
              .join('\n---\n'),
          ),
          ...seed,
        ],
        ...(crds ? { crds } : {}),
        tokens: { 'sa-token': { user: SA, rbac: true } },
      });
      servers.push(kube);
      return {
        kube,
        config: { name, url: kube.url, token: 'sa-token', caData: kube.caData },
      };
    }

    it("reads quotas, creates / lists / stops / starts / deletes notebooks on a Kueue + Kubeflow cluster and a plain one, retrains on an alert, lists Job and Argo runs and a run's pods, with no call refused", async () => {
      const kueue = await clusterWithDeployRbac(
        'gpu-cluster-a',
        loadManifests(
          fs.readFileSync(
            path.join(__dirname, '../../../examples/kube/gpu-cluster-a.yaml'),
            'utf8',
          ),
        ),
      );
      const plain = await clusterWithDeployRbac(
        'plain',
        [
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: {
              name: 'fraud',
              labels: { 'mlplatform.io/team': 'fraud-team' },
            },
          },
          {
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: { name: 'gpu-quota', namespace: 'fraud' },
            spec: { hard: { 'requests.nvidia.com/gpu': '4' } },
          },
          gpuPod('fraud', 'train-1', { 'nvidia.com/gpu': '2' }),
        ],
        [],
      );
      backend = await startTestBackend({
        features: [
          mlPlugin,
          permissionPlugin,
          mlTestPolicyModule({ admins: [] }),
          oboAuthServiceFactory,
          userInfoServiceFactory({
            [ADA]: ['group:default/fraud-team'],
            [BOB]: ['group:default/recsys-team'],
          }),
          catalogServiceMock.factory({ entities: exampleEntities() }),
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              ml: {
                kubernetes: {
                  requestTimeoutSeconds: 5,
                  clusters: [kueue.config, plain.config],
                },
                alerts: {
                  webhook: { secret: WEBHOOK_SECRET },
                  rules: [
                    {
                      match: { alertname: 'ModelDriftHigh' },
                      action: 'retrain',
                    },
                  ],
                },
              },
            },
          }),
        ],
      });
      const api = () => request(backend!.server);
      const quotas = await api().get('/api/ml/quotas').set(asUser(ADA));
      expect(quotas.status).toBe(200);
      expect(quotas.body.clusters.map((c: any) => c.available)).toEqual([
        true,
        true,
      ]);
      for (const [cluster, gpus] of [
        ['gpu-cluster-a', 1],
        ['plain', 1],
      ] as const) {
        const created = await api()
          .post('/api/ml/notebooks')
          .set(asUser(ADA))
          .send({
            name: `nb-${cluster}`,
            cluster,
            namespace: 'fraud',
            image: 'quay.io/jupyter/pytorch-notebook:cuda12-2024-11-18',
            cpu: '1',
            memory: '2Gi',
            gpus,
          });
        expect([cluster, created.status, created.body.error?.message]).toEqual([
          cluster,
          201,
          undefined,
        ]);
        const at = `/api/ml/notebooks/${cluster}/fraud/nb-${cluster}`;
        const listed = await api().get('/api/ml/notebooks').set(asUser(ADA));
        expect(listed.status).toBe(200);
        expect(listed.body.unavailableClusters).toEqual([]);
        for (const step of ['stop', 'start']) {
          const res = await api().post(`${at}/${step}`).set(asUser(ADA));
          expect([step, res.status, res.body.error?.message]).toEqual([
            step,
            204,
            undefined,
          ]);
        }
        const deleted = await api().delete(at).set(asUser(ADA));
        expect(deleted.status).toBe(204);
      }
      // Pipeline runs: Jobs from their CronJob (an alert's retraining),
      // Argo Workflows; the pods of a run for its logs.
      const alert = await api()
        .post('/api/ml/alerts/webhook')
        .set(
          'Authorization',
          `Basic ${Buffer.from(`alertmanager:${WEBHOOK_SECRET}`).toString(
            'base64',
          )}`,
        )
        .send(driftAlert());
      expect(alert.status).toBe(200);
      expect(alert.body.items.map((i: any) => i.status)).toEqual(['started']);
      for (const pipeline of [
        'fraud-detector-training',
        'recsys-feature-pipeline',
      ]) {
        const runs = await api()
          .get(`/api/ml/pipelines/default/${pipeline}/runs`)
          .set(asUser(ADA));
        expect([pipeline, runs.status]).toEqual([pipeline, 200]);
      }
      const argo = await api()
        .post('/api/ml/pipelines/default/recsys-feature-pipeline/runs')
        .set(asUser(BOB))
        .send({ parameters: {} });
      expect([argo.status, argo.body.error?.message]).toEqual([201, undefined]);
      const pods = await api()
        .get('/api/ml/pipelines/default/fraud-detector-training/logs/pods')
        .set(asUser(ADA));
      expect(pods.status).toBe(200);
      const calls = servers.flatMap(k =>
        k.requests.filter(r => r.user === SA && r.verb),
      );
      expect(calls.filter(r => r.status === 403)).toEqual([]);
      // What these flows used, each granted by a line of ML_KUBE_ACCESS.
      const used = [
        ...new Set(
          calls.map(
            r =>
              `${r.group ?? ''}/${r.resource}${
                r.subresource ? `/${r.subresource}` : ''
              } ${r.verb}`,
          ),
        ),
      ].sort();
      const granted = grants(
        ML_KUBE_ACCESS.map(a => ({
          apiGroups: [a.apiGroup],
          resources: a.resources,
          verbs: a.verbs,
        })),
      );
      expect(used.filter(u => !granted.includes(u))).toEqual([]);
      // eslint-disable-next-line no-console
      console.log(
        `calls made as the ServiceAccount:\n${used.join(
          '\n',
        )}\ngranted, not exercised here:\n${granted
          .filter(g => !used.includes(g))
          .join('\n')}`,
      );
    });
  });
});
