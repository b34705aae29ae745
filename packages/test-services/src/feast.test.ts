import { describeIfBinary } from './binaries';
import { FeastHandle, feastBinary, startFeast } from './feast';

jest.setTimeout(180_000);

async function get(feast: FeastHandle, pathAndQuery: string) {
  const res = await fetch(`${feast.url}/api/v1${pathAndQuery}`);
  expect(res.status).toBe(200);
  return res.json();
}

describeIfBinary(feastBinary)('startFeast', () => {
  let feast: FeastHandle;

  beforeAll(async () => {
    feast = await startFeast();
  });

  afterAll(async () => {
    await feast?.stop();
  });

  it('serves the applied demo repository through the registry REST API', async () => {
    expect(feast.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { projects } = await get(feast, '/projects');
    expect(projects.map((p: any) => p.spec.name)).toEqual(['fraud']);

    const { featureViews } = await get(feast, '/feature_views?project=fraud');
    const names = featureViews.map((v: any) => v.spec.name).sort();
    expect(names).toEqual([
      'card_chargebacks',
      'card_velocity',
      'merchant_risk',
    ]);
    const velocity = featureViews.find(
      (v: any) => v.spec.name === 'card_velocity',
    );
    expect(velocity.spec).toMatchObject({
      entities: ['card'],
      ttl: '86400s',
      features: [
        { name: 'tx_count_1h', valueType: 'INT64' },
        { name: 'amount_sum_1h', valueType: 'DOUBLE' },
        { name: 'recent_mccs', valueType: 'STRING_LIST' },
      ],
      batchSource: {
        name: 'card_transactions',
        fileOptions: { uri: 'card_transactions.parquet' },
      },
      tags: { owner: 'fraud-team' },
    });

    const { featureServices } = await get(
      feast,
      '/feature_services?project=fraud',
    );
    expect(featureServices.map((s: any) => s.spec.name)).toEqual([
      'fraud_features',
    ]);
    const { dataSources } = await get(feast, '/data_sources?project=fraud');
    expect(dataSources.map((s: any) => s.name).sort()).toEqual([
      'card_transactions',
      'chargebacks',
    ]);
  });

  it('applies a changed repository, seen by the running server', async () => {
    await feast.apply({
      definitions: `
from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Int64
card = Entity(name="card", join_keys=["card_id"], value_type=ValueType.INT64)
src = FileSource(name="card_transactions", path="card_transactions.parquet", timestamp_field="event_timestamp")
only_view = FeatureView(name="only_view", entities=[card], schema=[Field(name="n", dtype=Int64)], source=src)
`,
    });
    const { featureViews } = await get(
      feast,
      '/feature_views?project=fraud&allow_cache=false',
    );
    expect(featureViews.map((v: any) => v.spec.name)).toEqual(['only_view']);
  });
});
