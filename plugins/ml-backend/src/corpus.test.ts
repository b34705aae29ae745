import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  PrometheusHandle,
  RegistryHandle,
  describeIfBinary,
  serverBinaries,
  startPrometheus,
  startRegistry,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import { clusterASeed, clusterBSeed } from './__testUtils__/kubeSeeds';
import { oboAuthServiceFactory } from './permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from './permissions/__testUtils__/testPolicy';
import { mlPlugin } from './plugin';
import { userInfoServiceFactory } from './__testUtils__/testUsers';

// The bad-input corpus (test/corpus/api.yaml, annotations.yaml) against the
// real ML backend: the real catalog with the ML module, the real permission
// backend, two test Kubernetes API servers, a real docker-registry and a real
// Prometheus. Every case must be refused with a clear message, and nothing
// may be written anywhere.

jest.setTimeout(180_000);

const CORPUS = path.resolve(__dirname, '../../../test/corpus');
const ADA = 'user:default/ada';
const ROOT = 'user:default/root';
const GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [ROOT]: ['group:default/platform-team'],
};

interface ApiCase {
  name: string;
  target: 'api';
  request: {
    method: 'GET' | 'POST' | 'DELETE';
    path: string;
    body?: unknown;
    rawBody?: string;
    contentType?: string;
    pad?: number;
    padParameter?: number;
  };
  status: number | number[];
  expect: string;
  /** A refusal that is not yet as clear as it should be (see the report). */
  knownIssue?: string;
}

interface AnnotationCase {
  name: string;
  target: 'annotation';
  annotations: Record<string, string>;
  catalog: string | null;
  api: { endpoint: 'health' | 'versions'; status: number; expect: string };
}

function readCases<T>(file: string, registryHost: string): T[] {
  const text = fs
    .readFileSync(path.join(CORPUS, file), 'utf8')
    .replaceAll('${REGISTRY}', registryHost);
  return parse(text, { merge: true }).cases;
}

const userInfoFactory = userInfoServiceFactory(GROUPS);

const as = (user: string) => mockCredentials.user.header(user);

const model = (name: string, annotations: Record<string, string>) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'classifier', lifecycle: 'experimental', owner: 'fraud-team' },
});

const annotationModelName = (i: number) => `corpus-annotation-${i}`;

/** Sends one API case; the bodies are built here so YAML stays readable. */
function send(server: any, c: ApiCase['request'], user: string) {
  const method = c.method.toLowerCase() as 'get' | 'post' | 'delete';
  let req = request(server)[method](c.path).set('authorization', as(user));
  if (c.rawBody !== undefined) {
    return req
      .set('content-type', c.contentType ?? 'application/json')
      .send(c.rawBody);
  }
  let body: any = c.body;
  if (c.pad) body = { ...body, pad: 'x'.repeat(c.pad) };
  if (c.padParameter) {
    body = {
      ...body,
      parameters: { ...body.parameters, notes: 'x'.repeat(c.padParameter) },
    };
  }
  if (body !== undefined) req = req.send(body);
  return req;
}

/** The error text a caller sees: Backstage's error body. */
function messageOf(res: request.Response): string {
  return String(res.body?.error?.message ?? res.text ?? '');
}

async function prometheusQueries(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    const m =
      /^prometheus_http_requests_total\{[^}]*handler="\/api\/v1\/(query|query_range)"[^}]*\} (\S+)$/.exec(
        line,
      );
    if (m) total += Number(m[2]);
  }
  return total;
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete']);
const writes = (servers: KubeApiServer[]) =>
  servers.flatMap(s =>
    s.requests
      .filter(r => r.verb && MUTATING.has(r.verb))
      .map(r => `${r.method} ${r.path}`),
  );

