import { Entity } from '@backstage/catalog-model';
import { readEntities, EXAMPLES_ML_DIR } from './__testUtils__/entities';
import { getModelCardInfo, getModelLikeType, isModelLike } from './modelLike';
import {
  isDatasetEntity,
  isGpuQuotaEntity,
  isModelEntity,
  isPipelineEntity,
} from '.';

const demo = readEntities(EXAMPLES_ML_DIR);
const byName = (name: string) => demo.find(e => e.metadata.name === name)!;

describe('model-like entities', () => {
  it('classifies ML models and Red Hat Developer Hub model catalog shapes', () => {
    expect(getModelLikeType(byName('fraud-detector'))).toBe('model');
    expect(getModelLikeType(byName('granite-3-1-8b-instruct'))).toBe(
      'rhdh-ai-model',
    );
    expect(getModelLikeType(byName('granite-model-server'))).toBe(
      'rhdh-model-server',
    );
    expect(isModelLike(byName('fraud-scoring-service'))).toBe(false);
    expect(isModelLike(byName('fraud-features'))).toBe(false);
    const resource: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: { name: 'db' },
      spec: { type: 'database' },
    };
    expect(isModelLike(resource)).toBe(false);
  });

  it('reads the model card of an ML model from its spec', () => {
    expect(getModelCardInfo(byName('support-assistant-llm'))).toMatchObject({
      type: 'model',
      license: 'Apache-2.0',
      modelCard: 'https://huggingface.co/ibm-granite/granite-3.1-8b-instruct',
      metrics: { rougeL: 0.39 },
      framework: 'transformers',
      registryRef: 'mlflow://support-assistant-llm',
      lifecycle: 'experimental',
      hasTechDocs: false,
    });
  });

  it('reads what a Developer Hub ai-model carries in links and annotations', () => {
    expect(getModelCardInfo(byName('granite-3-1-8b-instruct'))).toEqual({
      type: 'rhdh-ai-model',
      lifecycle: 'production',
      licenseUrl: 'https://www.apache.org/licenses/LICENSE-2.0',
      servedModelName: 'granite-3.1-8b-instruct',
      registryRef: undefined,
      hasTechDocs: false,
    });
    expect(getModelCardInfo(byName('fraud-scoring-service'))).toBeUndefined();
  });
});

describe('kind type guards', () => {
  it('match their kind in the ML apiVersion only', () => {
    const guards = [
      isModelEntity,
      isDatasetEntity,
      isPipelineEntity,
      isGpuQuotaEntity,
    ];
    const names = [
      'fraud-detector',
      'fraud-features',
      'fraud-detector-training',
      'fraud-gpu-quota',
    ];
    guards.forEach((guard, i) => {
      expect(names.map(n => guard(byName(n)))).toEqual(
        names.map((_, j) => i === j),
      );
    });
    const foreign = {
      ...byName('fraud-detector'),
      apiVersion: 'example.com/v1',
    };
    expect(isModelEntity(foreign)).toBe(false);
  });
});
