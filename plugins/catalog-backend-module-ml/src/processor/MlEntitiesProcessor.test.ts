import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  CatalogProcessorResult,
  CatalogProcessorRelationResult,
} from '@backstage/plugin-catalog-node';
import {
  BROKEN_DIR,
  ML_DIR,
  expectedError,
  readEntities,
  yamlFiles,
} from '../__testUtils__/entities';
import { MlEntitiesProcessor } from './MlEntitiesProcessor';

const location = { type: 'file', target: '/tmp/x.yaml' };
const demo = readEntities(yamlFiles(ML_DIR));
const broken = readEntities(yamlFiles(BROKEN_DIR));
const byName = (name: string) => demo.find(e => e.metadata.name === name)!;

/** Runs the processor's stages like the catalog does; returns its relations as strings. */
async function process(entity: Entity) {
  const processor = new MlEntitiesProcessor();
  const results: CatalogProcessorResult[] = [];
  const pre = await processor.preProcessEntity(entity);
  const claimed = await processor.validateEntityKind(pre);
  const post = await processor.postProcessEntity(pre, location, r =>
    results.push(r),
  );
  const relations = results
    .filter((r): r is CatalogProcessorRelationResult => r.type === 'relation')
    .map(
      ({ relation: r }) =>
        `${stringifyEntityRef(r.source)} ${r.type} ${stringifyEntityRef(
          r.target,
        )}`,
    );
  return { claimed, entity: post, relations };
}

