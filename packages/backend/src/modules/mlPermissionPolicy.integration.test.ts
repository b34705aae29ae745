import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { RELATION_MEMBER_OF } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import permissionPlugin from '@backstage/plugin-permission-backend';
import catalogModuleMlEntityModel from '@mlplatform/plugin-catalog-backend-module-ml';
import mlPlugin from '@mlplatform/plugin-ml-backend';
// Test infrastructure of the ML backend: mock auth with the on-behalf-of actor.
// eslint-disable-next-line @backstage/no-relative-monorepo-imports
import { oboAuthServiceFactory } from '../../../../plugins/ml-backend/src/permissions/__testUtils__/oboAuthServiceFactory';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import { MlAuditEventsResponse } from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { permissionModuleMlPolicy } from './mlPermissionPolicy';

// The portal's policy through the real permission backend, the real catalog
// (examples/ml/org.yaml) and the real ML backend, against the test Kubernetes
// API server seeded with the demo cluster and a real OCI registry: a
// non-member is refused every mutation when calling the API directly, and
// nothing changes; a member succeeds; the audit trail shows it all, to
// admins only.

jest.setTimeout(180_000);

const ROOT_DIR = path.resolve(__dirname, '../../../..');
const ALICE = 'user:default/alice'; // fraud-team
const CAROL = 'user:default/carol'; // recsys-team
const ROOT = 'user:default/root'; // platform-team (audit admins)

/**
 * What the auth backend puts in a signed-in user's token (`ent`): the user
 * and the groups the catalog says they are a member of.
 */
const catalogUserInfo = createServiceFactory({
  service: coreServices.userInfo,
  deps: { catalog: catalogServiceRef, auth: coreServices.auth },
  factory: ({ catalog, auth }) => ({
    async getUserInfo(credentials: any) {
      const ref = credentials.principal.userEntityRef as string;
      const user = await catalog.getEntityByRef(ref, {
        credentials: await auth.getOwnServiceCredentials(),
      });
      const groups = (user?.relations ?? [])
        .filter(r => r.type === RELATION_MEMBER_OF)
        .map(r => r.targetRef);
      return { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] };
    },
  }),
});

const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

