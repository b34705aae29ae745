import { Entity } from '@backstage/catalog-model';
import { applyMlEntityDefaults } from './defaults';

const dataset: Entity = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Dataset',
  metadata: { name: 'd' },
  spec: { type: 'table', lifecycle: 'x', owner: 'g', location: 's3://b/p' },
};

const model: Entity = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'm', annotations: { other: 'kept' } },
  spec: { type: 'llm', lifecycle: 'x', owner: 'g', registry: 'mlflow://m' },
};

describe('applyMlEntityDefaults', () => {
  it('classifies a dataset as internal when it says nothing', () => {
    const result = applyMlEntityDefaults(dataset);
    expect(result.spec?.classification).toBe('internal');
    expect(dataset.spec?.classification).toBeUndefined();
  });

  it('keeps a stated classification, even an invalid one for validation to report', () => {
    for (const classification of ['public', 42]) {
      const entity = { ...dataset, spec: { ...dataset.spec, classification } };
      expect(applyMlEntityDefaults(entity)).toBe(entity);
    }
  });

  it('copies spec.registry into the registry-ref annotation', () => {
    expect(applyMlEntityDefaults(model).metadata.annotations).toEqual({
      other: 'kept',
      'mlplatform.io/registry-ref': 'mlflow://m',
    });
  });

  it('does not copy an invalid registry, which validation reports at spec.registry', () => {
    const entity = {
      ...model,
      spec: { ...model.spec, registry: 'https://x/y' },
    };
    expect(applyMlEntityDefaults(entity)).toBe(entity);
  });

  it('never overwrites an existing registry-ref annotation', () => {
    const entity = {
      ...model,
      metadata: {
        name: 'm',
        annotations: { 'mlplatform.io/registry-ref': 'mlflow://other' },
      },
    };
    expect(applyMlEntityDefaults(entity)).toBe(entity);
  });

  it('leaves entities of other apiVersions alone', () => {
    const entity = { ...dataset, apiVersion: 'backstage.io/v1alpha1' };
    expect(applyMlEntityDefaults(entity)).toBe(entity);
  });
});
