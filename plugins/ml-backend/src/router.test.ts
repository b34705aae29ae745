import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { MlAuditEventsResponse } from '@mlplatform/plugin-ml-common';
import express from 'express';
import request from 'supertest';
import { AuditStore } from './database/AuditStore';
import { createRouter } from './router';
import { IntegrationStatusService } from './services/IntegrationStatusService';

jest.setTimeout(60_000);

const ADMIN = 'user:default/root';
const ADA = 'user:default/ada';
const BOB = 'user:default/bob';

describe('GET /audit', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let app: express.Express;
  let ids: Record<string, number>;

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    const auditStore = await AuditStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    ids = {};
    for (const [key, actor, action, targetRef, outcome, day] of [
      [
        'adaCreate',
        ADA,
        'ml.notebook.create',
        'notebook:a/fraud/nb',
        'succeeded',
        20,
      ],
      [
        'bobPromote',
        BOB,
        'ml.model.promote',
        'model:default/fraud-detector',
        'refused',
        21,
      ],
      [
        'adaPromote',
        ADA,
        'ml.model.promote',
        'model:default/fraud-detector',
        'succeeded',
        22,
      ],
      [
        'adaDelete',
        ADA,
        'ml.notebook.delete',
        'notebook:a/fraud/nb',
        'succeeded',
        23,
      ],
    ] as const) {
      const [id] = await knex('ml_audit_events')
        .insert({
          occurred_at: new Date(Date.UTC(2026, 10, day, 12)),
          actor,
          action,
          target_ref: targetRef,
          outcome,
          details: '{}',
        })
        .returning('id');
      ids[key] = Number(typeof id === 'object' ? id.id : id);
    }
    const router = await createRouter({
      httpAuth: mockServices.httpAuth(),
      integrationStatus: {} as IntegrationStatusService,
      auditStore,
      permissions: mockServices.permissions.mock({
        authorize: async (_requests: any, { credentials }: any) => [
          {
            result:
              credentials.principal.type === 'service' ||
              credentials.principal.userEntityRef === ADMIN
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          },
        ],
      }),
    });
    app = express().use(router).use(mockErrorHandler());
  });

  const get = (user: string, query = '') =>
    request(app)
      .get(`/audit${query}`)
      .set({ Authorization: mockCredentials.user.header(user) });
  const keys = (body: MlAuditEventsResponse) =>
    body.items.map(e => Object.keys(ids).find(k => ids[k] === e.id));

  it('shows an admin everyone, newest first, narrowed by actor, action, entity and time', async () => {
    const all = await get(ADMIN);
    expect(all.status).toBe(200);
    expect(all.body.scope).toBe('all');
    expect(keys(all.body)).toEqual([
      'adaDelete',
      'adaPromote',
      'bobPromote',
      'adaCreate',
    ]);
    expect(keys((await get(ADMIN, `?actor=${BOB}`)).body)).toEqual([
      'bobPromote',
    ]);
    expect(
      keys(
        (await get(ADMIN, '?action=ml.model.promote&outcome=succeeded')).body,
      ),
    ).toEqual(['adaPromote']);
    expect(
      keys((await get(ADMIN, '?entity=notebook:a/fraud/nb')).body),
    ).toEqual(['adaDelete', 'adaCreate']);
    expect(
      keys(
        (await get(ADMIN, '?from=2026-11-21T00:00:00Z&to=2026-11-23T00:00:00Z'))
          .body,
      ),
    ).toEqual(['adaPromote', 'bobPromote']);
  });

  it('pages with limit and cursor', async () => {
    const first = await get(ADMIN, '?limit=3');
    expect(keys(first.body)).toEqual(['adaDelete', 'adaPromote', 'bobPromote']);
    const next = await get(ADMIN, `?limit=3&cursor=${first.body.nextCursor}`);
    expect(keys(next.body)).toEqual(['adaCreate']);
    expect(next.body.nextCursor).toBeUndefined();
  });

  it("shows anyone else only their own rows, and refuses to show another's", async () => {
    const own = await get(BOB);
    expect(own.status).toBe(200);
    expect(own.body.scope).toBe('own');
    expect(keys(own.body)).toEqual(['bobPromote']);
    const other = await get(BOB, `?actor=${ADA}`);
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe(
      'user:default/bob may only read their own audit events: permission ml.audit.read denied',
    );
    expect(keys((await get(BOB, '?entity=notebook:a/fraud/nb')).body)).toEqual(
      [],
    );
  });

  it.each([
    ['?from=yesterday', 'from: from must be an ISO 8601 date'],
    ['?from=2026-11-23&to=2026-11-22', 'from: from must be before to'],
    ['?limit=0', 'limit: Too small'],
    [
      '?action=DROP%20TABLE',
      'action: must be an action such as ml.model.promote',
    ],
    ['?cursor=bm9wZQ', 'cursor: not a cursor of this API'],
    ['?outcome=maybe', 'outcome:'],
    ['?sort=asc', 'Unrecognized key'],
  ])('rejects %s with a clear 400', async (query, message) => {
    const res = await get(ADMIN, query);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });
});
