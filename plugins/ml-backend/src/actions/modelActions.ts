import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  HEALTH_WINDOW_LIMITS,
  MODEL_HEALTH_OBJECTIVE_NAMES,
  MODEL_HEALTH_SOURCE_STATES,
  MODEL_HEALTH_VERDICTS,
  modelHealthQuerySchema,
  parseHealthWindow,
  promoteModelRequestSchema,
} from '@mlplatform/plugin-ml-common';
import type { z as zod } from 'zod/v3';
import { parseInput } from '../parseInput';
import { listModelVersions, readModel } from '../services/modelEntities';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';
import { PromotionService } from '../services/registry/PromotionService';
import { RegistryService } from '../services/registry/RegistryService';
import { entityParams, userCredentials } from './refs';

const source = (z: typeof zod) =>
  z.object({
    state: z.enum(MODEL_HEALTH_SOURCE_STATES),
    message: z.string().optional(),
  });

const MODEL_DESCRIPTION =
  'The Model: its name (fraud-detector), namespace/name (default/fraud-detector) or entity ref (model:default/fraud-detector).';

/**
 * `get-model-health`, `list-model-versions` and `promote-model-version`: the
 * Model is read from the catalog with the caller's credentials, exactly as
 * the HTTP routes do, and promotion goes through the same
 * {@link PromotionService} (permission check and audit) as
 * `POST /models/:namespace/:name/aliases`.
 */
