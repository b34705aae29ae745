import { mockServices } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CatalogProcessorRelationResult,
  CatalogProcessorResult,
} from '@backstage/plugin-catalog-node';
import {
  demoFeastRepository,
  describeIfBinary,
  FeastHandle,
  feastBinary,
  startFeast,
} from '@mlplatform/test-services';
import { CollectingConnection } from '../__testUtils__/collectingConnection';
import { MlEntitiesProcessor } from '../processor/MlEntitiesProcessor';
import { FeastEntityProvider } from './FeastEntityProvider';

jest.setTimeout(180_000);

const eventCounts = `
event_counts = FeatureView(name="event_counts", entities=[card],
    schema=[Field(name="events_1d", dtype=Int64)], source=raw_events)
`;

/** The demo repository plus objects the provider must skip or default. */
const repository = {
  ...demoFeastRepository,
  definitions: `${demoFeastRepository.definitions}
raw_events = FileSource(name="raw_events", path="card_transactions.parquet",
                        timestamp_field="event_timestamp")
${eventCounts}
staging_view = FeatureView(name="_staging_view", entities=[card],
    schema=[Field(name="x", dtype=Int64)], source=card_transactions,
    tags={"owner": "fraud-team"})
# Its entity name is merchant-risk, the feature view's.
merchant_risk_source = FileSource(name="merchant_risk", path="card_transactions.parquet",
                                  timestamp_field="event_timestamp")
bad_owner_view = FeatureView(name="bad_owner_view", entities=[card],
    schema=[Field(name="y", dtype=Int64)], source=raw_events,
    tags={"owner": "not an entity ref!"})
`,
};

/** Runs the ML processor like the catalog does: valid, and its relations. */
async function process(entity: Entity) {
  const processor = new MlEntitiesProcessor();
  const results: CatalogProcessorResult[] = [];
  const pre = await processor.preProcessEntity(entity);
  const valid = await processor.validateEntityKind(pre);
  await processor.postProcessEntity(
    pre,
    { type: 'ml-feast', target: 'test' },
    r => results.push(r),
  );
  const relations = results
    .filter((r): r is CatalogProcessorRelationResult => r.type === 'relation')
    .map(
      ({ relation: r }) =>
        `${stringifyEntityRef(r.source)} ${r.type} ${stringifyEntityRef(
          r.target,
        )}`,
    );
  return { valid, relations };
}

