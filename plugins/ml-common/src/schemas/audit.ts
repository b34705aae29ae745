import { z } from 'zod';

const ISO_INSTANT =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

const isoInstant = (what: string) =>
  z
    .string()
    .max(64)
    .refine(
      v => ISO_INSTANT.test(v) && !Number.isNaN(Date.parse(v)),
      `${what} must be an ISO 8601 date or date-time with zone, such as 2026-11-23T10:00:00Z`,
    )
    .transform(v => new Date(v));

/**
 * Query of `GET /api/ml/audit` (see `MlAuditQuery`); the instants are parsed
 * into `Date`s.
 *
 * @public
 */
export const mlAuditQuerySchema = z
  .object({
    entity: z.string().min(1).max(512).optional(),
    /** The older name of `entity`, kept for existing callers. */
    targetRef: z.string().min(1).max(512).optional(),
    actor: z.string().min(1).max(255).optional(),
    action: z
      .string()
      .max(64)
      .regex(
        /^[a-z]+(\.[a-z-]+)+$/,
        'must be an action such as ml.model.promote',
      )
      .optional(),
    outcome: z.enum(['succeeded', 'failed', 'refused']).optional(),
    from: isoInstant('from').optional(),
    to: isoInstant('to').optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine(q => !q.from || !q.to || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

/** Query of `GET /api/ml/audit` as the backend reads it. @public */
export type MlAuditFilter = z.output<typeof mlAuditQuerySchema>;
