import { z } from 'zod';

/**
 * Events of an MLflow model registry that change what the portal shows of a
 * Model (its versions, aliases or tags), as `entity.action` of MLflow's
 * webhook payload. Other events MLflow can send (prompts, budgets) are
 * answered but ignored.
 *
 * @public
 */
export const MLFLOW_REGISTRY_EVENTS = [
  'registered_model.created',
  'model_version.created',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
] as const;

/** One of {@link MLFLOW_REGISTRY_EVENTS}. @public */
export type MlflowRegistryEventName = (typeof MLFLOW_REGISTRY_EVENTS)[number];

/**
 * Body of an MLflow webhook delivery (MLflow ≥ 3.3,
 * `mlflow/webhooks/delivery.py`), as
 * `POST /api/ml/registry/webhooks/mlflow/:registry` takes it once its
 * signature is verified. Unknown fields are allowed: MLflow adds some
 * (`workspace`) and the `data` of each event differs.
 *
 * @public
 */
export const mlflowWebhookPayloadSchema = z.object({
  /** e.g. `model_version`, `model_version_alias`, `prompt`. */
  entity: z.string().regex(/^[a-z_]{1,64}$/, 'must be an MLflow entity name'),
  /** e.g. `created`, `deleted`, `set`. */
  action: z.string().regex(/^[a-z_]{1,64}$/, 'must be an MLflow action name'),
  /** ISO 8601, when MLflow sent it. */
  timestamp: z.string().max(64),
  data: z
    .object({
      /** The registered model (or prompt) name. */
      name: z
        .string()
        .regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/,
          'must be an MLflow registered model name',
        )
        .optional(),
      version: z
        .string()
        .regex(/^[0-9]{1,18}$/)
        .optional(),
      alias: z.string().max(256).optional(),
      key: z.string().max(256).optional(),
    })
    .passthrough(),
});

/** An MLflow webhook delivery's body, parsed. @public */
export type MlflowWebhookPayload = z.output<typeof mlflowWebhookPayloadSchema>;

/**
 * Answer of `POST /api/ml/registry/webhooks/mlflow/:registry`.
 *
 * @public
 */
export const registryEventResponseSchema = z.object({
  /** `entity.action` of the delivery, e.g. `model_version.created`. */
  event: z.string(),
  /** Why nothing was done (an event that changes no Model). */
  ignored: z.string().optional(),
  /** The registered model concerned. */
  model: z.string().optional(),
  /** The Models refreshed: their versions reloaded, the catalog asked to refresh them. */
  entities: z.array(
    z.object({
      entityRef: z.string(),
      /** False when the catalog refused or failed the refresh (versions are fresh either way). */
      refreshed: z.boolean(),
    }),
  ),
});

/** Answer of `POST /api/ml/registry/webhooks/mlflow/:registry`. @public */
export type RegistryEventResponse = z.output<
  typeof registryEventResponseSchema
>;

/**
 * Path parameters of `POST /api/ml/registry/webhooks/mlflow/:registry`.
 *
 * @public
 */
export const registryWebhookParamsSchema = z.object({
  /** The `name` of an `ml.registries` entry of type mlflow. */
  registry: z.string().min(1).max(253),
});
