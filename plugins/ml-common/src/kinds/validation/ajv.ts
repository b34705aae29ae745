import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import ajvErrors from 'ajv-errors';

let instance: Ajv | undefined;

// ajv 8 honours `unicode: false` but calls the option deprecated on every
// instance it creates; that line is dropped, everything else goes to the
// console as with ajv's default logger.
/* eslint-disable no-console */
const quietAboutUnicode = {
  log: (...args: unknown[]) => console.log(...args),
  warn: (...args: unknown[]) => {
    if (!String(args[0]).startsWith('DEPRECATED: option unicode.')) {
      console.warn(...args);
    }
  },
  error: (...args: unknown[]) => console.error(...args),
};
/* eslint-enable no-console */
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
      // minLength / maxLength by String#length (UTF-16 code units), not by
      // code points: ajv's default walks every string it checks for them,
      // and the catalog runs this on every ML entity in every processing
      // cycle (a tenth of the processors' time at 100,000 entities). Each
      // maxLength of the kinds' schemas sits beside an ASCII-only pattern
      // except Pipeline's orchestrator id, so only an id with characters
      // outside the Basic Multilingual Plane counts longer.
      unicode: false,
      logger: quietAboutUnicode,
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
