import {
  mockCredentials,
  mockServices,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  PipelineOrchestratorError,
  PipelineOrchestratorErrorKind,
  PipelineRunsAdapter,
} from '@mlplatform/plugin-ml-node';
import { AuditStore } from '../../database/AuditStore';
import { PipelineRunsService, toHttpError } from './PipelineRunsService';

jest.setTimeout(30_000);

const pipeline = (name: string, type: string, schedule?: string) => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Pipeline',
  metadata: { name, namespace: 'default' },
  spec: {
    type: 'training',
    lifecycle: 'production',
    owner: 'fraud-team',
    orchestrator: { type, id: name },
    ...(schedule ? { schedule } : {}),
  },
});

describe('PipelineRunsService', () => {
  const databases = TestDatabases.create({ ids: ['SQLITE_3'] });
  let auditStore: AuditStore;
  let failWith: PipelineOrchestratorErrorKind | undefined;
  const started: unknown[] = [];
  const adapter: PipelineRunsAdapter = {
    type: 'airflow',
    async listRuns() {
      if (failWith) throw new PipelineOrchestratorError(failWith, 'boom');
      return [];
    },
    async startRun(options) {
      if (failWith) throw new PipelineOrchestratorError(failWith, 'boom');
      started.push(options);
      return {
        id: 'run-1',
        status: 'pending',
        trigger: options.trigger,
        parameters: options.parameters,
      };
    },
  };

  beforeAll(async () => {
    const knex = await databases.init('SQLITE_3');
    auditStore = await AuditStore.create({
      database: { getClient: async () => knex, migrations: { skip: false } },
    });
  });

  const service = (allow = true) =>
    PipelineRunsService.create({
      catalog: catalogServiceMock({
        entities: [
          pipeline('daily', 'airflow', '0 1 * * *'),
          pipeline('odd', 'luigi'),
          pipeline('kfp', 'kubeflow'),
          pipeline('broken-schedule', 'airflow', 'every day'),
        ],
      }),
      permissions: mockServices.permissions.mock({
        authorize: async () => [
          { result: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY },
        ],
      }),
      auditStore,
      adapters: [adapter],
      logger: mockServices.logger.mock(),
    });

  it.each([
    ['invalid', 'InputError'],
    ['not-found', 'NotFoundError'],
    ['unauthorized', 'ServiceUnavailableError'],
    ['server', 'ServiceUnavailableError'],
    ['unavailable', 'ServiceUnavailableError'],
    ['not-configured', 'ServiceUnavailableError'],
  ] as const)('maps %s orchestrator errors to %s', (kind, name) => {
    const mapped = toHttpError(
      new PipelineOrchestratorError(kind, 'Airflow said no'),
    ) as Error;
    expect(mapped.name).toBe(name);
    expect(mapped.message).toBe('Airflow said no');
  });

  it('computes the next run from the schedule, and leaves it out when the schedule is unreadable', async () => {
    const credentials = mockCredentials.user();
    const daily = await service().listRuns({
      pipelineRef: 'pipeline:default/daily',
      credentials,
    });
    expect(daily.nextRunAt).toMatch(/T01:00:00Z$/);
    const broken = await service().listRuns({
      pipelineRef: 'default/broken-schedule',
      credentials,
    });
    expect(broken.schedule).toBe('every day');
    expect(broken.nextRunAt).toBeUndefined();
  });

  it('names the missing config key or the unknown type', async () => {
    const credentials = mockCredentials.user();
    await expect(
      service().listRuns({ pipelineRef: 'default/kfp', credentials }),
    ).rejects.toThrow(
      'pipeline:default/kfp runs on kubeflow, which is not configured: set ml.pipelines.kubeflow.url',
    );
    await expect(
      service().startRun({
        pipelineRef: 'default/odd',
        credentials,
        trigger: { type: 'manual' },
      }),
    ).rejects.toThrow(
      'pipeline:default/odd names orchestrator type "luigi", which this portal does not know; known: airflow',
    );
    await expect(
      service().listRuns({ pipelineRef: 'model:default/daily', credentials }),
    ).rejects.toThrow('model:default/daily is not a Pipeline');
  });

  it('checks parameters before anything else', async () => {
    await expect(
      service().startRun({
        pipelineRef: 'default/daily',
        parameters: { '1bad': 'x' },
        credentials: mockCredentials.user(),
        trigger: { type: 'manual' },
      }),
    ).rejects.toThrow('Invalid run parameter name "1bad"');
    expect(started).toEqual([]);
  });

  it('records the service principal as the actor and keeps an alert trigger', async () => {
    failWith = undefined;
    const { run } = await service().startRun({
      pipelineRef: 'default/daily',
      credentials: mockCredentials.service('plugin:ml'),
      trigger: { type: 'alert', by: 'ModelDriftHigh abc' },
    });
    expect(run.trigger).toEqual({ type: 'alert', by: 'ModelDriftHigh abc' });
    const [event] = await auditStore.list({ actor: 'plugin:ml' });
    expect(event).toMatchObject({
      action: 'ml.pipeline.run',
      targetRef: 'pipeline:default/daily',
      outcome: 'succeeded',
      details: { runId: 'run-1', orchestrator: 'airflow' },
    });
  });

  it('audits a failed start with the mapped error', async () => {
    failWith = 'unauthorized';
    try {
      await expect(
        service().startRun({
          pipelineRef: 'default/daily',
          credentials: mockCredentials.user('user:default/ada'),
          trigger: { type: 'manual' },
        }),
      ).rejects.toMatchObject({ name: 'ServiceUnavailableError' });
    } finally {
      failWith = undefined;
    }
    const [event] = await auditStore.list({ actor: 'user:default/ada' });
    expect(event).toMatchObject({
      outcome: 'failed',
      error: 'boom',
      details: { trigger: { type: 'manual', by: 'user:default/ada' } },
    });
  });
});
