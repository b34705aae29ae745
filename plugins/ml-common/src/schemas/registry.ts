import { z } from 'zod';
import { MODEL_ALIAS_PATTERN } from '../registryApi';

/**
 * What a version may be called when an alias is moved to it: a tag, a
 * version number or a manifest digest. Checked before the permission check
 * and the audit trail: a version is put in registry URLs, so `../` or `?`
 * must never reach one.
 *
 * @public
 */
export const MODEL_VERSION_REFERENCE_PATTERN =
  /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$/;

/**
 * Body of `POST /api/ml/models/:namespace/:name/aliases` (promotion).
 *
 * @public
 */
export const promoteModelRequestSchema = z
  .object({
    /** The alias to move, e.g. `production`. */
    alias: z
      .string()
      .regex(
        MODEL_ALIAS_PATTERN,
        'must be 1-128 letters, digits, _ . or -, like production',
      ),
    /** The version it should point at, e.g. `v3`. */
    version: z
      .string()
      .regex(
        MODEL_VERSION_REFERENCE_PATTERN,
        'must be a tag, a version number or a sha256 digest, like v3, 7 or sha256:…',
      ),
  })
  .strict();

/**
 * Body of `POST /api/ml/models/:namespace/:name/aliases`.
 *
 * @public
 */
export type PromoteModelRequest = z.infer<typeof promoteModelRequestSchema>;
