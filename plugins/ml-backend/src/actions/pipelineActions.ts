import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  PIPELINE_RUNS_LIMITS,
  startPipelineRunRequestSchema,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../parseInput';
import { PipelineRunsService } from '../services/pipelines/PipelineRunsService';
import { entityParams, userCredentials } from './refs';

const { maxParameters, maxParameterValueLength } = PIPELINE_RUNS_LIMITS;

/**
 * `start-pipeline-run`: PipelineRunsService.startRun, as
 * `POST /pipelines/:namespace/:name/runs` calls it (`ml.pipeline.run`,
 * audited), its parameters checked by the API's own request schema.
 */
export function registerPipelineActions(options: {
  actionsRegistry: ActionsRegistryService;
  pipelineRuns: PipelineRunsService;
}) {
  const { actionsRegistry, pipelineRuns } = options;

  actionsRegistry.register({
    name: 'start-pipeline-run',
    title: 'Start pipeline run',
    description: [
      'Starts a run of an ML pipeline from the catalog (training, evaluation or batch inference) on its',
      'orchestrator (Kubernetes Job, Argo Workflows, Kubeflow Pipelines or Airflow), as the calling user,',
      'like the "Run now" button. The caller needs the ml.pipeline.run permission on the pipeline (by default:',
      'membership of its owning team); a refusal starts nothing. Every attempt is audited.',
      'Returns the new run: its id, status and links to logs / the orchestrator UI.',
    ].join(' '),
    attributes: { destructive: false, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z
          .object({
            pipeline: z
              .string()
              .min(1)
              .max(300)
              .describe(
                'The Pipeline: name (fraud-detector-training) or entity ref (pipeline:default/fraud-detector-training)',
              ),
            parameters: z
              .record(z.string().max(maxParameterValueLength))
              .optional()
              .describe(
                `Run parameters as strings, at most ${maxParameters}, e.g. {"epochs": "10"}; names are letters, digits, _ . -`,
              ),
          })
          .strict(),
      output: z =>
        z.object({
          pipelineRef: z.string(),
          run: z.object({
            id: z.string(),
            name: z.string().optional(),
            status: z.enum([
              'pending',
              'running',
              'succeeded',
              'failed',
              'cancelled',
              'unknown',
            ]),
            rawStatus: z.string().optional(),
            message: z.string().optional(),
            createdAt: z.string().optional(),
            startedAt: z.string().optional(),
            finishedAt: z.string().optional(),
            durationSeconds: z.number().optional(),
            trigger: z.object({
              type: z.enum(['schedule', 'manual', 'alert', 'unknown']),
              by: z.string().optional(),
            }),
            parameters: z.record(z.string()),
            producedModelVersion: z.string().optional(),
            datasetDigests: z.array(z.string()).optional(),
            logsUrl: z.string().optional(),
            uiUrl: z.string().optional(),
            tensorboardUrl: z.string().optional(),
          }),
        }),
    },
    action: async ({ input, credentials }) => {
      const user = userCredentials(credentials, 'start-pipeline-run');
      // The HTTP API's body schema: the same rules and the same message.
      const { parameters } = parseInput(
        startPipelineRunRequestSchema,
        input.parameters ? { parameters: input.parameters } : {},
        'body',
      );
      const { pipelineRef, run } = await pipelineRuns.startRun({
        pipelineRef: {
          kind: 'pipeline',
          ...entityParams(input.pipeline, 'pipeline'),
        },
        parameters,
        credentials: user,
        trigger: { type: 'manual' },
      });
      return { output: { pipelineRef, run } };
    },
  });
}
