import {
  DEFAULT_NAMESPACE,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_ALERT_SELECTOR,
  ANNOTATION_METRICS_SELECTOR,
  ANNOTATION_REGISTRY_REF,
} from '../../annotations';
import { parseLabelMatchers } from '../../labelMatchers';
import {
  GPU_QUOTA_KIND,
  ML_KINDS,
  MlKind,
  MODEL_KIND,
  PIPELINE_KIND,
} from '../constants';
import { ML_REFERENCE_FIELDS, MlReferenceField } from '../referenceFields';
import { checkCronValues } from './cron';
import { joinPath, MlEntityValidationIssue } from './issues';
import { ENTITY_REF_PATTERN, REGISTRY_REF_PATTERN } from './patterns';

// Rules JSON schema cannot express (or not readably): what a reference points
// to, cron values, fields that depend on each other, annotation syntax.
// Each rule skips values of the wrong type, which the schema already reported.

type Spec = Record<string, unknown>;

const entityRef = new RegExp(ENTITY_REF_PATTERN);
const registryRef = new RegExp(REGISTRY_REF_PATTERN);

// References may spell kinds in any case; messages use the usual spelling.
const KNOWN_KINDS = [
  'API',
  'Component',
  'Domain',
  'Group',
  'Location',
  'Resource',
  'System',
  'Template',
  'User',
  ...ML_KINDS,
];

function displayKind(kind: string): string {
  const lower = kind.toLocaleLowerCase('en-US');
  return KNOWN_KINDS.find(k => k.toLocaleLowerCase('en-US') === lower) ?? kind;
}

