import { ML_KINDS } from './constants';
import { ML_REFERENCE_FIELDS } from './referenceFields';
import { ML_RELATION_PAIRS } from './relations';
import { ML_KIND_SCHEMAS } from './schemas';
import {
  ENTITY_REF_PATTERN,
  REGISTRY_REF_PATTERN,
} from './validation/patterns';
import { validateMlEntity } from './validation/validateMlEntity';

type Schema = Record<string, any>;

function specOf(kind: (typeof ML_KINDS)[number]): Schema {
  return (ML_KIND_SCHEMAS[kind] as Schema).properties.spec;
}

/** Yields [path, schema] for every property declared anywhere below `schema`. */
function* properties(
  schema: Schema,
  path: string,
): Generator<[string, Schema]> {
  for (const [name, child] of Object.entries<Schema>(schema.properties ?? {})) {
    yield [`${path}.${name}`, child];
    yield* properties(child, `${path}.${name}`);
  }
  if (schema.items) yield* properties(schema.items, `${path}[]`);
}

describe.each(ML_KINDS)('the %s schema', kind => {
  it('is draft-07 and accepts its own example', () => {
    const schema = ML_KIND_SCHEMAS[kind] as Schema;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema');
    expect(schema.examples).toHaveLength(1);
    expect(validateMlEntity(schema.examples[0])).toEqual([]);
  });

  it('describes every field', () => {
    const undocumented = [...properties(specOf(kind), 'spec')]
      .filter(([, s]) => typeof s.description !== 'string')
      .map(([p]) => p);
    expect(undocumented).toEqual([]);
  });

  it('forbids unknown fields in spec and every nested object', () => {
    const open = [...properties(specOf(kind), 'spec')]
      .filter(([, s]) => s.type === 'object' && s.properties)
      .filter(([, s]) => s.additionalProperties !== false)
      .map(([p]) => p);
    expect(specOf(kind).additionalProperties).toBe(false);
    expect(open).toEqual([]);
  });

  it('declares every reference field with the shared entity ref pattern', () => {
    for (const field of ML_REFERENCE_FIELDS[kind]) {
      const schema = specOf(kind).properties[field.field];
      expect({ field: field.field, type: schema?.type }).toEqual({
        field: field.field,
        type: field.multiple ? 'array' : 'string',
      });
      const item = field.multiple ? schema.items : schema;
      expect(item.pattern).toBe(ENTITY_REF_PATTERN);
      expect(item.errorMessage.pattern).toMatch(/^must be an entity reference/);
    }
  });
});

describe('ML schemas and relation tables', () => {
  it('use the registry pattern the rules use for the annotation', () => {
    expect(specOf('Model').properties.registry.pattern).toBe(
      REGISTRY_REF_PATTERN,
    );
  });

  it('declare a relation pair for every non-Backstage reference field', () => {
    const declared = new Set(ML_RELATION_PAIRS.map(p => p.forward.type));
    const backstageOwn = new Set(['ownedBy', 'partOf']);
    for (const kind of ML_KINDS) {
      for (const field of ML_REFERENCE_FIELDS[kind]) {
        const known =
          declared.has(field.relation) ||
          ML_RELATION_PAIRS.some(p => p.reverse.type === field.relation) ||
          backstageOwn.has(field.relation);
        expect({ kind, field: field.field, known }).toEqual({
          kind,
          field: field.field,
          known: true,
        });
      }
    }
  });
});
