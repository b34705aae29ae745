import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { modelRolloutRequestSchema } from '@mlplatform/plugin-ml-common';
import type { z as zod } from 'zod/v3';
import { parseInput } from '../parseInput';
import { readModel } from '../services/modelEntities';
import { ServingService } from '../services/serving/ServingService';
import { entityParams, userCredentials } from './refs';

const MODEL_DESCRIPTION =
  'The Model: its name (fraud-detector), namespace/name (default/fraud-detector) or entity ref (model:default/fraud-detector).';

const place = (z: typeof zod) =>
  z.object({
    cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    kind: z.enum(['InferenceService', 'Deployment']),
    url: z.string().optional(),
    internalUrl: z.string().optional(),
    version: z.string().optional(),
    ready: z.boolean(),
    reason: z.string().optional(),
    message: z.string().optional(),
    replicas: z.object({
      ready: z.number().optional(),
      desired: z.number().optional(),
      max: z.number().optional(),
    }),
    traffic: z.array(
      z.object({
        revision: z.string(),
        percent: z.number(),
        role: z.enum(['stable', 'canary']),
        version: z.string().optional(),
        health: z
          .object({
            verdict: z.enum(['healthy', 'degraded', 'failing', 'unknown']),
            reason: z.string().optional(),
            p95: z.number().nullable(),
            errorRate: z.number().nullable(),
            throughput: z.number().nullable(),
          })
          .optional()
          .describe(
            "During a canary: the revision's health from Prometheus over 15 minutes",
          ),
      }),
    ),
    canary: z
      .object({
        percent: z.number(),
        version: z.string().optional(),
        stableVersion: z.string().optional(),
      })
      .optional(),
  });

/**
 * `get-model-serving` and `rollout-model`: the answers of
 * `GET /models/:namespace/:name/serving` and
 * `POST /models/:namespace/:name/rollout`, through the same
 * {@link ServingService} (permission check and audit).
 */
export function registerServingActions(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  serving: ServingService;
}) {
  const { actionsRegistry, catalog, serving } = options;

  actionsRegistry.register({
    name: 'get-model-serving',
    title: 'Get model serving',
    description: [
      'Where an ML model serves: every KServe InferenceService and Deployment labelled for it across the clusters,',
      'with cluster, namespace, URL, the registry version each runs, ready or not (with the reason from its conditions),',
      'replicas and the traffic split between the stable and the canary version during a rollout,',
      "with each revision's health (verdict, error rate, latency p95 in seconds) from Prometheus while a canary runs.",
    ].join(' '),
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            model: z.string().min(1).max(300).describe(MODEL_DESCRIPTION),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          clusters: z.array(z.string()),
          places: z.array(place(z)),
          errors: z.array(
            z.object({
              cluster: z.string(),
              kind: z.string(),
              message: z.string(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const { entity, entityRef } = await readModel(
        catalog,
        entityParams(input.model, 'model'),
        credentials,
      );
      return { output: await serving.getServing(entity, entityRef) };
    },
  });

  actionsRegistry.register({
    name: 'rollout-model',
    title: 'Roll out a model version',
    description: [
      'Governed rollout of an ML model on a KServe InferenceService, as the Serving card does:',
      'action "canary" serves `version` (from the model registry) to `percent` (0-100) of the traffic beside the stable version;',
      '"promote" gives the canary all the traffic; "rollback" sends all the traffic back to the stable version.',
      'Only members of the team that owns the model may, and every attempt is audited (ml.model.rollout).',
      'Use get-model-serving first to find the cluster, namespace and name, and list-model-versions for the version.',
    ].join(' '),
    // It changes what serves production traffic: ask before doing it.
    attributes: { destructive: true, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z
          .object({
            model: z.string().min(1).max(300).describe(MODEL_DESCRIPTION),
            // Checked by the HTTP API's own body schema in `action`.
            action: z
              .enum(['canary', 'promote', 'rollback'])
              .describe('canary, promote or rollback'),
            cluster: z.string().describe('Cluster of the InferenceService'),
            namespace: z.string().describe('Its Kubernetes namespace'),
            name: z.string().describe('The InferenceService name'),
            version: z
              .string()
              .optional()
              .describe(
                'For canary: the registry version to roll out, e.g. v3 or 7',
              ),
            percent: z
              .number()
              .optional()
              .describe('For canary: share of the traffic, 0-100'),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          action: z.enum(['canary', 'promote', 'rollback']),
          place: place(z),
        }),
    },
    action: async ({ input, credentials }) => {
      const user = userCredentials(credentials, 'rollout-model');
      const { model, ...body } = input;
      return {
        output: await serving.rollout({
          model: entityParams(model, 'model'),
          request: parseInput(modelRolloutRequestSchema, body, 'body'),
          credentials: user,
        }),
      };
    },
  });
}
