import { InputError } from '@backstage/errors';
import { z } from 'zod';
import { checkMlInput } from './parse';

/**
 * A PromQL range duration of one unit: `30s`, `5m`, `1h`, `7d`, `2w`.
 *
 * @public
 */
export const DURATION_PATTERN = /^(\d{1,7})([smhdw])$/;

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/**
 * The seconds of a {@link DURATION_PATTERN} duration, `undefined` for any
 * other text.
 *
 * @public
 */
export function durationSeconds(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2]] : undefined;
}

/**
 * The windows of the health API: `5m` to `7d`, `1h` when absent, and the
 * ones the health card offers.
 *
 * @public
 */
export const HEALTH_WINDOW_LIMITS = {
  default: '1h',
  minSeconds: 5 * 60,
  maxSeconds: 7 * 86400,
  choices: ['15m', '1h', '6h', '24h', '7d'],
} as const;

/**
 * A health window, parsed: the text as requested (`1h`), which answers echo,
 * and its length.
 *
 * @public
 */
export interface HealthWindow {
  text: string;
  seconds: number;
}

/**
 * The window of the health API (`5m` to `7d`), parsed to a
 * {@link HealthWindow}.
 *
 * @public
 */
export const healthWindowSchema = z
  .string()
  .transform((text, ctx): HealthWindow => {
    const seconds = durationSeconds(text);
    if (seconds === undefined || seconds <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration like 5m, 1h or 7d; got ${JSON.stringify(
          text,
        )}`,
      });
      return z.NEVER;
    }
    if (
      seconds < HEALTH_WINDOW_LIMITS.minSeconds ||
      seconds > HEALTH_WINDOW_LIMITS.maxSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between 5m and 7d, got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return { text, seconds };
  });

/**
 * Query of `GET /api/ml/models/:namespace/:name/health`. The window's text is
 * checked here for shape; {@link parseHealthWindow} then reads it.
 *
 * @public
 */
export const modelHealthQuerySchema = z
  .object({
    /** How far back to look, `5m` to `7d`; `1h` when absent. */
    window: z.string().max(16).optional(),
  })
  .strict();

/** Query of `GET /api/ml/models/:namespace/:name/health`, parsed. @public */
export type ModelHealthQuery = z.output<typeof modelHealthQuerySchema>;

/**
 * Reads a health window with {@link healthWindowSchema}, `1h` when absent.
 * Both the HTTP route and the MCP action parse it here, once, and pass the
 * result down.
 *
 * @throws InputError `Invalid window: ...` for anything but `5m` to `7d`.
 * @public
 */
export function parseHealthWindow(
  text: string = HEALTH_WINDOW_LIMITS.default,
): HealthWindow {
  const result = checkMlInput(healthWindowSchema, text);
  if (!result.success) {
    // One issue at most, about the value itself: `Invalid window: <why>`
    // reads better than parseMlInput's `Invalid window: window: <why>`.
    throw new InputError(`Invalid window: ${result.issues[0].message}`);
  }
  return result.data;
}
