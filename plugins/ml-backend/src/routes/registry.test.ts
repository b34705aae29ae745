import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import express from 'express';
import { sampleTeamPolicy } from '../__testUtils__/samplePolicy';
import request from 'supertest';
import { pushModel } from '@mlplatform/plugin-ml-oci';
import { AuditStore } from '../database/AuditStore';
import { RegistryService } from '../services/registry/RegistryService';
import { createRegistryRouter } from './registry';

jest.setTimeout(60_000);

const OWNER = 'user:default/ada';
const OUTSIDER = 'user:default/mallory';

describeIfBinary(serverBinaries.registry)('registry routes', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let registry: RegistryHandle;
  let app: express.Express;
  let auditStore: AuditStore;
  let allow = true;
  const auditorEvent = { success: jest.fn(), fail: jest.fn() };
  const auditor = mockServices.auditor.mock({
    createEvent: jest.fn(async () => auditorEvent),
  });

  beforeAll(async () => {
    registry = await startRegistry();
    for (const [tag, auc] of [
      ['v1', 0.91],
      ['v2', 0.95],
      ['v3', 0.97],
    ] as const) {
      await pushModel({
        registry: registry.url,
        repository: 'models/fraud-detector',
        tag,
        file: { name: 'model.onnx', data: Buffer.from('weights') },
        framework: 'onnx',
        metrics: { auc },
        pipelineRun: `run-${tag}`,
        aliases: tag === 'v2' ? ['production'] : [],
        created: new Date(Date.UTC(2026, 0, Number(tag.slice(1)))),
      });
    }
    const knex = await databases.init('SQLITE_3');
    auditStore = await AuditStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    const model = (name: string, ref?: string) => ({
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: {
        name,
        namespace: 'default',
        annotations: (ref
          ? { 'mlplatform.io/registry-ref': ref }
          : {}) as Record<string, string>,
      },
      spec: {
        type: 'classifier',
        lifecycle: 'production',
        owner: 'fraud-team',
      },
    });
    const catalog = catalogServiceMock({
      entities: [
        model('fraud-detector', `oci://${registry.host}/models/fraud-detector`),
        model('stolen', 'oci://evil.example.com:5000/models/x'),
        model('unregistered'),
      ],
    });
    const router = await createRegistryRouter({
      httpAuth: mockServices.httpAuth(),
      catalog,
      registryService: RegistryService.create({
        registries: [{ name: 'local', type: 'oci', url: registry.url }],
        logger: mockServices.logger.mock(),
      }),
      auditStore,
      // The sample policy's decision (members of the owning team); `allow`
      // false stands for a policy that refuses everything.
      ...sampleTeamPolicy({
        claimsOf: user =>
          user === OWNER ? [user, 'group:default/fraud-team'] : [user],
        catalog,
        allow: () => allow,
      }),
      logger: mockServices.logger.mock(),
      auditor,
    });
    app = express().use(router).use(mockErrorHandler());
  });

  afterAll(() => registry?.stop());

  const as = (user: string) => ({
    Authorization: mockCredentials.user.header(user),
  });

  it('lists versions newest first without raw annotations', async () => {
    const res = await request(app)
      .get('/models/default/fraud-detector/versions')
      .set(as(OUTSIDER));
    expect(res.status).toBe(200);
    expect(res.body.entityRef).toBe('model:default/fraud-detector');
    expect(res.body.registry).toBe('local');
    expect(
      res.body.versions.map((v: any) => [v.version, v.metrics.auc, v.aliases]),
    ).toEqual([
      ['v3', 0.97, []],
      ['v2', 0.95, ['production']],
      ['v1', 0.91, []],
    ]);
    expect(res.body.versions[0]).toMatchObject({
      created: '2026-01-03T00:00:00.000Z',
      sourceRun: { id: 'run-v3' },
      framework: 'onnx',
    });
    expect(res.body.versions[0].annotations).toBeUndefined();
  });

  it('answers 404 for unknown models and models without a registry, 400 for foreign hosts', async () => {
    const missing = await request(app)
      .get('/models/default/nope/versions')
      .set(as(OWNER));
    expect(missing.status).toBe(404);
    const unregistered = await request(app)
      .get('/models/default/unregistered/versions')
      .set(as(OWNER));
    expect(unregistered.status).toBe(404);
    expect(unregistered.body.error.message).toMatch(/has no registry/);
    const foreign = await request(app)
      .get('/models/default/stolen/versions')
      .set(as(OWNER));
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toBe(
      'Registry host evil.example.com:5000 is not configured under ml.registries; refusing to contact it',
    );
  });

  it('refuses a non-owner with 403, changes nothing, and audits the refusal', async () => {
    const res = await request(app)
      .post('/models/default/fraud-detector/aliases')
      .set(as(OUTSIDER))
      .send({ alias: 'production', version: 'v3' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe(
      'user:default/mallory may not promote model:default/fraud-detector: not a member of group:default/fraud-team, which owns it',
    );
    const versions = await request(app)
      .get('/models/default/fraud-detector/versions')
      .set(as(OWNER));
    expect(versions.body.versions[1].aliases).toEqual(['production']);
    const [event] = await auditStore.list({ actor: OUTSIDER });
    expect(event).toMatchObject({
      action: 'ml.model.promote',
      outcome: 'refused',
      targetRef: 'model:default/fraud-detector',
      details: { alias: 'production', toVersion: 'v3' },
    });
  });

  it('refuses when the permission policy denies, even for the owner', async () => {
    allow = false;
    try {
      const res = await request(app)
        .post('/models/default/fraud-detector/aliases')
        .set(as(OWNER))
        .send({ alias: 'production', version: 'v3' });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(
        /permission ml.model.promote denied/,
      );
    } finally {
      allow = true;
    }
  });

  it('rejects bad bodies with 400', async () => {
    for (const body of [
      { alias: 'production' },
      { alias: 'prod uction', version: 'v3' },
      { alias: 'production', version: 'v3', force: true },
    ]) {
      const res = await request(app)
        .post('/models/default/fraud-detector/aliases')
        .set(as(OWNER))
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
    }
  });

  it('lets the owner move production from v2 to v3 and audits who, from, to and when', async () => {
    const res = await request(app)
      .post('/models/default/fraud-detector/aliases')
      .set(as(OWNER))
      .send({ alias: 'production', version: 'v3' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      entityRef: 'model:default/fraud-detector',
      alias: 'production',
      version: 'v3',
      previousVersion: 'v2',
    });
    const versions = await request(app)
      .get('/models/default/fraud-detector/versions')
      .set(as(OWNER));
    expect(
      versions.body.versions.map((v: any) => [v.version, v.aliases]),
    ).toEqual([
      ['v3', ['production']],
      ['v2', []],
      ['v1', []],
    ]);
    const [event] = await auditStore.list({
      targetRef: 'model:default/fraud-detector',
      action: 'ml.model.promote',
    });
    expect(event).toMatchObject({
      actor: OWNER,
      outcome: 'succeeded',
      details: { alias: 'production', fromVersion: 'v2', toVersion: 'v3' },
    });
    expect(Date.now() - Date.parse(event.occurredAt)).toBeLessThan(60_000);
    expect(auditor.createEvent).toHaveBeenLastCalledWith(
      expect.objectContaining({
        eventId: 'ml-model-promote',
        meta: expect.objectContaining({
          entityRef: 'model:default/fraud-detector',
          alias: 'production',
          toVersion: 'v3',
        }),
      }),
    );
    expect(auditorEvent.success).toHaveBeenCalledWith({
      meta: { fromVersion: 'v2' },
    });
  });

  it('audits a failed promotion to a version that does not exist', async () => {
    const res = await request(app)
      .post('/models/default/fraud-detector/aliases')
      .set(as(OWNER))
      .send({ alias: 'production', version: 'v7' });
    expect(res.status).toBe(404);
    const [event] = await auditStore.list({ actor: OWNER });
    expect(event).toMatchObject({
      outcome: 'failed',
      details: { toVersion: 'v7' },
    });
    expect(event.error).toMatch(/Version "v7" .* not found/);
  });
});