describeIfBinary(serverBinaries.registry)(
  'the ML permission policy, end to end',
  () => {
    let cluster: KubeApiServer;
    let registry: RegistryHandle;
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    let tmp: string;

    beforeAll(async () => {
      [cluster, registry] = await Promise.all([
        startKubeApiServer({
          seed: loadManifests(
            fs.readFileSync(
              path.join(ROOT_DIR, 'examples/kube/gpu-cluster-a.yaml'),
              'utf8',
            ),
          ),
          controllers: true,
        }),
        startRegistry(),
      ]);
      for (const tag of ['v1', 'v2']) {
        await pushModel({
          registry: registry.url,
          repository: 'models/fraud-detector',
          tag,
          file: { name: 'model.onnx', data: Buffer.from(`weights ${tag}`) },
          framework: 'onnx',
          metrics: { auc: 0.9 },
          aliases: tag === 'v1' ? ['production'] : [],
        });
      }
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-policy-'));
      const entities = path.join(tmp, 'entities.yaml');
      fs.writeFileSync(
        entities,
        `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: platform-team }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: root }
spec: { memberOf: [platform-team] }
---
apiVersion: mlplatform.io/v1alpha1
kind: Model
metadata:
  name: fraud-detector
  annotations:
    mlplatform.io/registry-ref: oci://${registry.host}/models/fraud-detector
spec:
  type: classifier
  lifecycle: production
  owner: fraud-team
`,
      );
      backend = await startTestBackend({
        features: [
          catalogPlugin,
          catalogModuleMlEntityModel,
          permissionPlugin,
          permissionModuleMlPolicy,
          mlPlugin,
          catalogUserInfo,
          oboAuthServiceFactory,
          mockServices.rootConfig.factory({
            data: {
              permission: { enabled: true },
              catalog: {
                rules: [{ allow: ['Group', 'User', 'Model', 'Location'] }],
                locations: [
                  {
                    type: 'file',
                    target: path.join(ROOT_DIR, 'examples/ml/org.yaml'),
                  },
                  { type: 'file', target: entities },
                ],
              },
              ml: {
                kubernetes: {
                  refreshSeconds: 0,
                  clusters: [
                    {
                      name: 'gpu-cluster-a',
                      url: cluster.url,
                      token: cluster.token,
                      caData: cluster.caData,
                    },
                  ],
                },
                registries: [{ name: 'local', type: 'oci', url: registry.url }],
              },
            },
          }),
        ],
      });
      // The catalog ingests its locations in the background.
      for (const ref of [
        'model/default/fraud-detector',
        'user/default/carol',
        'user/default/alice',
        'user/default/root',
      ]) {
        for (let i = 0; ; i++) {
          const res = await request(backend.server)
            .get(`/api/catalog/entities/by-name/${ref}`)
            .set(as(ROOT));
          if (res.status === 200 && res.body.relations?.length) break;
          if (i > 600) throw new Error(`${ref} never reached the catalog`);
          await new Promise(r => setTimeout(r, 100));
        }
      }
    });

    afterAll(async () => {
      await backend?.stop();
      await Promise.all([cluster?.stop(), registry?.stop()]);
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    const mutations = () =>
      cluster.requests.filter(r => r.method !== 'GET').length;
    const aliases = async () => {
      const res = await request(backend.server)
        .get('/api/ml/models/default/fraud-detector/versions')
        .set(as(ALICE));
      return Object.fromEntries(
        res.body.versions.map((v: any) => [v.version, v.aliases]),
      );
    };
    const notebook = {
      name: 'alice-explore',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
      cpu: '1',
      memory: '2Gi',
      gpus: 0,
    };
    const nbPath = '/api/ml/notebooks/gpu-cluster-a/fraud/alice-explore';
    const workload = () =>
      cluster.get('kubeflow.org/v1', 'Notebook', 'fraud', 'alice-explore') ??
      cluster.get('apps/v1', 'StatefulSet', 'fraud', 'alice-explore');

    it('refuses a non-member every mutation and changes nothing; a member succeeds', async () => {
      const before = mutations();
      const refused = await request(backend.server)
        .post('/api/ml/notebooks')
        .set(as(CAROL))
        .send(notebook);
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toBe(
        'user:default/carol is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
      );
      expect(mutations()).toBe(before);
      expect(workload()).toBeUndefined();

      const created = await request(backend.server)
        .post('/api/ml/notebooks')
        .set(as(ALICE))
        .send(notebook);
      expect(created.status).toBe(201);
      expect(workload()).toBeDefined();

      const afterCreate = mutations();
      for (const [method, url] of [
        ['post', `${nbPath}/stop`],
        ['post', `${nbPath}/start`],
        ['delete', nbPath],
      ] as const) {
        const res = await request(backend.server)[method](url).set(as(CAROL));
        expect(res.status).toBe(403);
        expect(res.body.error.message).toBe(
          'user:default/carol is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
        );
      }
      expect(mutations()).toBe(afterCreate);
      expect(workload()).toBeDefined();

      const promote = await request(backend.server)
        .post('/api/ml/models/default/fraud-detector/aliases')
        .set(as(CAROL))
        .send({ alias: 'production', version: 'v2' });
      expect(promote.status).toBe(403);
      expect(promote.body.error.message).toBe(
        'user:default/carol may not promote model:default/fraud-detector: not a member of group:default/fraud-team, which owns it',
      );
      expect(await aliases()).toEqual({ v1: ['production'], v2: [] });

      const promoted = await request(backend.server)
        .post('/api/ml/models/default/fraud-detector/aliases')
        .set(as(ALICE))
        .send({ alias: 'production', version: 'v2' });
      expect(promoted.status).toBe(200);
      expect(await aliases()).toEqual({ v1: [], v2: ['production'] });

      expect(
        (await request(backend.server).post(`${nbPath}/stop`).set(as(ALICE)))
          .status,
      ).toBe(204);
      expect(
        (await request(backend.server).delete(nbPath).set(as(ALICE))).status,
      ).toBe(204);
      expect(workload()).toBeUndefined();
    });

    it('shows an admin every action, filtered, and anyone else only their own', async () => {
      const audit = async (user: string, query = '') =>
        request(backend.server).get(`/api/ml/audit${query}`).set(as(user));
      const rows = (body: MlAuditEventsResponse) =>
        body.items.map(e => [e.actor, e.action, e.outcome]).reverse();

      const all = await audit(ROOT);
      expect(all.status).toBe(200);
      expect(all.body.scope).toBe('all');
      expect(rows(all.body)).toEqual([
        [CAROL, 'ml.notebook.create', 'refused'],
        [ALICE, 'ml.notebook.create', 'succeeded'],
        [CAROL, 'ml.notebook.stop', 'refused'],
        [CAROL, 'ml.notebook.start', 'refused'],
        [CAROL, 'ml.notebook.delete', 'refused'],
        [CAROL, 'ml.model.promote', 'refused'],
        [ALICE, 'ml.model.promote', 'succeeded'],
        [ALICE, 'ml.notebook.stop', 'succeeded'],
        [ALICE, 'ml.notebook.delete', 'succeeded'],
      ]);
      expect(
        rows(
          (await audit(ROOT, `?actor=${ALICE}&action=ml.model.promote`)).body,
        ),
      ).toEqual([[ALICE, 'ml.model.promote', 'succeeded']]);
      expect(
        rows((await audit(ROOT, '?entity=model:default/fraud-detector')).body),
      ).toEqual([
        [CAROL, 'ml.model.promote', 'refused'],
        [ALICE, 'ml.model.promote', 'succeeded'],
      ]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect((await audit(ROOT, `?from=${future}`)).body.items).toEqual([]);

      const own = await audit(CAROL);
      expect(own.body.scope).toBe('own');
      expect(own.body.items.map((e: any) => e.actor)).toEqual(
        Array(5).fill(CAROL),
      );
      const others = await audit(CAROL, `?actor=${ALICE}`);
      expect(others.status).toBe(403);
      expect(others.body.error.message).toBe(
        'user:default/carol may only read their own audit events: permission ml.audit.read denied',
      );
    });
  },
);
