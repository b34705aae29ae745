import { Entity } from '@backstage/catalog-model';
import path from 'node:path';
import {
  EXAMPLES_ML_DIR,
  EXPECTED_ERROR_ANNOTATION,
  readEntities,
} from '../__testUtils__/entities';
import { isMlKind } from '../constants';
import { modelEntityV1alpha1Validator } from '../ModelEntityV1alpha1';
import { ML_KIND_SCHEMAS } from '../schemas';
import { formatMlEntityIssues, validateMlEntity } from './validateMlEntity';

const demo = readEntities(EXAMPLES_ML_DIR);
const broken = readEntities(path.join(EXAMPLES_ML_DIR, 'broken'));

function model(spec: Record<string, unknown>, extra: Partial<Entity> = {}) {
  const example = ML_KIND_SCHEMAS.Model.examples as unknown as Entity[];
  return {
    ...example[0],
    ...extra,
    spec: { ...example[0].spec, ...spec },
  } as Entity;
}

function message(entity: Entity): string {
  return formatMlEntityIssues(entity, validateMlEntity(entity));
}

describe('validateMlEntity', () => {
  const demoMl = demo.filter(e => isMlKind(e.kind));

  it('accepts every ML entity of the demo organisation', () => {
    expect(demoMl.length).toBeGreaterThanOrEqual(19);
    const problems = demoMl
      .map(e => ({ name: e.metadata.name, issues: validateMlEntity(e) }))
      .filter(p => p.issues.length);
    expect(problems).toEqual([]);
  });

  it.each(
    broken
      .filter(e => e.metadata.annotations?.[EXPECTED_ERROR_ANNOTATION])
      .map(e => [e.metadata.name, e] as const),
  )('rejects broken entity %s with its expected message', (_name, entity) => {
    expect(message(entity)).toContain(
      entity.metadata.annotations![EXPECTED_ERROR_ANNOTATION],
    );
  });

  it('accepts the valid neighbours in the broken corpus', () => {
    const valid = broken.filter(
      e => !e.metadata.annotations?.[EXPECTED_ERROR_ANNOTATION],
    );
    expect(valid.map(e => e.metadata.name)).toEqual([
      'valid-neighbour-dataset',
    ]);
    expect(validateMlEntity(valid[0])).toEqual([]);
  });

  it('counts lengths in UTF-16 code units, quietly, and still checks refs by kind once the schema passed', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // A metric name of 63 characters is the longest the schema takes.
      const name = 'm'.repeat(63);
      expect(validateMlEntity(model({ metrics: { [name]: 1 } }))).toEqual([]);
      expect(
        validateMlEntity(model({ metrics: { [`${name}x`]: 1 } })).map(
          i => i.path,
        ),
      ).toEqual([`spec.metrics.${name}x`]);
      expect(message(model({ lifecycle: '' }))).toBe(
        'Model "fraud-detector": spec.lifecycle must not be empty',
      );
      // Valid for the schema (the ref pattern), wrong for the rules (kind).
      expect(validateMlEntity(model({ owner: 'component:fraud-api' }))).toEqual(
        [
          {
            path: 'spec.owner',
            message:
              'must refer to a Group or a User, but "component:fraud-api" refers to a Component',
          },
        ],
      );
      // A fresh ajv instance says nothing about its options.
      jest.isolateModules(() => {
        const fresh = require('./validateMlEntity');
        expect(fresh.validateMlEntity(model({}))).toEqual([]);
      });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('reports every problem at once, each with its path', () => {
    const entity = model({
      owner: undefined,
      type: 7,
      trainedOn: ['fraud-features', 'fraud-features'],
      slo: { latencyP95Ms: 0 },
    });
    delete (entity.spec as any).owner;
    expect(validateMlEntity(entity)).toEqual([
      { path: 'spec.owner', message: 'is required' },
      { path: 'spec.type', message: 'must be a string (got 7)' },
      {
        path: 'spec.trainedOn',
        message: 'must not list the same entry twice (items 0 and 1 are equal)',
      },
      { path: 'spec.slo.latencyP95Ms', message: 'must be > 0 (got 0)' },
    ]);
  });

  it('names the entity, with its namespace when not the default one', () => {
    const entity = model(
      { trainedOn: ['api:x'] },
      { metadata: { name: 'm', namespace: 'team-a' } },
    );
    expect(message(entity)).toBe(
      'Model "team-a/m": spec.trainedOn[0] must refer to a Dataset, but "api:x" refers to an API',
    );
  });

  it('lists the known fields when a misspelling is not close to any', () => {
    expect(message(model({ hyperparameters: {} }))).toMatch(
      /spec\.hyperparameters is not a known field \(known fields: type, lifecycle, owner, .*metrics\)/,
    );
  });

  it('quotes map keys that are not identifiers and explains the key rule', () => {
    expect(message(model({ metrics: { 'f1 score': 0.5 } }))).toContain(
      'spec.metrics["f1 score"] is not a valid key: expected a metric name',
    );
  });

  it('checks registry-ref against spec.registry', () => {
    const entity = model(
      { registry: 'mlflow://a' },
      {
        metadata: {
          name: 'm',
          annotations: { 'mlplatform.io/registry-ref': 'mlflow://b' },
        },
      },
    );
    expect(message(entity)).toBe(
      'Model "m": metadata.annotations["mlplatform.io/registry-ref"] must equal spec.registry ("mlflow://a") when both are set (got "mlflow://b")',
    );
  });

  it('accepts mlflow://<registry>/<model> and refuses deeper MLflow paths', () => {
    expect(
      validateMlEntity(model({ registry: 'mlflow://team-mlflow/fraud.v2' })),
    ).toEqual([]);
    expect(message(model({ registry: 'mlflow://a/b/c' }))).toContain(
      'spec.registry must be oci://host[:port]/repository (lower-case repository path) or mlflow://model-name',
    );
  });

  it('accepts explicit kinds and namespaces in references', () => {
    expect(
      validateMlEntity(
        model({
          owner: 'user:team-a/alice',
          trainedOn: ['dataset:shared/fraud-features'],
          servedBy: ['API:fraud-scoring-api'],
        }),
      ),
    ).toEqual([]);
  });
});

describe('modelEntityV1alpha1Validator', () => {
  it('ignores other kinds, passes valid models, throws for invalid ones', async () => {
    const valid = model({});
    await expect(
      modelEntityV1alpha1Validator.check({ ...valid, kind: 'Dataset' }),
    ).resolves.toBe(false);
    await expect(modelEntityV1alpha1Validator.check(valid)).resolves.toBe(true);
    await expect(
      modelEntityV1alpha1Validator.check(model({ lifecycle: '' })),
    ).rejects.toThrow(
      new TypeError('Model "fraud-detector": spec.lifecycle must not be empty'),
    );
  });
});
