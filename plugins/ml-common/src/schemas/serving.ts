import { z } from 'zod';
import { gpuRequestSchema } from './kubernetes';
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

/** Serving runtimes a deployment can ask for. @public */
export const MODEL_SERVING_RUNTIMES = ['kserve-v2', 'vllm-openai'] as const;

/** Most replicas one deployment may scale to. @public */
export const MAX_SERVING_REPLICAS = 32;

const replicas = (min: number) =>
  z
    .number({ error: `must be a whole number from ${min} to 32` })
    .int(`must be a whole number from ${min} to 32`)
    .min(min, `must be from ${min} to 32`)
    .max(MAX_SERVING_REPLICAS, `must be from ${min} to 32`);

const replicaFields = {
  minReplicas: replicas(0).default(1),
  maxReplicas: replicas(1).default(1),
};

const minNotAboveMax: [
  (b: { minReplicas: number; maxReplicas: number }) => boolean,
  { path: string[]; message: string },
] = [
  b => b.minReplicas <= b.maxReplicas,
  { path: ['minReplicas'], message: 'must not be more than maxReplicas' },
];

/**
 * The replica bounds of a deployment, alone: what the "Deploy a model" form
 * checks before it sends, with the request's rules and messages.
 *
 * @public
 */
export const modelReplicasSchema = z
  .object(replicaFields)
  .refine(...minNotAboveMax);

/**
 * Body of `POST /api/ml/models/:namespace/:name/deployments` (and the
 * `deploy-model` MCP action and the `ml:model:deploy` scaffolder action):
 * serve one registry version of the Model in a team's namespace, each
 * replica with `gpus` of `gpuResource`, scaled between `minReplicas` and
 * `maxReplicas`. The GPU fields are {@link gpuRequestSchema}'s, with the same
 * rules; the backend checks `gpus` × `maxReplicas` against the quota. With
 * `dryRun`, every check runs and the manifests are returned, nothing applied.
 *
 * @public
 */
export const modelDeploymentRequestSchema = z
  .object({
    ...gpuRequestSchema.shape,
    /**
     * The InferenceService (or Deployment) name: KServe derives longer names
     * from it, so at most 45 characters.
     */
    name: dnsLabel(45),
    /** A version of the Model in its registry, e.g. `v3` or `7`. */
    version: z
      .string()
      .regex(
        MODEL_VERSION_REFERENCE_PATTERN,
        'must be a tag, a version number or a sha256 digest, like v3, 7 or sha256:…',
      ),
    runtime: z
      .enum(MODEL_SERVING_RUNTIMES, {
        error: `must be one of ${MODEL_SERVING_RUNTIMES.join(', ')}`,
      })
      .default('kserve-v2'),
    ...replicaFields,
    dryRun: z.boolean().default(false),
  })
  .strict()
  .refine(...minNotAboveMax);

/**
 * Body of `POST /api/ml/models/:namespace/:name/deployments`, as a caller
 * writes it.
 *
 * @public
 */
export type ModelDeploymentRequest = z.input<
  typeof modelDeploymentRequestSchema
>;

/**
 * Body of `POST /api/ml/models/:namespace/:name/deployments`, parsed
 * (defaults applied).
 *
 * @public
 */
export type ParsedModelDeploymentRequest = z.output<
  typeof modelDeploymentRequestSchema
>;
