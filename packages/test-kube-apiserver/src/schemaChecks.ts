/*
 * Schema validation: the OpenAPI schemas of the built-in kinds (through
 * kubernetes-models' generated validators), the openAPIV3Schema of the
 * vendored CRDs (through ajv), and their errors in the messages of the real
 * server's decoder and CRD validator.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { ResourceType } from './resources';
import { StatusCause } from './status';
import { crdSchema } from './crds';
import { invalid, q, required } from './causes';

/** Field path of an ajv error, in the server's notation (`spec.containers[0].image`). */
export function fieldOf(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1);
  if (e.keyword === 'required')
    parts.push(String((e.params as any).missingProperty));
  return parts
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => {
      if (/^\d+$/.test(p)) return `${acc}[${p}]`;
      return acc ? `${acc}.${p}` : p;
    }, '');
}

/** The value at an ajv instancePath (`/spec/replicas`). */
export function valueAt(obj: any, instancePath: string): unknown {
  let cur = obj;
  for (const p of instancePath.split('/').slice(1))
    cur = cur?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

/** The JSON type of a value (array, null, string, number, ...), as the decoder names it. */
export function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v;
}

/** The Go type a schema type decodes into, for the decoder's "cannot unmarshal" message. */
export function goType(t: string): string {
  return (
    (
      {
        integer: 'int64',
        number: 'float64',
        boolean: 'bool',
        array: 'array',
        object: 'object',
      } as Record<string, string>
    )[t] ?? t
  );
}

/** ajv errors → causes, in the messages of the CRD validator (k8s.io/kube-openapi). */
export function schemaCauses(errs: ErrorObject[], obj: any): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  for (const e of errs) {
    const field = fieldOf(e);
    const value = valueAt(obj, e.instancePath);
    let cause: StatusCause | undefined;
    switch (e.keyword) {
      case 'required':
        cause = required(field);
        break;
      case 'enum':
        cause = {
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${q(value)}: supported values: ${(
            e.params as any
          ).allowedValues
            .map((v: unknown) => q(v))
            .join(', ')}`,
          field,
        };
        break;
      case 'type':
        cause = {
          reason: 'FieldValueTypeInvalid',
          message: `Invalid value: ${q(
            typeof value === 'object' ? JSON.stringify(value) : value,
          )}: ${field} in body must be of type ${(e.params as any).type}: ${q(
            Array.isArray(value) ? 'array' : typeof value,
          )}`,
          field,
        };
        break;
      case 'maximum':
      case 'minimum':
        cause = invalid(
          field,
          value,
          `${field} in body should be ${
            e.keyword === 'maximum' ? 'less' : 'greater'
          } than or equal to ${(e.params as any).limit}`,
        );
        break;
      case 'maxItems':
        cause = {
          reason: 'FieldValueTooMany',
          message: `Too many: ${
            (value as unknown[]).length
          }: must have at most ${(e.params as any).limit} items`,
          field,
        };
        break;
      case 'minItems':
        cause = invalid(
          field,
          JSON.stringify(value),
          `${field} in body should have at least ${
            (e.params as any).limit
          } items`,
        );
        break;
      case 'maxLength':
        cause = {
          reason: 'FieldValueTooLong',
          message: `Too long: may not be more than ${
            (e.params as any).limit
          } bytes`,
          field,
        };
        break;
      case 'pattern':
        cause = invalid(
          field,
          value,
          `${field} in body should match '${(e.params as any).pattern}'`,
        );
        break;
      case 'anyOf':
      case 'oneOf':
        continue;
      default:
        cause = invalid(
          field,
          typeof value === 'object' ? JSON.stringify(value) : value,
          e.message ?? e.keyword,
        );
    }
    const key = `${cause.field}|${cause.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(cause);
    }
  }
  return out;
}

/** The kubernetes-models class of a built-in kind, by module path. */
export function builtinClass(module: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(module);
  const name = module.slice(module.lastIndexOf('/') + 1);
  return mod[name];
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const crdValidators = new Map<string, ValidateFunction | null>();
/** The compiled ajv validator of a custom type's schema in `version`, or null without one. */
export function crdValidator(
  t: ResourceType,
  version: string,
): ValidateFunction | null {
  const key = `${t.group}/${version}/${t.kind}`;
  if (!crdValidators.has(key)) {
    const schema = crdSchema(t, version);
    crdValidators.set(key, schema ? ajv.compile(schemaForAjv(schema)) : null);
  }
  return crdValidators.get(key)!;
}

/** Structural-schema → ajv: int-or-string and nullable, which ajv does not know. */
function schemaForAjv(s: any): any {
  if (!s || typeof s !== 'object') return s;
  if (Array.isArray(s)) return s.map(schemaForAjv);
  const out: any = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'x-kubernetes-validations' || k === 'description') continue;
    out[k] = schemaForAjv(v);
  }
  if (s['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (s.nullable && out.type) out.type = [out.type, 'null'];
  return out;
}

/** Paths of fields a structural schema does not declare (they would be pruned). */
export function unknownBySchema(
  value: unknown,
  schema: any,
  p: string,
): string[] {
  if (!schema || value === null || typeof value !== 'object') return [];
  if (schema['x-kubernetes-preserve-unknown-fields']) return [];
  if (Array.isArray(value)) {
    return schema.items
      ? value.flatMap((v, i) => unknownBySchema(v, schema.items, `${p}[${i}]`))
      : [];
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const child =
      schema.properties?.[k] ??
      (typeof schema.additionalProperties === 'object'
        ? schema.additionalProperties
        : undefined);
    const path = p ? `${p}.${k}` : k;
    if (!child) {
      if (schema.properties || schema.type === 'object') out.push(path);
      continue;
    }
    out.push(...unknownBySchema(v, child, path));
  }
  return out;
}
