import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { schedulerServiceFactory } from '@backstage/backend-defaults/scheduler';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import {
  describeIfBinary,
  FeastHandle,
  feastBinary,
  startFeast,
} from '@mlplatform/test-services';
import path from 'node:path';
import request from 'supertest';
import { ML_DIR } from '../__testUtils__/entities';
import { catalogModuleMlEntityModel } from '../module';
import { catalogModuleMlFeast } from './module';

jest.setTimeout(180_000);

// The demo's setup in the real catalog: examples/ml/fraud.yaml from a file
// location (without the hand-written fraud-features) and the demo's Feast
// repository through catalog.providers.mlFeast.

describeIfBinary(feastBinary)('the catalog with catalogModuleMlFeast', () => {
  let feast: FeastHandle;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;

  beforeAll(async () => {
    feast = await startFeast();
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleMlEntityModel,
        catalogModuleMlFeast,
        // The real scheduler (the test backend's mock runs tasks once at
        // startup, before the catalog has connected its providers).
        schedulerServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [
                {
                  allow: [
                    ...['Component', 'API', 'System', 'Resource'],
                    ...['Location', 'User', 'Group'],
                    ...['Model', 'Dataset', 'Pipeline', 'GpuQuota'],
                  ],
                },
              ],
              locations: [
                path.join(ML_DIR, 'org.yaml'),
                path.join(ML_DIR, 'fraud.yaml'),
              ].map(target => ({ type: 'file', target })),
              providers: {
                mlFeast: {
                  name: 'demo-feast',
                  url: feast.url,
                  projects: ['fraud'],
                  schedule: {
                    frequency: { minutes: 10 },
                    timeout: { minutes: 1 },
                    initialDelay: { seconds: 0 },
                  },
                },
              },
            },
          },
        }),
      ],
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await feast?.stop();
  });

  async function relationsOf(ref: string, expected: string[]) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await request(backend.server)
        .get('/api/catalog/entities')
        .set('Authorization', mockCredentials.user.header());
      const entity = (res.body as Entity[]).find(
        e => stringifyEntityRef(e) === ref,
      );
      const relations = (entity?.relations ?? []).map(
        r => `${r.type} ${r.targetRef}`,
      );
      if (expected.every(r => relations.includes(r))) return entity!;
      if (Date.now() > deadline) {
        throw new Error(
          `${ref}: ${
            entity ? `relations ${relations.join(', ')}` : 'not in the catalog'
          }`,
        );
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }

  it("gives the demo's fraud-features from Feast its full lineage", async () => {
    const service = await relationsOf('dataset:default/fraud-features', [
      'trainingDataOf model:default/fraud-detector',
      'trainingDataOf model:default/transaction-anomaly',
      'consumedBy pipeline:default/fraud-detector-training',
      'producedBy pipeline:default/fraud-features-pipeline',
      'derivedFrom dataset:default/card-velocity',
      'derivedFrom dataset:default/merchant-risk',
      'derivedFrom dataset:default/card-chargebacks',
      'ownedBy group:default/fraud-team',
      'partOf system:default/fraud-detection',
    ]);
    expect(service.metadata.annotations).toMatchObject({
      'backstage.io/managed-by-location': expect.stringMatching(
        /^ml-feast:http:\/\/127\.0\.0\.1:\d+\/api\/v1\/feature_services\/fraud_features\?project=fraud$/,
      ),
      'mlplatform.io/feast-object': 'feature-service',
    });
    await relationsOf('dataset:default/card-velocity', [
      'derivedFrom dataset:default/card-transactions-raw',
      'sourceOf dataset:default/fraud-features',
    ]);
    await relationsOf('dataset:default/card-chargebacks', [
      'derivedFrom dataset:default/chargeback-labels',
    ]);
    await relationsOf('model:default/fraud-detector', [
      'trainedOn dataset:default/fraud-features',
    ]);
  });
});
