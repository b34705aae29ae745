/*
 * Create/update validation as the server runs it: unknown fields by
 * `fieldValidation` (rejected, pruned with a warning, or pruned), the
 * schema (schemaChecks.ts), the semantic checks (semanticChecks.ts), and the
 * fields an update may not change.
 */
import { ErrorObject } from 'ajv';
import { ResourceType } from './resources';
import { StatusCause, errors } from './status';
import { unknownFields, pruneFields } from './knownFields';
import { crdSchema } from './crds';
import { canonical } from './json';
import { invalid, required } from './causes';
import { labelCauses, nameCauses, semanticCauses } from './semanticChecks';
import {
  builtinClass,
  crdValidator,
  fieldOf,
  goType,
  jsonType,
  schemaCauses,
  unknownBySchema,
  valueAt,
} from './schemaChecks';

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
      canonical(
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

/** The `fieldValidation` query parameter: reject, warn about, or silently drop unknown fields. */
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