export function registerModelActions(options: {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  healthService: ModelHealthService;
  registryService: RegistryService;
  promotion: PromotionService;
}) {
  const { actionsRegistry, catalog, healthService, registryService } = options;
  const { promotion } = options;

  actionsRegistry.register({
    name: 'get-model-health',
    title: 'Get model health',
    description: [
      'Answers "is this model healthy?" for a deployed ML model in the catalog.',
      "Returns a verdict (healthy, degraded, failing or unknown) against the model's SLO objectives,",
      'the current latency p50/p95/p99 in milliseconds, error rate (0..1), throughput (requests per second),',
      'drift score, GPU utilisation (0..1), availability, and the Prometheus alerts firing for it.',
      'LLM servers (profile vllm) add time to first token and time per output token p95 (seconds), prompt and generated tokens per second,',
      'running and waiting requests and KV-cache use (0..1); embedding servers (profile tei) add the mean batch size.',
      'When the verdict is unknown, `reason` says why (e.g. Prometheus not configured or no traffic).',
      'Values cover the last `window` (default 1h). Chart series are left out; open the model page for charts.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            model: z.string().min(1).max(300).describe(MODEL_DESCRIPTION),
            // Checked by the HTTP API's own query schema in `action`.
            window: z
              .string()
              .optional()
              .describe(
                `How far back to look, like 15m, 1h, 6h, 1d or 7d (5m to 7d). Default ${HEALTH_WINDOW_LIMITS.default}.`,
              ),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          verdict: z.enum(MODEL_HEALTH_VERDICTS),
          reason: z.string().optional(),
          window: z.string(),
          profile: z.string().optional(),
          objectives: z.array(
            z.object({
              name: z.enum(MODEL_HEALTH_OBJECTIVE_NAMES),
              target: z.number(),
              bound: z.enum(['max', 'min']),
              actual: z.number().nullable(),
              status: z.enum(MODEL_HEALTH_VERDICTS),
            }),
          ),
          current: z.object({
            p50: z.number().nullable(),
            p95: z.number().nullable(),
            p99: z.number().nullable(),
            errorRate: z.number().nullable(),
            throughput: z.number().nullable(),
            drift: z.number().nullable(),
            gpuUtilization: z.number().nullable(),
            gpuMemoryBytes: z.number().nullable(),
            availability: z.number().nullable(),
            ttftP95: z.number().nullable(),
            tpotP95: z.number().nullable(),
            promptTokensPerSecond: z.number().nullable(),
            generationTokensPerSecond: z.number().nullable(),
            requestsRunning: z.number().nullable(),
            requestsWaiting: z.number().nullable(),
            kvCacheUsage: z.number().nullable(),
            batchSize: z.number().nullable(),
          }),
          panelErrors: z.record(z.string()).optional(),
          alerts: z.array(
            z.object({
              name: z.string(),
              severity: z.string(),
              summary: z.string().optional(),
              startsAt: z.string(),
              fingerprint: z.string(),
              generatorURL: z.string().optional(),
              labels: z.record(z.string()),
            }),
          ),
          prometheus: source(z),
          alertmanager: source(z),
          checkedAt: z.string(),
        }),
    },
    action: async ({ input, credentials }) => {
      // The HTTP API's query schema and window parser: the same rules and
      // the same messages as `GET /models/:namespace/:name/health`.
      const query = parseInput(
        modelHealthQuerySchema,
        input.window === undefined ? {} : { window: input.window },
        'query',
      );
      const window = parseHealthWindow(query.window);
      const { entity } = await readModel(
        catalog,
        entityParams(input.model, 'model'),
        credentials,
      );
      return { output: await healthService.getVerdict(entity, window) };
    },
  });

  actionsRegistry.register({
    name: 'list-model-versions',
    title: 'List model versions',
    description: [
      'Lists the versions of an ML model in its model registry (OCI registry or MLflow), newest first:',
      'version name, aliases such as production or staging pointing at it, evaluation metrics (e.g. auc),',
      'framework, the pipeline run that produced it, dataset digests, size and creation time.',
      'Use it to answer "which version is in production?" or "how does v3 compare to v2?".',
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
          registryRef: z.string(),
          registry: z.string(),
          versions: z.array(
            z.object({
              version: z.string(),
              digest: z.string().optional(),
              created: z.string().optional(),
              aliases: z.array(z.string()),
              metrics: z.record(z.number()),
              framework: z.string().optional(),
              sourceRun: z
                .object({ id: z.string(), url: z.string().optional() })
                .optional(),
              datasetDigests: z.array(z.string()),
              sizeBytes: z.number().optional(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => ({
      output: await listModelVersions(
        { catalog, registryService },
        entityParams(input.model, 'model'),
        credentials,
      ),
    }),
  });

  actionsRegistry.register({
    name: 'promote-model-version',
    title: 'Promote model version',
    description: [
      'Moves an alias of an ML model (production, staging, ...) to one of its versions in the model registry,',
      'as the "Promote" button on the model page does: only members of the team that owns the model may,',
      'and every attempt is audited (ml.model.promote). Returns the version the alias pointed at before.',
      'Use list-model-versions first to pick the version.',
    ].join(' '),
    // Repointing production changes what serves traffic: ask before doing it.
    // Moving an alias to where it already points changes nothing.
    attributes: { destructive: true, idempotent: true, readOnly: false },
    schema: {
      input: z =>
        z
          .object({
            model: z.string().min(1).max(300).describe(MODEL_DESCRIPTION),
            // Checked by the HTTP API's own body schema in `action`.
            alias: z
              .string()
              .describe('The alias to move, e.g. production or staging'),
            version: z
              .string()
              .describe(
                'The version it should point at: a tag (v3), a version number (7) or a sha256 digest',
              ),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          alias: z.string(),
          version: z.string(),
          previousVersion: z.string().optional(),
          digest: z.string().optional(),
        }),
    },
    action: async ({ input, credentials }) => {
      const user = userCredentials(credentials, 'promote-model-version');
      // The HTTP API's body schema: the same rules and the same message.
      const request = parseInput(
        promoteModelRequestSchema,
        { alias: input.alias, version: input.version },
        'body',
      );
      return {
        output: await promotion.promote({
          model: entityParams(input.model, 'model'),
          request,
          credentials: user,
        }),
      };
    },
  });
}