function article(kind: string): string {
  // "a User" but "an API": by sound, not by letter.
  return /^(API|[AEIO])/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

// Lower-cased allowed kinds per reference field, computed once per field.
const allowedLower = new WeakMap<MlReferenceField, ReadonlySet<string>>();

function allowedKindsOf(field: MlReferenceField): ReadonlySet<string> {
  let kinds = allowedLower.get(field);
  if (!kinds) {
    kinds = new Set(field.allowedKinds.map(k => k.toLocaleLowerCase('en-US')));
    allowedLower.set(field, kinds);
  }
  return kinds;
}

/**
 * What is wrong with one reference; the path is built only for a problem.
 * A malformed ref is the schema's to report; when the schema passed, every
 * ref matched its pattern and is not tested again.
 */
function checkReference(
  entity: Entity,
  field: MlReferenceField,
  value: unknown,
  index: number,
  schemaValid: boolean,
): MlEntityValidationIssue | undefined {
  if (typeof value !== 'string') return undefined;
  if (!schemaValid && !entityRef.test(value)) return undefined;
  const path = () =>
    joinPath(
      field.multiple ? ['spec', field.field, index] : ['spec', field.field],
    );
  const namespace = entity.metadata.namespace ?? DEFAULT_NAMESPACE;
  if (!field.defaultKind && !value.includes(':')) {
    const examples = field.allowedKinds
      .map(k => `${k.toLocaleLowerCase('en-US')}:${value}`)
      .join(' or ');
    return {
      path: path(),
      message: `must say which kind it refers to, like ${examples} (got ${JSON.stringify(
        value,
      )})`,
    };
  }
  const target = parseEntityRef(value, {
    defaultKind: field.defaultKind,
    defaultNamespace: namespace,
  });
  const targetKind = target.kind.toLocaleLowerCase('en-US');
  if (!allowedKindsOf(field).has(targetKind)) {
    const expected = field.allowedKinds.map(article).join(' or ');
    return {
      path: path(),
      message: `must refer to ${expected}, but ${JSON.stringify(
        value,
      )} refers to ${article(displayKind(target.kind))}`,
    };
  }
  // Names of different lengths cannot be the same: most refs stop there.
  if (
    target.name.length === entity.metadata.name.length &&
    targetKind === entity.kind.toLocaleLowerCase('en-US') &&
    target.name.toLocaleLowerCase('en-US') ===
      entity.metadata.name.toLocaleLowerCase('en-US') &&
    target.namespace.toLocaleLowerCase('en-US') ===
      namespace.toLocaleLowerCase('en-US')
  ) {
    return { path: path(), message: 'must not refer to the entity itself' };
  }
  return undefined;
}

function referenceIssues(
  entity: Entity,
  kind: MlKind,
  spec: Spec,
  schemaValid: boolean,
) {
  const issues: MlEntityValidationIssue[] = [];
  for (const field of ML_REFERENCE_FIELDS[kind]) {
    const value = spec[field.field];
    if (value === undefined) continue;
    if (field.multiple && Array.isArray(value)) {
      for (let index = 0; index < value.length; index++) {
        const issue = checkReference(
          entity,
          field,
          value[index],
          index,
          schemaValid,
        );
        if (issue) issues.push(issue);
      }
    } else {
      const issue = checkReference(entity, field, value, 0, schemaValid);
      if (issue) issues.push(issue);
    }
  }
  return issues;
}

function pipelineIssues(spec: Spec): MlEntityValidationIssue[] {
  if (typeof spec.schedule !== 'string') return [];
  const problem = checkCronValues(spec.schedule);
  return problem ? [{ path: 'spec.schedule', message: problem }] : [];
}

function gpuQuotaIssues(spec: Spec): MlEntityValidationIssue[] {
  const source = spec.source as Spec | undefined;
  if (typeof source !== 'object' || source === null) return [];
  const issues: MlEntityValidationIssue[] = [];
  if (source.type === 'kueue') {
    if (source.clusterQueue === undefined) {
      issues.push({
        path: 'spec.source.clusterQueue',
        message: 'is required when spec.source.type is kueue',
      });
    }
    if (source.resourceQuota !== undefined) {
      issues.push({
        path: 'spec.source.resourceQuota',
        message: 'is only allowed when spec.source.type is resourcequota',
      });
    }
  } else if (source.type === 'resourcequota') {
    for (const field of ['clusterQueue', 'localQueue']) {
      if (source[field] !== undefined) {
        issues.push({
          path: `spec.source.${field}`,
          message: 'is only allowed when spec.source.type is kueue',
        });
      }
    }
    // A ResourceQuota is a hard cap; only Kueue cohorts lend capacity.
    if (spec.borrowingLimit !== undefined) {
      issues.push({
        path: 'spec.borrowingLimit',
        message: 'is only allowed when spec.source.type is kueue',
      });
    }
  }
  return issues;
}

function modelIssues(entity: Entity, spec: Spec): MlEntityValidationIssue[] {
  const annotation = entity.metadata.annotations?.[ANNOTATION_REGISTRY_REF];
  if (
    typeof spec.registry === 'string' &&
    annotation !== undefined &&
    annotation !== spec.registry
  ) {
    return [
      {
        path: joinPath(['metadata', 'annotations', ANNOTATION_REGISTRY_REF]),
        message: `must equal spec.registry (${JSON.stringify(
          spec.registry,
        )}) when both are set (got ${JSON.stringify(annotation)})`,
      },
    ];
  }
  return [];
}

/**
 * Checks the ML annotations (`mlplatform.io/*`) of any entity that carries
 * them: selectors must parse as label matchers, registry refs must be
 * `oci://` or `mlflow://` refs.
 *
 * @returns the issues, empty when all are fine.
 * @public
 */
export function validateMlAnnotations(
  entity: Entity,
): MlEntityValidationIssue[] {
  const annotations = entity.metadata?.annotations ?? {};
  const issues: MlEntityValidationIssue[] = [];
  for (const key of [ANNOTATION_METRICS_SELECTOR, ANNOTATION_ALERT_SELECTOR]) {
    const value = annotations[key];
    if (typeof value !== 'string') continue;
    try {
      parseLabelMatchers(value);
    } catch (error) {
      issues.push({
        path: joinPath(['metadata', 'annotations', key]),
        message: `must be label matchers like namespace="fraud", model="fraud-detector": ${
          (error as Error).message
        }`,
      });
    }
  }
  const registry = annotations[ANNOTATION_REGISTRY_REF];
  if (typeof registry === 'string' && !registryRef.test(registry)) {
    issues.push({
      path: joinPath(['metadata', 'annotations', ANNOTATION_REGISTRY_REF]),
      message: `must be oci://host[:port]/repository or mlflow://model-name (got ${JSON.stringify(
        registry,
      )})`,
    });
  }
  return issues;
}

/**
 * The semantic rules of one ML kind, run after the JSON schema whatever it
 * found; `schemaValid` says it found nothing.
 */
export function ruleIssues(
  entity: Entity,
  kind: MlKind,
  schemaValid = false,
): MlEntityValidationIssue[] {
  const spec = entity.spec;
  const issues = validateMlAnnotations(entity);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return issues;
  }
  issues.push(...referenceIssues(entity, kind, spec, schemaValid));
  if (kind === PIPELINE_KIND) issues.push(...pipelineIssues(spec));
  if (kind === GPU_QUOTA_KIND) issues.push(...gpuQuotaIssues(spec));
  if (kind === MODEL_KIND) issues.push(...modelIssues(entity, spec));
  return issues;
}
