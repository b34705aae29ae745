import { z } from 'zod';
import { ENTITY_NAME_PATTERN } from './patterns';

/**
 * The `:namespace/:name` of an entity in an `/api/ml` path, e.g.
 * `/pipelines/:namespace/:name/runs`: both are entity names of at most 63
 * characters, so `..` or `%2F` can never reach the catalog.
 *
 * @public
 */
export const entityPathParamsSchema = z.object({
  namespace: z
    .string()
    .max(63)
    .regex(ENTITY_NAME_PATTERN, 'not an entity namespace'),
  name: z.string().max(63).regex(ENTITY_NAME_PATTERN, 'not an entity name'),
});

/** The `:namespace/:name` of an entity in an `/api/ml` path. @public */
export type EntityPathParams = z.infer<typeof entityPathParamsSchema>;
