import {
  DEFAULT_NAMESPACE,
  Entity,
  KindValidator,
} from '@backstage/catalog-model';
import { ML_API_VERSION, ML_KINDS, MlKind } from '../constants';
import { ML_KIND_SCHEMAS } from '../schemas';
import { runSchema } from './ajv';
import { issuesFromAjv, MlEntityValidationIssue } from './issues';
import { ruleIssues } from './rules';

const KINDS: ReadonlySet<string> = new Set(ML_KINDS);

function canonicalKind(kind: unknown): MlKind | undefined {
  if (typeof kind !== 'string') return undefined;
  if (KINDS.has(kind)) return kind as MlKind;
  const lower = kind.toLocaleLowerCase('en-US');
  return ML_KINDS.find(k => k.toLocaleLowerCase('en-US') === lower);
}

/**
 * Validates an entity of one of the ML kinds against its JSON schema and the
 * rules a schema cannot express (reference kinds, cron values, fields that
 * depend on each other, annotation syntax).
 *
 * @returns every problem found, empty when the entity is valid.
 * @public
 */
export function validateMlEntity(entity: Entity): MlEntityValidationIssue[] {
  const kind = canonicalKind(entity.kind);
  if (!kind) {
    return [
      {
        path: 'kind',
        message: `must be one of ${ML_KINDS.join(', ')} (got ${JSON.stringify(
          entity.kind,
        )})`,
      },
    ];
  }
  const envelope: MlEntityValidationIssue[] = [];
  if (entity.kind !== kind) {
    envelope.push({
      path: 'kind',
      message: `must be spelt ${kind} (got ${JSON.stringify(entity.kind)})`,
    });
  }
  if (entity.apiVersion !== ML_API_VERSION) {
    // Checked here rather than by the schema so that the message says what
    // to write instead.
    return [
      ...envelope,
      {
        path: 'apiVersion',
        message: `must be ${ML_API_VERSION} for kind ${kind} (got ${JSON.stringify(
          entity.apiVersion,
        )})`,
      },
    ];
  }
  // The schema sees the canonical kind; a copy only when it differs.
  const errors = runSchema(
    ML_KIND_SCHEMAS[kind],
    entity.kind === kind ? entity : { ...entity, kind },
  );
  const rules = ruleIssues(entity, kind, errors.length === 0);
  if (!envelope.length && !errors.length) return rules;
  return [...envelope, ...issuesFromAjv(errors), ...rules];
}

/**
 * Names an entity the way error messages do: `Model "fraud-detector"`, with
 * the namespace when it is not the default one.
 *
 * @public
 */
export function describeEntity(entity: Entity): string {
  const namespace = entity.metadata?.namespace;
  const name =
    namespace && namespace !== DEFAULT_NAMESPACE
      ? `${namespace}/${entity.metadata?.name}`
      : entity.metadata?.name;
  return `${entity.kind} "${name}"`;
}

/**
 * Formats issues as one message that names the entity, each field and the
 * reason, e.g.
 * `Model "fraud-detector": spec.trainedOn[0] must be an entity reference like dataset:name (got "x:")`.
 *
 * @public
 */
export function formatMlEntityIssues(
  entity: Entity,
  issues: ReadonlyArray<MlEntityValidationIssue>,
): string {
  const reasons = issues.map(i =>
    i.path ? `${i.path} ${i.message}` : i.message,
  );
  return `${describeEntity(entity)}: ${reasons.join('; ')}`;
}

/**
 * Creates a catalog {@link @backstage/catalog-model#KindValidator} for one ML
 * kind: `check` answers false for other kinds, throws a TypeError with
 * {@link formatMlEntityIssues}' message for invalid entities, and answers true
 * otherwise.
 */
export function createMlKindValidator(kind: MlKind): KindValidator {
  return {
    async check(entity: Entity) {
      if (entity.apiVersion !== ML_API_VERSION || entity.kind !== kind) {
        return false;
      }
      const issues = validateMlEntity(entity);
      if (issues.length) {
        throw new TypeError(formatMlEntityIssues(entity, issues));
      }
      return true;
    },
  };
}
