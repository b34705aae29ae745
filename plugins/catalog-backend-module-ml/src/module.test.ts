import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import catalogPlugin, {
  CATALOG_ERRORS_TOPIC,
} from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import {
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import path from 'node:path';
import request from 'supertest';
import {
  BROKEN_DIR,
  EXAMPLES_DIR,
  ML_DIR,
  expectedError,
  readEntities,
  yamlFiles,
} from './__testUtils__/entities';
import { catalogModuleMlEntityModel } from './module';

jest.setTimeout(60_000);

// The real catalog backend with this module, ingesting the demo organisation
// and the broken corpus side by side from file locations.

const files = [
  path.join(EXAMPLES_DIR, 'org.yaml'),
  path.join(EXAMPLES_DIR, 'entities.yaml'),
  path.join(EXAMPLES_DIR, 'template/template.yaml'),
  ...yamlFiles(ML_DIR),
  ...yamlFiles(BROKEN_DIR),
];
const all = readEntities(files);
const refOf = (e: Entity) => stringifyEntityRef(e);
const broken = all.filter(e => expectedError(e));
const valid = all.filter(e => !expectedError(e));

/** Collects the catalog's processing errors, as catalog-backend-module-logs sees them. */
function errorCollector() {
  const errors = new Map<string, string[]>();
  const module = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'test-error-collector',
    register(reg) {
      reg.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'test-error-collector',
            topics: [CATALOG_ERRORS_TOPIC],
            async onEvent({ eventPayload }) {
              const { entity, errors: list } = eventPayload as {
                entity: string;
                errors: Error[];
              };
              errors.set(
                entity,
                list.map(e => e.message),
              );
            },
          });
        },
      });
    },
  });
  return { module, errors };
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 250));
  }
}

describe.each([true, false])(
  'the catalog with catalogModuleMlEntityModel (registerCatalogModel: %s)',
  registerCatalogModel => {
    let backend: Awaited<ReturnType<typeof startTestBackend>>;
    let entities: Map<string, Entity>;
    const collector = errorCollector();

    beforeAll(async () => {
      backend = await startTestBackend({
        features: [
          catalogPlugin,
          scaffolderEntityModel,
          catalogModuleMlEntityModel,
          collector.module,
          eventsServiceFactory,
          mockServices.rootConfig.factory({
            data: {
              catalog: {
                ml: { registerCatalogModel },
                rules: [
                  {
                    allow: [
                      ...['Component', 'API', 'System', 'Resource'],
                      ...['Location', 'Template', 'User', 'Group'],
                      ...['Model', 'Dataset', 'Pipeline', 'GpuQuota'],
                    ],
                  },
                ],
                locations: files.map(target => ({ type: 'file', target })),
              },
            },
          }),
        ],
      });
      entities = await eventually(async () => {
        const res = await request(backend.server)
          .get('/api/catalog/entities')
          .set('Authorization', mockCredentials.user.header());
        const found = new Map<string, Entity>(
          (res.body as Entity[]).map(e => [refOf(e), e]),
        );
        const done =
          valid.every(e => found.get(refOf(e))?.relations?.length) &&
          broken.every(e => collector.errors.has(refOf(e)));
        return done ? found : undefined;
      }, 40_000);
    });

    afterAll(async () => {
      await backend?.stop();
    });

    function relationsOf(ref: string) {
      return (entities.get(ref)?.relations ?? []).map(
        r => `${r.type} ${r.targetRef}`,
      );
    }

    it('ingests every valid entity, built-in kinds included', () => {
      expect(valid.length).toBeGreaterThan(50);
      const missing = valid.map(refOf).filter(ref => !entities.has(ref));
      expect(missing).toEqual([]);
    });

    it('rejects every broken entity with its error, and stores none of them', () => {
      expect(broken.length).toBeGreaterThan(20);
      for (const entity of broken) {
        const ref = refOf(entity);
        expect({ ref, stored: entities.has(ref) }).toEqual({
          ref,
          stored: false,
        });
        expect(collector.errors.get(ref)?.join('\n')).toContain(
          expectedError(entity),
        );
      }
    });

    it('stores both directions of the lineage, once each', () => {
      expect(relationsOf('model:default/fraud-detector')).toEqual(
        expect.arrayContaining([
          'trainedOn dataset:default/fraud-features',
          'producedBy pipeline:default/fraud-detector-training',
          'servedBy component:default/fraud-scoring-service',
          'servedBy api:default/fraud-scoring-api',
          'ownedBy group:default/fraud-team',
          'partOf system:default/fraud-detection',
        ]),
      );
      expect(relationsOf('dataset:default/fraud-features')).toEqual(
        expect.arrayContaining([
          'trainingDataOf model:default/fraud-detector',
          'derivedFrom dataset:default/card-transactions-raw',
          'producedBy pipeline:default/fraud-features-pipeline',
          'consumedBy pipeline:default/fraud-detector-training',
        ]),
      );
      const pipeline = relationsOf('pipeline:default/fraud-detector-training');
      expect(pipeline).toEqual(
        expect.arrayContaining([
          'produces model:default/fraud-detector',
          'usesQuota gpuquota:default/fraud-gpu-quota',
        ]),
      );
      // The Pipeline and the Model both declare this pair.
      expect(
        pipeline.filter(r => r === 'produces model:default/fraud-detector'),
      ).toHaveLength(1);
      expect(relationsOf('component:default/fraud-scoring-service')).toEqual(
        expect.arrayContaining([
          'serves model:default/fraud-detector',
          'serves model:default/transaction-anomaly',
        ]),
      );
      expect(relationsOf('gpuquota:default/fraud-gpu-quota')).toEqual(
        expect.arrayContaining([
          'quotaOf pipeline:default/fraud-detector-training',
          'ownedBy group:default/fraud-team',
        ]),
      );
      expect(relationsOf('group:default/fraud-team')).toEqual(
        expect.arrayContaining([
          'ownerOf model:default/fraud-detector',
          'hasMember user:default/guest',
        ]),
      );
      expect(relationsOf('user:default/guest')).toEqual(
        expect.arrayContaining(['memberOf group:default/fraud-team']),
      );
      expect(relationsOf('resource:default/granite-3-1-8b-instruct')).toEqual(
        expect.arrayContaining([
          'servedBy component:default/granite-model-server',
        ]),
      );
    });

    it('stores the filled defaults', () => {
      expect(
        entities.get('dataset:default/clickstream-raw')?.spec,
      ).toMatchObject({ classification: 'internal' });
    });
  },
);
