import { ErrorObject } from 'ajv';

/**
 * One problem found in an entity: where, and what is wrong.
 *
 * @public
 */
export interface MlEntityValidationIssue {
  /**
   * The offending field as a property path, e.g. `spec.trainedOn[0]` or
   * `spec.limits.gpus["nvidia.com/gpu"]`; empty for the entity as a whole.
   */
  path: string;
  /** The reason, phrased to follow the path, e.g. `is required`. */
  message: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Joins property path segments the way a reader would write them in JS. */
export function joinPath(segments: ReadonlyArray<string | number>): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') {
      path += `[${segment}]`;
    } else if (IDENTIFIER.test(segment)) {
      path += path ? `.${segment}` : segment;
    } else {
      path += `[${JSON.stringify(segment)}]`;
    }
  }
  return path;
}

function pointerSegments(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map(raw => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map(s => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** Shows a rejected value briefly, so the reader can find it in the YAML. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    const short = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(short);
  }
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of fields',
  null: 'null',
};

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map(t => TYPE_NAMES[t] ?? t).join(' or ');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length];
}

function unknownFieldMessage(field: string, parentSchema: unknown): string {
  const known = Object.keys(
    (parentSchema as { properties?: object } | undefined)?.properties ?? {},
  );
  // A misspelt reference field would silently drop lineage, so point at the
  // field the author most likely meant.
  const lower = field.toLocaleLowerCase('en-US');
  const guess = known.find(
    k =>
      k.toLocaleLowerCase('en-US') === lower ||
      editDistance(k.toLocaleLowerCase('en-US'), lower) <= 2,
  );
  if (guess) return `is not a known field; did you mean ${guess}?`;
  return known.length
    ? `is not a known field (known fields: ${known.join(', ')})`
    : 'is not a known field';
}

function translate(error: ErrorObject): MlEntityValidationIssue {
  const segments = pointerSegments(error.instancePath);
  const got = ` (got ${describeValue(error.data)})`;
  const params = error.params as Record<string, any>;
  // Errors about a map key (propertyNames) point at the map; name the key.
  if (error.propertyName !== undefined) {
    const hint = (error.parentSchema as { description?: string } | undefined)
      ?.description;
    return {
      path: joinPath([...segments, error.propertyName]),
      message: `is not a valid key${hint ? `: expected ${hint}` : ''}`,
    };
  }
  switch (error.keyword) {
    case 'required':
      return {
        path: joinPath([...segments, params.missingProperty]),
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        path: joinPath([...segments, params.additionalProperty]),
        message: unknownFieldMessage(
          params.additionalProperty,
          error.parentSchema,
        ),
      };
    case 'type':
      return {
        path: joinPath(segments),
        message: `must be ${typeName(params.type)}${got}`,
      };
    case 'enum':
      return {
        path: joinPath(segments),
        message: `must be one of ${params.allowedValues.join(', ')}${got}`,
      };
    case 'minLength':
      if (params.limit === 1) {
        return { path: joinPath(segments), message: 'must not be empty' };
      }
      break;
    case 'minProperties':
      if (params.limit === 1) {
        return { path: joinPath(segments), message: 'must not be empty' };
      }
      break;
    case 'minItems':
      return {
        path: joinPath(segments),
        message: `must list at least ${params.limit} item${
          params.limit === 1 ? '' : 's'
        }`,
      };
    case 'uniqueItems':
      return {
        path: joinPath(segments),
        message: `must not list the same entry twice (items ${Math.min(
          params.i,
          params.j,
        )} and ${Math.max(params.i, params.j)} are equal)`,
      };
    case 'errorMessage':
    case 'pattern':
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
    case 'maxLength':
      return { path: joinPath(segments), message: `${error.message}${got}` };
    default:
      break;
  }
  return { path: joinPath(segments), message: error.message ?? 'is invalid' };
}

/**
 * Turns ajv's errors into issues a person can act on.
 *
 * @returns one issue per problem, duplicates removed.
 */
export function issuesFromAjv(
  errors: ReadonlyArray<ErrorObject>,
): MlEntityValidationIssue[] {
  const issues: MlEntityValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // ajv reports a failed key twice: once for the key, once for the map.
    if (error.keyword === 'propertyNames') continue;
    const issue = translate(error);
    const key = `${issue.path}\0${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}
