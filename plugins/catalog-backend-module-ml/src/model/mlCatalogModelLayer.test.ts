import {
  CatalogModelSources,
  compileCatalogModel,
  defaultCatalogEntityModel,
} from '@backstage/catalog-model/alpha';
import Ajv from 'ajv';
import ajvErrors from 'ajv-errors';
import {
  BROKEN_DIR,
  ML_DIR,
  expectedError,
  readEntities,
  yamlFiles,
} from '../__testUtils__/entities';
import { mlCatalogModelLayer } from './mlCatalogModelLayer';

async function layersOf(source: ReturnType<typeof CatalogModelSources.static>) {
  const first = await source.read().next();
  return (first.value?.data ?? []).map(d => d.layer);
}

describe('mlCatalogModelLayer', () => {
  const model = compileCatalogModel([
    defaultCatalogEntityModel,
    mlCatalogModelLayer,
  ]);

  it('compiles on top of the default model with the four ML kinds', () => {
    expect(model.listKinds().map(k => k.names.kind)).toEqual(
      expect.arrayContaining([
        'Component',
        'Model',
        'Dataset',
        'Pipeline',
        'GpuQuota',
      ]),
    );
    const kind = model.getKind({
      kind: 'Pipeline',
      apiVersion: 'mlplatform.io/v1alpha1',
    });
    expect(kind?.relationFields.map(f => `${f.path} ${f.relation}`)).toEqual([
      'spec.owner ownedBy',
      'spec.system partOf',
      'spec.consumes consumes',
      'spec.produces produces',
      'spec.gpuQuota usesQuota',
    ]);
  });

  it('declares each lineage relation with its reverse', () => {
    const relations = model.getRelations({ kind: 'Model' }) ?? [];
    expect(
      relations.map(r => `${r.forward.type}/${r.reverse.type}`).sort(),
    ).toEqual([
      // From the Pipeline.consumes pair: models are consumed by pipelines.
      'consumedBy/consumes',
      'ownedBy/ownerOf',
      'partOf/hasPart',
      'producedBy/produces',
      'servedBy/serves',
      'trainedOn/trainingDataOf',
    ]);
  });

  it('survives being registered by several sources (no "declared more than once")', async () => {
    const layers = [
      ...(await layersOf(CatalogModelSources.static([mlCatalogModelLayer]))),
      ...(await layersOf(CatalogModelSources.static([mlCatalogModelLayer]))),
      ...(await layersOf(CatalogModelSources.static([]))),
    ];
    expect(() => compileCatalogModel(layers)).not.toThrow();
  });

  it('agrees with the ML validators on the demo and on shape errors', () => {
    // The catalog validates model kinds with ajv + ajv-errors like this.
    const ajv = new Ajv({ allowUnionTypes: true, allErrors: true });
    ajvErrors(ajv);
    const valid = (entity: any) => {
      const kind = model.getKind(entity);
      return kind ? ajv.validate(kind.jsonSchema, entity) : undefined;
    };
    const demo = readEntities(yamlFiles(ML_DIR)).filter(e =>
      e.apiVersion.startsWith('mlplatform.io/'),
    );
    expect(demo.map(valid)).toEqual(demo.map(() => true));
    const shapeErrors = readEntities(yamlFiles(BROKEN_DIR)).filter(
      e =>
        / is required$| must be a | is not a known field| must be one of/.test(
          expectedError(e) ?? '',
        ) &&
        e.apiVersion === 'mlplatform.io/v1alpha1' &&
        e.kind !== 'model',
    );
    expect(shapeErrors.length).toBeGreaterThanOrEqual(6);
    expect(shapeErrors.map(valid)).toEqual(shapeErrors.map(() => false));
  });
});