describe('MlEntitiesProcessor', () => {
  it('runs before the catalog default priority so its errors win', () => {
    expect(new MlEntitiesProcessor().getPriority()).toBeLessThan(20);
  });

  it('emits both directions of every Model reference', async () => {
    const { claimed, relations } = await process(byName('fraud-detector'));
    expect(claimed).toBe(true);
    const self = 'model:default/fraud-detector';
    expect(relations.sort()).toEqual(
      [
        `${self} ownedBy group:default/fraud-team`,
        `group:default/fraud-team ownerOf ${self}`,
        `${self} partOf system:default/fraud-detection`,
        `system:default/fraud-detection hasPart ${self}`,
        `${self} trainedOn dataset:default/fraud-features`,
        `dataset:default/fraud-features trainingDataOf ${self}`,
        `${self} trainedOn dataset:default/chargeback-labels`,
        `dataset:default/chargeback-labels trainingDataOf ${self}`,
        `${self} producedBy pipeline:default/fraud-detector-training`,
        `pipeline:default/fraud-detector-training produces ${self}`,
        `${self} servedBy component:default/fraud-scoring-service`,
        `component:default/fraud-scoring-service serves ${self}`,
        `${self} servedBy api:default/fraud-scoring-api`,
        `api:default/fraud-scoring-api serves ${self}`,
      ].sort(),
    );
  });

  it('gives a Pipeline the same produces/producedBy pair its Model declares', async () => {
    const pipeline = await process(byName('fraud-detector-training'));
    const model = await process(byName('fraud-detector'));
    const pair = [
      'pipeline:default/fraud-detector-training produces model:default/fraud-detector',
      'model:default/fraud-detector producedBy pipeline:default/fraud-detector-training',
    ];
    expect(pipeline.relations).toEqual(expect.arrayContaining(pair));
    expect(model.relations).toEqual(expect.arrayContaining(pair));
    expect(pipeline.relations).toEqual(
      expect.arrayContaining([
        'pipeline:default/fraud-detector-training consumes dataset:default/fraud-features',
        'dataset:default/fraud-features consumedBy pipeline:default/fraud-detector-training',
        'pipeline:default/fraud-detector-training usesQuota gpuquota:default/fraud-gpu-quota',
        'gpuquota:default/fraud-gpu-quota quotaOf pipeline:default/fraud-detector-training',
      ]),
    );
  });

  it('emits derivedFrom/sourceOf for datasets and consumes for models', async () => {
    const dataset = await process(byName('fraud-features'));
    expect(dataset.relations).toEqual(
      expect.arrayContaining([
        'dataset:default/fraud-features derivedFrom dataset:default/card-transactions-raw',
        'dataset:default/card-transactions-raw sourceOf dataset:default/fraud-features',
      ]),
    );
    const scoring = await process(byName('recsys-batch-scoring'));
    expect(scoring.relations).toEqual(
      expect.arrayContaining([
        'pipeline:default/recsys-batch-scoring consumes model:default/product-ranker',
        'model:default/product-ranker consumedBy pipeline:default/recsys-batch-scoring',
      ]),
    );
  });

  it('resolves plain names in the entity namespace', async () => {
    const quota = byName('fraud-gpu-quota');
    const { relations } = await process({
      ...quota,
      metadata: { ...quota.metadata, namespace: 'team-a' },
    });
    expect(relations).toEqual([
      'gpuquota:team-a/fraud-gpu-quota ownedBy group:team-a/fraud-team',
      'group:team-a/fraud-team ownerOf gpuquota:team-a/fraud-gpu-quota',
    ]);
  });

  it('fills the dataset classification and the registry annotation', async () => {
    const dataset = await process(byName('clickstream-raw'));
    expect(dataset.entity.spec?.classification).toBe('internal');
    const model = await process(byName('product-ranker'));
    expect(
      model.entity.metadata.annotations?.['mlplatform.io/registry-ref'],
    ).toBe('oci://localhost:19050/models/product-ranker');
  });

  it('gives Developer Hub ai-model resources servedBy/serves and leaves their kind to Backstage', async () => {
    const { claimed, relations } = await process(
      byName('granite-3-1-8b-instruct'),
    );
    expect(claimed).toBe(false);
    expect(relations).toEqual([
      'resource:default/granite-3-1-8b-instruct servedBy component:default/granite-model-server',
      'component:default/granite-model-server serves resource:default/granite-3-1-8b-instruct',
    ]);
  });

  it('gives a model-server Component serves/servedBy to the ML Models it dependsOn, and nothing for other dependencies', async () => {
    const server: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'fraud-detector-v3', namespace: 'fraud' },
      spec: {
        type: 'model-server',
        lifecycle: 'production',
        owner: 'group:default/fraud-team',
        dependsOn: [
          'model:default/fraud-detector',
          'model:ranker',
          'resource:default/feature-store',
          'not a ref:::',
        ],
      },
    };
    const { claimed, relations } = await process(server);
    expect(claimed).toBe(false);
    const self = 'component:fraud/fraud-detector-v3';
    expect(relations).toEqual([
      `model:default/fraud-detector servedBy ${self}`,
      `${self} serves model:default/fraud-detector`,
      `model:fraud/ranker servedBy ${self}`,
      `${self} serves model:fraud/ranker`,
    ]);
    // A Component of another type depending on a Model does not serve it.
    const client = await process({
      ...server,
      spec: { ...server.spec, type: 'service' },
    });
    expect(client.relations).toEqual([]);
  });

  it('rejects bad ML annotations on Developer Hub ai-model resources', async () => {
    const resource = byName('granite-3-1-8b-instruct');
    await expect(
      process({
        ...resource,
        metadata: {
          ...resource.metadata,
          annotations: { 'mlplatform.io/metrics-selector': 'up' },
        },
      }),
    ).rejects.toThrow(
      'Resource "granite-3-1-8b-instruct": metadata.annotations["mlplatform.io/metrics-selector"] must be label matchers',
    );
  });

  it('leaves built-in kinds and foreign kinds that share a name alone', async () => {
    for (const entity of [
      byName('fraud-scoring-service'),
      { ...byName('fraud-detector'), apiVersion: 'example.com/v1' },
    ]) {
      expect(await process(entity)).toEqual({
        claimed: false,
        entity,
        relations: [],
      });
    }
  });

  it('reports a bad registry once, at spec.registry, not again at the derived annotation', async () => {
    const entity = broken.find(e => e.metadata.name === 'broken-registry-url')!;
    await expect(process(entity)).rejects.toThrow(
      /^Model "broken-registry-url": spec\.registry must be [^;]*$/,
    );
  });

  it.each(
    broken
      .filter(e => expectedError(e))
      .map(e => [e.metadata.name, e] as const),
  )('rejects %s with its expected error', async (_name, entity) => {
    await expect(process(entity)).rejects.toThrow(expectedError(entity));
  });
});
