/*
 * A Dataset's last Feast materialization through the whole plugin, read
 * from a real Feast registry REST server (the demo feature repository,
 * `feast materialize` run by the test) configured as the catalog's.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { datasetFactsResponseSchema } from '@mlplatform/plugin-ml-common';
import { FeastHandle, startFeast } from '@mlplatform/test-services';
import request from 'supertest';
import { mlPlugin } from './plugin';

jest.setTimeout(180_000);

function dataset(name: string, location: string, maxAge?: string) {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Dataset',
    metadata: { name, namespace: 'default' },
    spec: {
      type: 'features',
      lifecycle: 'production',
      owner: 'fraud-team',
      location,
      ...(maxAge ? { freshness: { maxAge } } : {}),
    },
  };
}

describe('Dataset facts from the Feast registry', () => {
  let feast: FeastHandle;
  let server: any;
  let stop: () => Promise<void>;
  const end = new Date(Math.floor(Date.now() / 1000 - 3600) * 1000);
  const start = new Date(end.getTime() - 86400_000);

  beforeAll(async () => {
    feast = await startFeast();
    await feast.materialize(start, end, ['card_chargebacks']);
    const backend = await startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({
          data: { catalog: { providers: { mlFeast: { url: feast.url } } } },
        }),
        catalogServiceMock.factory({
          entities: [
            dataset('chargebacks', 'feast://fraud/card_chargebacks', '2h'),
            dataset(
              'chargebacks-tight',
              'feast://fraud/card_chargebacks',
              '30m',
            ),
            dataset(
              'fraud-features',
              'feast://fraud/feature-services/fraud_features',
              '24h',
            ),
            dataset('no-view', 'feast://fraud/transaction_features', '24h'),
          ] as any[],
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });
  afterAll(async () => {
    await stop?.();
    await feast?.stop();
  });

  const facts = async (name: string) => {
    const res = await request(server)
      .get(`/api/ml/datasets/default/${name}/facts`)
      .set({ Authorization: mockCredentials.user.header() });
    expect(res.status).toBe(200);
    return datasetFactsResponseSchema.parse(res.body);
  };

  it('reads a feature view’s last materialization interval', async () => {
    const body = await facts('chargebacks');
    expect(body.facts).toEqual({
      kind: 'feast',
      project: 'fraud',
      name: 'card_chargebacks',
      objectType: 'featureView',
      featureViews: ['card_chargebacks'],
      lastMaterialization: {
        start: start.toISOString().replace('.000Z', 'Z'),
        end: end.toISOString().replace('.000Z', 'Z'),
      },
      neverMaterialized: [],
    });
    expect(body.freshness).toMatchObject({
      verdict: 'fresh',
      // An hour and the minutes Feast took to start.
      reason: expect.stringMatching(
        /^materialized up to 1h( \d+m)? ago, within 2h$/,
      ),
    });
    expect((await facts('chargebacks-tight')).freshness).toMatchObject({
      verdict: 'stale',
      reason: expect.stringMatching(
        /^materialized up to 1h( \d+m)? ago, over the 30m objective$/,
      ),
    });
  });

  it('judges a feature service by its views and names those never materialized', async () => {
    const body = await facts('fraud-features');
    expect(body.facts).toMatchObject({
      objectType: 'featureService',
      featureViews: ['card_velocity', 'merchant_risk', 'card_chargebacks'],
      neverMaterialized: ['card_velocity', 'merchant_risk'],
    });
    expect(body.freshness).toMatchObject({
      verdict: 'unknown',
      reason:
        'never materialized: card_velocity, merchant_risk (run feast materialize or materialize-incremental)',
    });
  });

  it('says when the registry has no such feature view', async () => {
    expect((await facts('no-view')).unavailable).toBe(
      'the Feast registry has no feature view "transaction_features" in project "fraud": check spec.location',
    );
  });
});
