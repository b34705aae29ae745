import { OciDistributionClient } from './OciDistributionClient';
import { pushDataset, PushDatasetOptions } from './pushDataset';

describe('pushDataset', () => {
  // Nothing listens there: a request would fail with a connection error,
  // so the message proves validation refused the input first.
  const client = new OciDistributionClient({
    name: 'nowhere',
    url: 'http://127.0.0.1:1',
  });
  afterAll(() => client.close());

  const base: PushDatasetOptions = {
    registry: 'http://127.0.0.1:1',
    repository: 'datasets/fraud-features',
    tag: 'v1',
    location: 's3://ml-data/fraud/features/',
    client,
  };

  it.each([
    [
      { location: 'ml-data/fraud' },
      'location "ml-data/fraud" must be a URI with a scheme, like s3://bucket/path or pvc://claim/path',
    ],
    [
      { location: '' },
      'location "" must be a URI with a scheme, like s3://bucket/path or pvc://claim/path',
    ],
    [
      { tag: 'latest' },
      'Tag "latest" is not a version tag; use something like v3 or 1.2.0',
    ],
    [
      { aliases: ['v2'] },
      'Alias "v2" is not an alias name; use a word like production or staging',
    ],
    [{ repository: 'Datasets/../x' }, 'Invalid registry ref "Datasets/../x"'],
    [{ rows: -1 }, 'rows "-1" must be a whole number, 0 or more'],
    [{ rows: 1.5 }, 'rows "1.5" must be a whole number, 0 or more'],
    [
      { classification: 'secret' as any },
      'classification "secret" must be one of public, internal, confidential, restricted',
    ],
    [{ owner: 'fraud team' }, 'owner "fraud team" must be an entity reference'],
    [
      { derivedFrom: ['raw', 'not a ref'] },
      'derivedFrom "not a ref" must be an entity reference',
    ],
    [
      { producedBy: 'pipeline:' },
      'producedBy "pipeline:" must be an entity reference',
    ],
    [
      { datasetType: 'Tabular Data' },
      'dataset type "Tabular Data" must be lower-case words joined by dashes',
    ],
    [
      { schemaDigest: 'abc' },
      'schema digest "abc" must look like sha256:<hex>',
    ],
    [
      { schemaRef: 'schema.avsc' },
      'schema ref "schema.avsc" must be a URI, like https://host/schema.json',
    ],
    [
      { registry: 'localhost:5000' },
      'Registry "localhost:5000" is not an http or https URL; use something like http://127.0.0.1:5000',
    ],
  ])('refuses %j before sending anything', async (bad, message) => {
    await expect(pushDataset({ ...base, ...bad })).rejects.toThrow(message);
    expect(client.requestCount).toBe(0);
  });
});
