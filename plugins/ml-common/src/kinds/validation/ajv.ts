import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import ajvErrors from 'ajv-errors';

let instance: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

// One instance for all kinds, created on first use so that importing the
// package in the browser costs nothing until something validates.
function getAjv(): Ajv {
  if (!instance) {
    instance = new Ajv({
      // Every problem at once: a user fixing YAML wants the full list.
      allErrors: true,
      // `data` and `parentSchema` on each error feed the readable messages.
      verbose: true,
      strict: true,
      allowUnionTypes: true,
    });
    // The schemas carry `errorMessage` for patterns; the catalog's own model
    // validator understands the same keyword, so both report the same text.
    ajvErrors(instance);
  }
  return instance;
}

/**
 * Validates `data` against `schema`, compiling it once.
 *
 * @returns the errors, empty when valid.
 */
export function runSchema(schema: object, data: unknown): ErrorObject[] {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = getAjv().compile(schema);
    compiled.set(schema, validate);
  }
  return validate(data) ? [] : [...(validate.errors ?? [])];
}
