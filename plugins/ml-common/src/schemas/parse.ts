import { InputError } from '@backstage/errors';
import type { z } from 'zod';

/**
 * One problem with some input, by field path (`parameters.x`), as the
 * frontend forms show it next to the field.
 *
 * @public
 */
export interface MlInputIssue {
  path: string;
  message: string;
}

/**
 * Checks input against a schema of the ML API without throwing: the value
 * (with defaults applied) or the issues by field.
 *
 * @public
 */
export function checkMlInput<T>(
  schema: z.ZodType<T>,
  input: unknown,
): { success: true; data: T } | { success: false; issues: MlInputIssue[] } {
  const result = schema.safeParse(input);
  if (result.success) return { success: true, data: result.data };
  return {
    success: false,
    issues: result.error.issues.map(i => ({
      path: i.path.map(String).join('.'),
      message: i.message,
    })),
  };
}

/**
 * Validates input with a schema of the ML API; every problem goes into one
 * `InputError` naming its field, e.g. `Invalid body: parameters.x: ...;
 * limit: ...`. The backend routes, the MCP actions and the scaffolder
 * actions all refuse bad input with this message.
 *
 * @public
 */
export function parseMlInput<T>(
  schema: z.ZodType<T>,
  input: unknown,
  what: string,
): T {
  const result = checkMlInput(schema, input);
  if (!result.success) {
    const issues = result.issues
      .map(i => `${i.path || what}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${issues}`);
  }
  return result.data;
}