describeIfBinary(feastBinary)('FeastEntityProvider (real Feast)', () => {
  let feast: FeastHandle;
  let provider: FeastEntityProvider;
  const connection = new CollectingConnection();
  const logger = mockServices.logger.mock();
  const requests: string[] = [];
  const warnings = () =>
    logger.warn.mock.calls.map(c => String(c[0])).join('\n');

  beforeAll(async () => {
    feast = await startFeast({ repo: repository });
    provider = new FeastEntityProvider({
      registry: { name: 'test-feast', url: feast.url },
      logger,
      defaultOwner: 'group:default/ml-platform',
      clientOptions: {
        onRequest: url => requests.push(`${url.pathname}${url.search}`),
      },
    });
    await provider.connect(connection);
  });

  afterAll(async () => {
    await feast?.stop();
  });

  it('provides feature services, feature views and data sources as valid Datasets', async () => {
    const result = await provider.refresh();
    expect(result).toMatchObject({
      mutation: 'full',
      projects: ['fraud'],
      datasets: 6,
    });
    // One page each: projects, feature views, feature services, data sources.
    expect(result.requests).toBe(4);
    expect([...connection.entities.keys()].sort()).toEqual([
      'dataset:default/card-chargebacks',
      'dataset:default/card-velocity',
      'dataset:default/event-counts',
      'dataset:default/fraud-features',
      'dataset:default/merchant-risk',
      'dataset:default/raw-events',
    ]);
    for (const entity of connection.entities.values()) {
      expect({
        ref: stringifyEntityRef(entity),
        valid: (await process(entity)).valid,
      }).toEqual({ ref: stringifyEntityRef(entity), valid: true });
    }

    const service = connection.entities.get('dataset:default/fraud-features')!;
    expect(service.metadata).toMatchObject({
      title: 'Fraud features',
      description: expect.stringContaining('fraud models are trained on'),
      annotations: {
        'backstage.io/managed-by-location': `ml-feast:${feast.url}/api/v1/feature_services/fraud_features?project=fraud`,
        'mlplatform.io/feast-project': 'fraud',
        'mlplatform.io/feast-object': 'feature-service',
        'mlplatform.io/feast-name': 'fraud_features',
        'mlplatform.io/feast-entities': 'card,merchant',
      },
    });
    expect(service.spec).toEqual({
      type: 'features',
      lifecycle: 'production',
      owner: 'fraud-team',
      system: 'fraud-detection',
      classification: 'confidential',
      producedBy: 'fraud-features-pipeline',
      // The service's `freshness` tag: its objective.
      freshness: { maxAge: '24h' },
      location: 'feast://fraud/feature-services/fraud_features',
      schema: {
        fields: [
          {
            name: 'card_velocity:tx_count_1h',
            type: 'Int64',
            description: 'Transactions in the last hour',
          },
          { name: 'card_velocity:amount_sum_1h', type: 'Float64' },
          { name: 'card_velocity:recent_mccs', type: 'Array(String)' },
          { name: 'merchant_risk:risk_score', type: 'Float32' },
          { name: 'card_chargebacks:chargebacks_90d', type: 'Int64' },
        ],
      },
      derivedFrom: ['card-velocity', 'merchant-risk', 'card-chargebacks'],
    });

    const velocity = connection.entities.get('dataset:default/card-velocity')!;
    expect(velocity.metadata.annotations).toMatchObject({
      'mlplatform.io/feast-object': 'feature-view',
      'mlplatform.io/feast-entities': 'card',
      'mlplatform.io/feast-ttl': '86400s',
    });
    expect(
      JSON.parse(velocity.metadata.annotations!['mlplatform.io/feast-tags']),
    ).toEqual({
      owner: 'fraud-team',
      system: 'fraud-detection',
      classification: 'confidential',
      producedBy: 'fraud-features-pipeline',
    });
    expect(velocity.spec).toMatchObject({
      type: 'features',
      owner: 'fraud-team',
      location: 'feast://fraud/card_velocity',
      // The FileSource's `dataset` tag names the catalog's raw Dataset.
      derivedFrom: ['card-transactions-raw'],
      schema: {
        fields: [
          { name: 'card_id', type: 'Int64', description: 'Entity join key' },
          {
            name: 'tx_count_1h',
            type: 'Int64',
            description: 'Transactions in the last hour',
          },
          { name: 'amount_sum_1h', type: 'Float64' },
          { name: 'recent_mccs', type: 'Array(String)' },
        ],
      },
    });

    // No owner tag: the configured default; its untagged source is a Dataset.
    const counts = connection.entities.get('dataset:default/event-counts')!;
    expect(counts.spec).toMatchObject({
      owner: 'group:default/ml-platform',
      derivedFrom: ['raw-events'],
    });
    expect(counts.metadata.annotations).not.toHaveProperty(
      'mlplatform.io/feast-ttl',
    );
    const source = connection.entities.get('dataset:default/raw-events')!;
    expect(source.spec).toEqual({
      type: 'table',
      lifecycle: 'production',
      owner: 'group:default/ml-platform',
      location: 'feast://fraud/data-sources/raw_events',
      format: 'parquet',
    });
  });

  it('skips objects that cannot be entities, with the reason logged', async () => {
    const result = await provider.refresh();
    const byObject = [...result.skipped].sort((a, b) =>
      a.object.localeCompare(b.object),
    );
    expect(byObject).toEqual([
      {
        object: 'data source fraud/merchant_risk',
        reason:
          'its entity name "merchant-risk" is already taken by feature view fraud/merchant_risk',
      },
      {
        object: 'feature view fraud/_staging_view',
        reason: expect.stringContaining(
          '"_staging_view" does not map to a valid entity name',
        ),
      },
      {
        object: 'feature view fraud/bad_owner_view',
        reason: 'its owner tag "not an entity ref!" is not an entity ref',
      },
    ]);
    expect(warnings()).toContain(
      'skipped feature view fraud/_staging_view: "_staging_view" does not map to a valid entity name',
    );
    expect(warnings()).toContain(
      'skipped feature view fraud/bad_owner_view: its owner tag',
    );
    // Logged once, not on every refresh.
    expect(warnings().split('_staging_view" does not map').length - 1).toBe(1);
  });

  it('links the Models trained on a feature service through the lineage relations', async () => {
    const service = connection.entities.get('dataset:default/fraud-features')!;
    const model: Entity = {
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: { name: 'fraud-detector', namespace: 'default' },
      spec: {
        type: 'classifier',
        lifecycle: 'production',
        owner: 'fraud-team',
        trainedOn: ['fraud-features'],
      },
    };
    const { valid, relations } = await process(model);
    expect(valid).toBe(true);
    expect(relations).toEqual(
      expect.arrayContaining([
        `model:default/fraud-detector trainedOn ${stringifyEntityRef(service)}`,
        `${stringifyEntityRef(
          service,
        )} trainingDataOf model:default/fraud-detector`,
      ]),
    );
    expect((await process(service)).relations).toEqual(
      expect.arrayContaining([
        'dataset:default/fraud-features derivedFrom dataset:default/card-velocity',
        'dataset:default/card-velocity sourceOf dataset:default/fraud-features',
        'dataset:default/fraud-features ownedBy group:default/fraud-team',
        'dataset:default/fraud-features producedBy pipeline:default/fraud-features-pipeline',
      ]),
    );
  });

  it('follows the registry: a view removed by `feast apply` is removed', async () => {
    await feast.apply({
      definitions: repository.definitions.replace(eventCounts, ''),
    });
    // The server's registry cache lives 1 s.
    await new Promise(r => setTimeout(r, 1500));
    const result = await provider.refresh();
    expect(result.mutation).toBe('full');
    expect(connection.entities.has('dataset:default/event-counts')).toBe(false);
    expect(connection.entities.has('dataset:default/card-velocity')).toBe(true);
  });

  it('refuses a configured project the registry does not have, keeping the Datasets', async () => {
    const before = connection.mutations.length;
    const typo = new FeastEntityProvider({
      registry: { url: feast.url, projects: ['fruad'] },
      logger,
    });
    await typo.connect(connection);
    const result = await typo.refresh();
    expect(result).toMatchObject({
      mutation: 'none',
      error: 'project(s) fruad not in the registry (it has: fraud)',
    });
    expect(connection.mutations.length).toBe(before);
  });

  it('keeps the Datasets while the registry is down and retries with backoff until it is back', async () => {
    const kept = [...connection.entities.keys()].sort();
    const mutations = connection.mutations.length;
    const { port } = feast;
    await feast.stop();

    const down = await provider.refresh();
    expect(down).toMatchObject({ mutation: 'none', datasets: kept.length });
    expect(down.error).toContain('unreachable');
    expect(connection.mutations.length).toBe(mutations);
    expect([...connection.entities.keys()].sort()).toEqual(kept);
    expect(provider.status()).toMatchObject({ consecutiveFailures: 1 });

    logger.warn.mockClear();
    const retrying = new FeastEntityProvider({
      registry: { name: 'test-feast', url: `http://127.0.0.1:${port}` },
      logger,
      defaultOwner: 'group:default/ml-platform',
      // Up to ~2 minutes: Feast takes 10-60 s to start on a busy machine.
      retry: { attempts: 30, initialDelayMs: 250, maxDelayMs: 4000 },
    });
    await retrying.connect(connection);
    const started = Date.now();
    const outcome = retrying.refreshWithRetry();
    // Back on the same port a few seconds later, with the same repository.
    feast = await startFeast({ repo: repository, port });
    const result = await outcome;
    expect(result.mutation).toBe('full');
    expect(Date.now() - started).toBeGreaterThan(250);
    const logged = warnings();
    expect(logged).toContain('(attempt 1/30)');
    expect(logged).toContain('retrying in 250 ms');
    expect(logged).toContain('applying nothing, so the catalog keeps');
    expect(logged).toMatch(/attempt 3\/30\).*retrying in 1 s/);
    expect(connection.entities.has('dataset:default/fraud-features')).toBe(
      true,
    );
  }, 300_000);
});
