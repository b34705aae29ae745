import { TestDatabases } from '@backstage/backend-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import { AuditStore } from '../../database/AuditStore';
import { MlAuditor } from './MlAuditor';

jest.setTimeout(60_000);

describe('MlAuditor', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });

  async function setup() {
    const knex = await databases.init('SQLITE_3');
    const auditStore = await AuditStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
    const event = { success: jest.fn(), fail: jest.fn() };
    const auditor = mockServices.auditor.mock({
      createEvent: jest.fn(async () => event),
    });
    return {
      auditStore,
      event,
      auditor,
      mlAuditor: MlAuditor.create({ auditStore, auditor }),
    };
  }

  const begin = {
    eventId: 'ml-model-promote',
    action: 'ml.model.promote',
    actor: 'user:default/ada',
    targetRef: 'model:default/fraud-detector',
    details: { alias: 'production' },
  };

  it('writes the same success to both trails', async () => {
    const { auditStore, auditor, event, mlAuditor } = await setup();
    const audit = await mlAuditor.begin(begin);
    expect(auditor.createEvent).toHaveBeenCalledWith({
      eventId: 'ml-model-promote',
      severityLevel: 'medium',
      meta: { alias: 'production' },
    });
    await audit.succeeded({
      details: { fromVersion: 'v2' },
      meta: { fromVersion: 'v2' },
    });
    expect(event.success).toHaveBeenCalledWith({ meta: { fromVersion: 'v2' } });
    expect(await auditStore.list()).toEqual([
      expect.objectContaining({
        outcome: 'succeeded',
        details: { alias: 'production', fromVersion: 'v2' },
      }),
    ]);
  });

  it('writes a refusal with its error to both trails, once', async () => {
    const { auditStore, event, mlAuditor } = await setup();
    const audit = await mlAuditor.begin(begin);
    const error = new Error('ada may not promote');
    await audit.refused({ error });
    await audit.failed({ error });
    expect(event.fail).toHaveBeenCalledTimes(1);
    expect(event.fail).toHaveBeenCalledWith({ error });
    const events = await auditStore.list();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      outcome: 'refused',
      error: 'ada may not promote',
    });
  });

  it('gives Backstage a reason when the ML table records no error', async () => {
    const { auditStore, event, mlAuditor } = await setup();
    const audit = await mlAuditor.begin(begin);
    await audit.finish('refused', { reason: 'rate limit reached' });
    expect(event.fail.mock.calls[0][0].error.message).toBe(
      'rate limit reached',
    );
    const [recorded] = await auditStore.list();
    expect(recorded.error).toBeUndefined();
  });

  it('writes the ML table without a Backstage auditor', async () => {
    const { auditStore } = await setup();
    const audit = await MlAuditor.create({ auditStore }).begin(begin);
    await audit.failed({ error: new Error('registry down') });
    const [recorded] = await auditStore.list();
    expect(recorded).toMatchObject({
      outcome: 'failed',
      error: 'registry down',
    });
  });
});
