/*
 * Create/update validation: the OpenAPI schemas of the built-in kinds (via
 * kubernetes-models' generated validators), the openAPIV3Schema of the
 * vendored CRDs (via ajv), unknown-field detection for `fieldValidation`, and
 * the semantic checks of the real API server that matter to our clients
 * (names, labels, containers, resources, selectors).
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { ResourceType } from './resources';
import { StatusCause, errors } from './status';
import { unknownFields, pruneFields } from './knownFields';
import { crdSchema } from './crds';
import { parseQuantity, QUANTITY_ERROR } from './quantity';
import { MESSAGES } from './messages';

const SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const q = (v: unknown) => JSON.stringify(typeof v === 'string' ? v : String(v));
const invalid = (
  field: string,
  value: unknown,
  detail: string,
): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${q(value)}: ${detail}`,
  field,
});
const required = (field: string, detail?: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: detail ? `Required value: ${detail}` : 'Required value',
  field,
});

function nameCauses(t: ResourceType, name: string): StatusCause[] {
  let rule: 'dns1035' | 'label' | 'subdomain' = t.nameRule ?? 'subdomain';
  if (t.kind === 'Service') rule = 'dns1035';
  const max = rule === 'subdomain' ? 253 : 63;
  const out: StatusCause[] = [];
  if (name.length > max) {
    out.push(
      invalid('metadata.name', name, `must be no more than ${max} characters`),
    );
  }
  const re = { dns1035: DNS1035, label: LABEL, subdomain: SUBDOMAIN }[rule];
  if (!re.test(name)) out.push(invalid('metadata.name', name, MESSAGES[rule]));
  return out;
}

function labelCauses(
  labels: unknown,
  field = 'metadata.labels',
): StatusCause[] {
  if (!labels || typeof labels !== 'object') return [];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const slash = k.lastIndexOf('/');
    const namePart = slash < 0 ? k : k.slice(slash + 1);
    const prefix = slash < 0 ? '' : k.slice(0, slash);
    if (!QUALIFIED_NAME.test(namePart) || namePart.length > 63) {
      out.push(invalid(field, k, MESSAGES.qualifiedName));
    } else if (prefix && (!SUBDOMAIN.test(prefix) || prefix.length > 253)) {
      out.push(invalid(field, k, `prefix part ${MESSAGES.subdomain}`));
    }
    if (typeof v === 'string' && (v.length > 63 || !LABEL_VALUE.test(v))) {
      out.push(
        invalid(
          field,
          v,
          v.length > 63
            ? 'must be no more than 63 characters'
            : MESSAGES.labelValue,
        ),
      );
    }
  }
  return out;
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function containerCauses(c: any, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!c?.name) out.push(required(`${field}.name`));
  else if (!LABEL.test(c.name) || c.name.length > 63) {
    out.push(invalid(`${field}.name`, c.name, MESSAGES.label));
  }
  if (!c?.image) out.push(required(`${field}.image`));
  const res = c?.resources ?? {};
  for (const kind of ['limits', 'requests'] as const) {
    for (const [rn, rv] of Object.entries(res[kind] ?? {})) {
      const f = `${field}.resources.${kind}[${rn}]`;
      let parsed;
      try {
        parsed = parseQuantity(rv as string);
      } catch {
        throw errors.badRequest(QUANTITY_ERROR);
      }
      if (parsed.milli < 0n)
        out.push(invalid(f, rv, 'must be greater than or equal to 0'));
      if (!isNativeResource(rn) && parsed.milli % 1000n !== 0n) {
        out.push(invalid(f, rv, 'must be an integer'));
      }
    }
  }
  for (const [rn, rv] of Object.entries(res.requests ?? {})) {
    const limit = res.limits?.[rn];
    if (!isNativeResource(rn)) {
      if (limit === undefined) {
        out.push(
          required(
            `${field}.resources.limits`,
            'Limit must be set for non overcommitable resources',
          ),
        );
      } else if (
        parseQuantity(limit).milli !== parseQuantity(rv as string).milli
      ) {
        out.push(
          invalid(
            `${field}.resources.requests[${rn}]`,
            rv,
            `must be equal to ${rn} limit of ${limit}`,
          ),
        );
      }
    } else if (
      limit !== undefined &&
      parseQuantity(rv as string).milli > parseQuantity(limit).milli
    ) {
      out.push(
        invalid(
          `${field}.resources.requests`,
          rv,
          `must be less than or equal to ${rn} limit of ${limit}`,
        ),
      );
    }
  }
  return out;
}

function podSpecCauses(spec: any, field: string): StatusCause[] {
  if (!spec) return [required(field)];
  const out: StatusCause[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    out.push(required(`${field}.containers`));
  } else {
    const seen = new Set<string>();
    spec.containers.forEach((c: any, i: number) => {
      out.push(...containerCauses(c, `${field}.containers[${i}]`));
      if (c?.name && seen.has(c.name)) {
        out.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${q(c.name)}`,
          field: `${field}.containers[${i}].name`,
        });
      }
      seen.add(c?.name);
    });
  }
  (spec.initContainers ?? []).forEach((c: any, i: number) =>
    out.push(...containerCauses(c, `${field}.initContainers[${i}]`)),
  );
  return out;
}

function selectorMatches(
  selector: any,
  labels: Record<string, string> = {},
): boolean {
  const ml = selector?.matchLabels ?? {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (selector?.matchExpressions ?? []).every((e: any) => {
    const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
    switch (e.operator) {
      case 'In':
        return has(e.key) && e.values?.includes(labels[e.key]);
      case 'NotIn':
        return !has(e.key) || !e.values?.includes(labels[e.key]);
      case 'Exists':
        return has(e.key);
      case 'DoesNotExist':
        return !has(e.key);
      default:
        return false;
    }
  });
}

function goMap(labels: Record<string, string> = {}): string {
  const entries = Object.keys(labels)
    .sort()
    .map(k => `"${k}":"${labels[k]}"`);
  return `map[string]string{${entries.join(', ')}}`;
}

function workloadControllerCauses(obj: any): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = obj.spec ?? {};
  const tpl = spec.template ?? {};
  const isJob = obj.kind === 'Job' || obj.kind === 'CronJob';
  if (!isJob) {
    if (!spec.selector) out.push(required('spec.selector'));
    else if (
      Object.keys(spec.selector.matchLabels ?? {}).length === 0 &&
      (spec.selector.matchExpressions ?? []).length === 0
    ) {
      out.push(
        invalid(
          'spec.selector',
          'null',
          'empty selector is invalid for deployment',
        ),
      );
    } else if (!selectorMatches(spec.selector, tpl.metadata?.labels)) {
      out.push(
        invalid(
          'spec.template.metadata.labels',
          goMap(tpl.metadata?.labels),
          '`selector` does not match template `labels`',
        ),
      );
    }
    if (spec.replicas !== undefined && spec.replicas < 0) {
      out.push(
        invalid(
          'spec.replicas',
          spec.replicas,
          'must be greater than or equal to 0',
        ),
      );
    }
  }
  return out;
}

function semanticCauses(obj: any): StatusCause[] {
  switch (obj.kind) {
    case 'Pod':
      return podSpecCauses(obj.spec, 'spec');
    case 'StatefulSet':
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return [
        ...workloadControllerCauses(obj),
        ...labelCauses(
          obj.spec?.template?.metadata?.labels,
          'spec.template.metadata.labels',
        ),
        ...podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec'),
      ];
    case 'Job': {
      const out = podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec');
      const rp = obj.spec?.template?.spec?.restartPolicy;
      if (rp !== 'OnFailure' && rp !== 'Never') {
        out.push(
          rp === undefined || rp === 'Always'
            ? {
                reason: 'FieldValueRequired',
                message: 'Required value: valid values: "OnFailure", "Never"',
                field: 'spec.template.spec.restartPolicy',
              }
            : {
                reason: 'FieldValueNotSupported',
                message: `Unsupported value: ${q(
                  rp,
                )}: supported values: "OnFailure", "Never"`,
                field: 'spec.template.spec.restartPolicy',
              },
        );
      }
      return out;
    }
    case 'CronJob': {
      const out = podSpecCauses(
        obj.spec?.jobTemplate?.spec?.template?.spec,
        'spec.jobTemplate.spec.template.spec',
      );
      if (!obj.spec?.schedule) out.push(required('spec.schedule'));
      return out;
    }
    case 'ResourceQuota':
      for (const [k, v] of Object.entries(obj.spec?.hard ?? {})) {
        try {
          parseQuantity(v as string);
        } catch {
          throw errors.badRequest(QUANTITY_ERROR);
        }
        if (!k) return [required('spec.hard')];
      }
      return [];
    case 'Notebook':
      return podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec');
    case 'Workload':
      return (obj.spec?.podSets ?? []).flatMap((ps: any, i: number) =>
        podSpecCauses(ps.template?.spec, `spec.podSets[${i}].template.spec`),
      );
    default:
      return [];
  }
}

/** Field path of an ajv error, in the server's notation (`spec.containers[0].image`). */
function fieldOf(e: ErrorObject): string {
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

function valueAt(obj: any, instancePath: string): unknown {
  let cur = obj;
  for (const p of instancePath.split('/').slice(1))
    cur = cur?.[p.replace(/~1/g, '/').replace(/~0/g, '~')];
  return cur;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  return v === null ? 'null' : typeof v;
}

function goType(t: string): string {
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
function schemaCauses(errs: ErrorObject[], obj: any): StatusCause[] {
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

function builtinClass(module: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(module);
  const name = module.slice(module.lastIndexOf('/') + 1);
  return mod[name];
}

const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const crdValidators = new Map<string, ValidateFunction | null>();
function crdValidator(
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
function unknownBySchema(value: unknown, schema: any, p: string): string[] {
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

/**
 * Update-only rules: fields the real server (or the CRD's CEL rules) keeps
 * immutable. Throws a 422 StatusError.
 */
export function validateUpdate(t: ResourceType, next: any, old: any): void {
  const causes: StatusCause[] = [];
  if (t.kind === 'StatefulSet') {
    const mutable = [
      'replicas',
      'ordinals',
      'template',
      'updateStrategy',
      'persistentVolumeClaimRetentionPolicy',
      'minReadySeconds',
    ];
    const rest = (s: any) =>
      canonicalJson(
        Object.fromEntries(
          Object.entries(s ?? {}).filter(([k]) => !mutable.includes(k)),
        ),
      );
    if (rest(next.spec) !== rest(old.spec)) {
      causes.push({
        reason: 'FieldValueForbidden',
        message:
          "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        field: 'spec',
      });
    }
  }
  if (
    t.kind === 'LocalQueue' &&
    next.spec?.clusterQueue !== old.spec?.clusterQueue
  ) {
    causes.push(invalid('spec.clusterQueue', 'string', 'field is immutable'));
  }
  if (causes.length)
    throw errors.invalid(t.kind, t.group, next.metadata.name, causes);
}

function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map(k => [k, x[k]]),
        )
      : x,
  );
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Validates `obj` (already defaulted, with metadata set) as the server does
 * on create and update. Unknown fields are rejected with Strict, else pruned
 * (returned as warnings with Warn). Throws a 400 or 422 StatusError.
 */
export function validateObject(
  t: ResourceType,
  version: string,
  obj: any,
  fieldValidation: FieldValidation,
): string[] {
  const cannotHandle = (why: string) =>
    errors.badRequest(
      `${t.kind} in version "${version}" cannot be handled as a ${t.kind}: ${why}`,
    );
  let unknown: string[];
  if (t.model) {
    unknown = unknownFields(obj, t.model);
  } else {
    const schema = crdSchema(t, version);
    unknown = schema
      ? unknownBySchema(
          obj,
          {
            ...schema,
            properties: {
              ...schema.properties,
              metadata: {
                type: 'object',
                'x-kubernetes-preserve-unknown-fields': true,
              },
              apiVersion: {},
              kind: {},
            },
          },
          '',
        )
      : [];
    if (obj.kind === 'Notebook' || obj.kind === 'Workload') {
      // the pod templates inside are checked against the PodTemplateSpec schema
      const templates: Array<[unknown, string]> =
        obj.kind === 'Notebook'
          ? [[obj.spec?.template, 'spec.template']]
          : (obj.spec?.podSets ?? []).map((ps: any, i: number) => [
              ps?.template,
              `spec.podSets[${i}].template`,
            ]);
      for (const [tpl, p] of templates) {
        unknown.push(
          ...unknownFields(tpl, 'kubernetes-models/v1/PodTemplateSpec', p),
        );
      }
    }
  }
  // unknown fields inside metadata are always reported by the real decoder
  if (unknown.length && fieldValidation === 'Strict') {
    const list = unknown.map(u => `unknown field "${u}"`);
    throw cannotHandle(`strict decoding error: ${list.join(', ')}`);
  }
  pruneFields(obj, unknown);
  const warnings =
    fieldValidation === 'Warn' ? unknown.map(u => `unknown field "${u}"`) : [];

  const name = obj.metadata?.name ?? '';
  const causes: StatusCause[] = [];
  if (!name)
    causes.push(required('metadata.name', 'name or generateName is required'));
  else causes.push(...nameCauses(t, name));
  causes.push(...labelCauses(obj.metadata?.labels));

  if (t.model) {
    const Model = builtinClass(t.model);
    try {
      new Model(obj).validate();
    } catch (e: any) {
      const errs: ErrorObject[] = e?.errors ?? [];
      const typeErr = errs.find(x => x.keyword === 'type');
      if (typeErr) {
        const value = valueAt(obj, typeErr.instancePath);
        throw cannotHandle(
          `json: cannot unmarshal ${jsonType(
            value,
          )} into Go struct field .${fieldOf(typeErr)} of type ${goType(
            String((typeErr.params as any).type),
          )}`,
        );
      }
      causes.push(
        ...schemaCauses(
          errs.filter(
            x => x.instancePath !== '/metadata' || x.keyword !== 'required',
          ),
          obj,
        ),
      );
    }
  } else {
    const v = crdValidator(t, version);
    if (v && !v(obj)) causes.push(...schemaCauses(v.errors ?? [], obj));
    if (obj.kind === 'Notebook' || obj.kind === 'Workload') {
      const PodTemplateSpec = builtinClass(
        'kubernetes-models/v1/PodTemplateSpec',
      );
      const templates: Array<[unknown, string]> =
        obj.kind === 'Notebook'
          ? [[obj.spec?.template, 'spec.template']]
          : (obj.spec?.podSets ?? []).map((ps: any, i: number) => [
              ps?.template,
              `spec.podSets[${i}].template`,
            ]);
      for (const [tpl, p] of templates) {
        if (!tpl) continue;
        try {
          new PodTemplateSpec(tpl).validate();
        } catch (e: any) {
          causes.push(
            ...schemaCauses(e?.errors ?? [], tpl).map(c => ({
              ...c,
              field: c.field ? `${p}.${c.field}` : p,
            })),
          );
        }
      }
    }
  }
  if (!causes.length) causes.push(...semanticCauses(obj));
  if (causes.length) throw errors.invalid(t.kind, t.group, name, causes);
  return warnings;
}
