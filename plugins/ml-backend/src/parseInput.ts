import { InputError } from '@backstage/errors';
import { z } from 'zod';

/**
 * Validates API input (a body, query or path parameters) with a zod schema;
 * every problem goes into one 400 message naming its field, e.g.
 * `Invalid body: parameters.x: ...; limit: ...`.
 *
 * @internal
 */
export function parseInput<T>(
  schema: z.ZodType<T>,
  input: unknown,
  what: string,
): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues
      .map(i => `${i.path.join('.') || what}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${issues}`);
  }
  return result.data;
}