describeIfBinary([serverBinaries.registry, serverBinaries.prometheus])(
  'bad-input corpus against the ML backend',
  () => {
    let a: KubeApiServer;
    let b: KubeApiServer;
    let registry: RegistryHandle;
    let prometheus: PrometheusHandle;
    let dir: string;
    let apiCases: ApiCase[];
    let annotationCases: AnnotationCase[];

    const mlConfig = () => ({
      kubernetes: {
        requestTimeoutSeconds: 5,
        clusters: [a, b].map((s, i) => ({
          name: i === 0 ? 'gpu-cluster-a' : 'gpu-cluster-b',
          url: s.url,
          token: s.token,
          caData: s.caData,
        })),
      },
      registries: [{ name: 'local', type: 'oci', url: registry.url }],
      prometheus: { url: prometheus.url },
    });

    const registryState = async () => {
      const catalog = await (await registry.request('/v2/_catalog')).json();
      const tags = await Promise.all(
        (catalog.repositories as string[]).map(async repo => [
          repo,
          (await (await registry.request(`/v2/${repo}/tags/list`)).json()).tags,
        ]),
      );
      return { repositories: catalog.repositories, tags };
    };

    beforeAll(async () => {
      [a, b, registry, prometheus] = await Promise.all([
        startKubeApiServer({ seed: clusterASeed(), controllers: true }),
        startKubeApiServer({ crds: [], seed: clusterBSeed() }),
        startRegistry(),
        startPrometheus(),
      ]);
      for (const tag of ['v1', 'v2']) {
        await pushModel({
          registry: registry.url,
          repository: 'models/fraud-detector',
          tag,
          file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
          framework: 'onnx',
          aliases: tag === 'v2' ? ['production'] : [],
        });
      }
      apiCases = readCases<ApiCase>('api.yaml', registry.host);
      annotationCases = readCases<AnnotationCase>(
        'annotations.yaml',
        registry.host,
      );
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-corpus-'));
    });

    afterAll(async () => {
      await Promise.all([
        a?.stop(),
        b?.stop(),
        registry?.stop(),
        prometheus?.stop(),
      ]);
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    describe('with the real catalog', () => {
      let backend: Awaited<ReturnType<typeof startTestBackend>>;

      beforeAll(async () => {
        const entities = [
          model('corpus-model', {
            'mlplatform.io/registry-ref': `oci://${registry.host}/models/fraud-detector`,
            'mlplatform.io/metrics-selector': 'model="corpus-model"',
          }),
          {
            apiVersion: 'mlplatform.io/v1alpha1',
            kind: 'Pipeline',
            metadata: { name: 'corpus-pipeline', namespace: 'default' },
            spec: {
              type: 'training',
              lifecycle: 'experimental',
              owner: 'fraud-team',
              orchestrator: {
                type: 'kubernetes-job',
                id: 'corpus-pipeline',
                namespace: 'fraud',
                cluster: 'gpu-cluster-a',
              },
            },
          },
          // Only the annotations the catalog accepts can be stored.
          ...annotationCases.flatMap((c, i) =>
            c.catalog === null
              ? [model(annotationModelName(i), c.annotations)]
              : [],
          ),
        ];
        const file = path.join(dir, 'entities.yaml');
        fs.writeFileSync(file, entities.map(e => stringify(e)).join('---\n'));
        backend = await startTestBackend({
          features: [
            catalogPlugin,
            catalogModuleMlEntityModel,
            mlPlugin,
            permissionPlugin,
            mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
            oboAuthServiceFactory,
            userInfoFactory,
            mockServices.rootConfig.factory({
              data: {
                permission: { enabled: true },
                catalog: {
                  rules: [
                    {
                      allow: [
                        ...['Location', 'User', 'Group'],
                        ...['Model', 'Pipeline', 'Dataset', 'GpuQuota'],
                      ],
                    },
                  ],
                  locations: [
                    {
                      type: 'file',
                      target: path.resolve(
                        __dirname,
                        '../../../examples/ml/org.yaml',
                      ),
                    },
                    { type: 'file', target: file },
                  ],
                },
                ml: mlConfig(),
              },
            }),
          ],
        });
        const names = entities.map(e => e.metadata.name);
        const deadline = Date.now() + 60_000;
        for (;;) {
          const res = await request(backend.server)
            .get('/api/catalog/entities?filter=kind=model,kind=pipeline')
            .set('authorization', as(ADA));
          const stored = new Set((res.body as any[]).map(e => e.metadata.name));
          if (names.every(n => stored.has(n))) break;
          if (Date.now() > deadline) {
            throw new Error(
              `catalog did not store ${names.filter(n => !stored.has(n))}`,
            );
          }
          await new Promise(r => setTimeout(r, 250));
        }
      });

      afterAll(async () => {
        await backend?.stop();
      });

      it('refuses every API case with its message and writes nothing', async () => {
        expect(apiCases.length).toBeGreaterThanOrEqual(60);
        const server = backend.server;
        const notebooks = async () =>
          (
            await request(server)
              .get('/api/ml/notebooks')
              .set('authorization', as(ADA))
          ).body;
        const audit = async () =>
          (
            await request(server)
              .get('/api/ml/audit?limit=500')
              .set('authorization', as(ROOT))
          ).body.items;
        const before = {
          notebooks: await notebooks(),
          audit: await audit(),
          registry: await registryState(),
        };
        expect(before.audit).toBeDefined();
        a.resetRequests();
        b.resetRequests();

        const failures: string[] = [];
        const known: string[] = [];
        for (const c of apiCases) {
          const user = c.request.path.startsWith('/api/ml/audit') ? ROOT : ADA;
          const res = await send(server, c.request, user);
          const statuses = [c.status].flat();
          const message = messageOf(res);
          const ok =
            statuses.includes(res.status) && message.includes(c.expect);
          const line = `${c.name}: got ${res.status} ${JSON.stringify(
            message.slice(0, 300),
          )}, want ${statuses.join('|')} with ${JSON.stringify(c.expect)}`;
          if (c.knownIssue) {
            // Still never a server error; when fixed, drop knownIssue.
            if (res.status >= 500) failures.push(line);
            known.push(ok ? `${c.name}: fixed, remove knownIssue` : line);
          } else if (!ok) {
            failures.push(line);
          }
        }
        expect(failures).toEqual([]);
        if (known.length) {
          // eslint-disable-next-line no-console
          console.warn(`known issues in the corpus:\n${known.join('\n')}`);
        }

        expect(writes([a, b])).toEqual([]);
        expect(await notebooks()).toEqual(before.notebooks);
        expect(await audit()).toEqual(before.audit);
        expect(await registryState()).toEqual(before.registry);
      });

      it('refuses annotations the catalog accepts but config does not allow, without contacting anything', async () => {
        const cases = annotationCases
          .map((c, i) => ({ ...c, model: annotationModelName(i) }))
          .filter(c => c.catalog === null);
        expect(cases.length).toBeGreaterThanOrEqual(4);
        const queries = await prometheusQueries(prometheus.url);
        const before = await registryState();
        const failures: string[] = [];
        for (const c of cases) {
          const res = await request(backend.server)
            .get(`/api/ml/models/default/${c.model}/${c.api.endpoint}`)
            .set('authorization', as(ADA));
          const message = messageOf(res);
          if (res.status !== c.api.status || !message.includes(c.api.expect)) {
            failures.push(
              `${c.name}: got ${res.status} ${JSON.stringify(message)}, want ${
                c.api.status
              } with ${JSON.stringify(c.api.expect)}`,
            );
          }
        }
        expect(failures).toEqual([]);
        expect(await prometheusQueries(prometheus.url)).toBe(queries);
        expect(await registryState()).toEqual(before);
      });
    });

    // As if the Models came from a catalog without the ML module's
    // validation: the backend must not rely on the catalog for safety.
    describe('with Models the catalog did not validate', () => {
      it('refuses every annotation case at the API, without contacting Prometheus or the registry', async () => {
        const entities = annotationCases.map((c, i) =>
          model(annotationModelName(i), c.annotations),
        );
        const backend = await startTestBackend({
          features: [
            mlPlugin,
            userInfoFactory,
            catalogServiceMock.factory({ entities }),
            mockServices.rootConfig.factory({ data: { ml: mlConfig() } }),
          ],
        });
        try {
          const queries = await prometheusQueries(prometheus.url);
          const before = await registryState();
          const failures: string[] = [];
          for (const [i, c] of annotationCases.entries()) {
            const res = await request(backend.server)
              .get(
                `/api/ml/models/default/${annotationModelName(i)}/${
                  c.api.endpoint
                }`,
              )
              .set('authorization', as(ADA));
            const message = messageOf(res);
            if (
              res.status !== c.api.status ||
              !message.includes(c.api.expect)
            ) {
              failures.push(
                `${c.name}: got ${res.status} ${JSON.stringify(
                  message,
                )}, want ${c.api.status} with ${JSON.stringify(c.api.expect)}`,
              );
            }
          }
          expect(failures).toEqual([]);
          expect(await prometheusQueries(prometheus.url)).toBe(queries);
          expect(await registryState()).toEqual(before);
        } finally {
          await backend.stop();
        }
      });
    });
  },
);
