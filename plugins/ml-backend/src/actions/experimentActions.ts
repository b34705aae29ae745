import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  compareRunsQuerySchema,
  CompareRunsResponse,
  EXPERIMENT_LIMITS,
  EXPERIMENT_RUN_STATUSES,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../parseInput';
import { ExperimentsService } from '../services/experiments/ExperimentsService';
import { modelOrPipelineEntity } from './refs';

const { minCompare, maxCompare, maxCompareMetrics } = EXPERIMENT_LIMITS;

/**
 * What an assistant can reason about: each metric's last, best and worst
 * value per run (the charts' full histories stay in the UI) and the
 * parameters that differ.
 */
function summarize(res: CompareRunsResponse) {
  return {
    entityRef: res.entityRef,
    experiment: { name: res.experiment.name, url: res.experiment.url },
    runs: res.runs.map(r => ({
      id: r.id,
      name: r.name,
      status: r.status,
      startedAt: r.startedAt,
      durationSeconds: r.durationSeconds,
      user: r.user,
      gitCommit: r.gitCommit,
      url: r.url,
      modelVersions: r.modelVersions.map(v => `${v.name} v${v.version}`),
    })),
    metrics: res.metrics.map(m => ({
      name: m.name,
      runs: Object.entries(m.histories).map(([runId, points]) => ({
        runId,
        steps: points.length,
        last: points[points.length - 1]?.value ?? null,
        min: points.length ? Math.min(...points.map(p => p.value)) : null,
        max: points.length ? Math.max(...points.map(p => p.value)) : null,
      })),
    })),
    differingParams: res.params
      .filter(p => p.differs)
      .map(p => ({
        name: p.name,
        values: Object.fromEntries(
          Object.entries(p.values).map(([id, v]) => [id, v ?? null]),
        ),
      })),
    sameParams: Object.fromEntries(
      res.params
        .filter(p => !p.differs)
        .map(p => [p.name, Object.values(p.values)[0] ?? null]),
    ),
  };
}

/**
 * `compare-runs`: ExperimentsService.compareRuns, as
 * `GET /{models,pipelines}/:namespace/:name/experiment/compare` calls it,
 * its input checked by the API's own query schema.
 */
export function registerExperimentActions(options: {
  actionsRegistry: ActionsRegistryService;
  experiments: ExperimentsService;
}) {
  const { actionsRegistry, experiments } = options;

  actionsRegistry.register({
    name: 'compare-runs',
    title: 'Compare experiment runs',
    description: [
      `Compares ${minCompare} to ${maxCompare} MLflow runs of the experiment a Model (or Pipeline) names in its`,
      'mlplatform.io/mlflow-experiment annotation: for each metric the last, lowest and highest value and the',
      'number of steps per run, the parameters that differ between the runs and those they share, with each',
      "run's status, user, git commit and link to MLflow. Run ids are MLflow's (32 hex digits), as the",
      'experiment runs card or MLflow shows them. Read-only.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            entity: z
              .string()
              .min(1)
              .max(300)
              .describe(
                'The Model: fraud-detector, default/fraud-detector or model:default/fraud-detector; a Pipeline as pipeline:default/fraud-training',
              ),
            runs: z
              .array(z.string().max(64))
              .describe(`${minCompare} to ${maxCompare} MLflow run ids`),
            metrics: z
              .array(z.string().max(250))
              .optional()
              .describe(
                `Metrics to compare, like ["val_loss"]; default every metric of the runs (at most ${maxCompareMetrics})`,
              ),
          })
          .strict(),
      output: z =>
        z.object({
          entityRef: z.string(),
          experiment: z.object({ name: z.string(), url: z.string() }),
          runs: z.array(
            z.object({
              id: z.string(),
              name: z.string().optional(),
              status: z.enum(EXPERIMENT_RUN_STATUSES),
              startedAt: z.string().optional(),
              durationSeconds: z.number().optional(),
              user: z.string().optional(),
              gitCommit: z.string().optional(),
              url: z.string(),
              modelVersions: z.array(z.string()),
            }),
          ),
          metrics: z.array(
            z.object({
              name: z.string(),
              runs: z.array(
                z.object({
                  runId: z.string(),
                  steps: z.number(),
                  last: z.number().nullable(),
                  min: z.number().nullable(),
                  max: z.number().nullable(),
                }),
              ),
            }),
          ),
          differingParams: z.array(
            z.object({
              name: z.string(),
              values: z.record(z.string().nullable()),
            }),
          ),
          sameParams: z.record(z.string().nullable()),
        }),
    },
    action: async ({ input, credentials }) => {
      // The HTTP API's query schema: the same limits and messages.
      const query = parseInput(
        compareRunsQuerySchema,
        {
          runs: input.runs.join(','),
          ...(input.metrics ? { metrics: input.metrics.join(',') } : {}),
        },
        'input',
      );
      const res = await experiments.compareRuns(
        modelOrPipelineEntity(input.entity),
        query,
        credentials,
      );
      return { output: summarize(res) };
    },
  });
}
