import { z } from 'zod';
import { clusterName, dnsLabel } from './patterns';
import { MODEL_VERSION_REFERENCE_PATTERN } from './registry';

const percent = () =>
  z
    .number({ error: 'must be a whole number from 0 to 100' })
    .int('must be a whole number from 0 to 100')
    .min(0, 'must be from 0 to 100')
    .max(100, 'must be from 0 to 100');

const target = {
  /** Cluster of the InferenceService, as configured under ml.kubernetes.clusters. */
  cluster: clusterName(),
  namespace: dnsLabel(),
  /** The InferenceService's name. */
  name: dnsLabel(),
};

/**
 * Body of `POST /api/ml/models/:namespace/:name/rollout` (and the
 * `rollout-model` action): start a canary of `version` taking `percent` of
 * the traffic, promote the canary to 100 %, or roll back to the stable
 * version.
 *
 * @public
 */
export const modelRolloutRequestSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('canary'),
      ...target,
      /** A version of the Model in its registry, e.g. `v3` or `7`. */
      version: z
        .string()
        .regex(
          MODEL_VERSION_REFERENCE_PATTERN,
          'must be a tag, a version number or a sha256 digest, like v3, 7 or sha256:…',
        ),
      /** Share of the traffic the canary takes, 0-100. */
      percent: percent(),
    })
    .strict(),
  z.object({ action: z.literal('promote'), ...target }).strict(),
  z.object({ action: z.literal('rollback'), ...target }).strict(),
]);

/**
 * Body of `POST /api/ml/models/:namespace/:name/rollout`.
 *
 * @public
 */
export type ModelRolloutRequest = z.infer<typeof modelRolloutRequestSchema>;
