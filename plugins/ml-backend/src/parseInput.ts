/**
 * API input validation: the same function (and message) as every other
 * caller of the ML API, from ml-common.
 *
 * @internal
 */
export { parseMlInput as parseInput } from '@mlplatform/plugin-ml-common';
