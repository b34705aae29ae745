import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  MAX_SERVING_REPLICAS,
  MODEL_SERVING_RUNTIMES,
  modelDeploymentRequestSchema,
  modelRolloutRequestSchema,
} from '@mlplatform/plugin-ml-common';
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
 * `get-model-serving`, `rollout-model` and `deploy-model`: the answers of
 * `GET /models/:namespace/:name/serving`,
 * `POST /models/:namespace/:name/rollout` and
 * `POST /models/:namespace/:name/deployments`, through the same
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

  actionsRegistry.register({
    name: 'deploy-model',
    title: 'Deploy a model version',
    description: [
      'Serves one registry version of an ML model in a team namespace, as the "Deploy a model" template does:',
      'a KServe InferenceService where the cluster has KServe, else a Deployment + Service,',
      'each replica with `gpus` GPUs, scaled between minReplicas and maxReplicas;',
      'gpus x maxReplicas must fit the namespace quota (free + borrowable).',
      'Only members of the team that owns the namespace may, and every attempt is audited (ml.model.deploy).',
      'Use dryRun: true first to see the manifests and check the quota without applying anything;',
      'list-model-versions gives the versions and get-gpu-quota the team namespaces and their free GPUs.',
    ].join(' '),
    // It starts a server that spends the team's GPUs: ask before doing it.
    attributes: { destructive: true, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z
          .object({
            model: z.string().min(1).max(300).describe(MODEL_DESCRIPTION),
            // Checked by the HTTP API's own body schema in `action`.
            cluster: z.string().describe('Cluster to serve on'),
            namespace: z.string().describe("The team's Kubernetes namespace"),
            name: z
              .string()
              .describe(
                'Name of the InferenceService or Deployment (DNS label, at most 45 characters)',
              ),
            version: z
              .string()
              .describe('The registry version to serve, e.g. v3 or 7'),
            runtime: z
              .enum(MODEL_SERVING_RUNTIMES)
              .optional()
              .describe('kserve-v2 (default) or vllm-openai for LLMs'),
            gpus: z.number().describe('GPUs per replica, 0 for CPU only'),
            gpuResource: z
              .string()
              .optional()
              .describe('nvidia.com/gpu (default) or nvidia.com/mig-<profile>'),
            flavor: z.string().optional().describe('Kueue ResourceFlavor'),
            minReplicas: z.number().optional().describe('Default 1'),
            maxReplicas: z
              .number()
              .optional()
              .describe(`Default 1, at most ${MAX_SERVING_REPLICAS}`),
            dryRun: z
              .boolean()
              .optional()
              .describe('Check and build the manifests, apply nothing'),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          dryRun: z.boolean(),
          cluster: z.string(),
          namespace: z.string(),
          name: z.string(),
          kind: z.enum(['InferenceService', 'Deployment']),
          version: z.string(),
          storageUri: z.string(),
          gpus: z.object({
            perReplica: z.number(),
            total: z.number(),
            resource: z.string(),
          }),
          manifests: z.array(z.record(z.string(), z.unknown())),
          place: place(z).optional(),
        }),
    },
    action: async ({ input, credentials }) => {
      const user = userCredentials(credentials, 'deploy-model');
      const { model, ...body } = input;
      return {
        output: await serving.deployments.deploy({
          model: entityParams(model, 'model'),
          request: parseInput(modelDeploymentRequestSchema, body, 'body'),
          credentials: user,
        }),
      };
    },
  });
}
