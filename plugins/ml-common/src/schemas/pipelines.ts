import { z } from 'zod';
import { PARAMETER_NAME_PATTERN } from './patterns';

/**
 * Limits of the pipeline-runs API: runs listed (default and most), run
 * parameters per run and characters per parameter value.
 *
 * @public
 */
export const PIPELINE_RUNS_LIMITS = {
  defaultRuns: 20,
  maxRuns: 100,
  maxParameters: 100,
  maxParameterValueLength: 1000,
} as const;

/**
 * Query of `GET /api/ml/pipelines/:namespace/:name/runs`.
 *
 * @public
 */
export const pipelineRunsQuerySchema = z
  .object({
    /** Runs to list, 1-100; 20 when absent. */
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(PIPELINE_RUNS_LIMITS.maxRuns)
      .optional(),
  })
  .strict();

/** Query of `GET /api/ml/pipelines/:namespace/:name/runs`, parsed. @public */
export type PipelineRunsQuery = z.output<typeof pipelineRunsQuerySchema>;

/**
 * Run parameters: at most 100, names as every orchestrator accepts them
 * ({@link PARAMETER_NAME_PATTERN}), values strings of at most 1,000
 * characters.
 *
 * @public
 */
export const runParametersSchema = z
  .record(
    z.string(),
    z.string().max(PIPELINE_RUNS_LIMITS.maxParameterValueLength),
  )
  // Checked here rather than as the record's key schema: zod reports a
  // failed key as "Invalid key in record" and drops its message.
  .superRefine((p, ctx) => {
    for (const key of Object.keys(p)) {
      if (!PARAMETER_NAME_PATTERN.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}": parameter names are letters, digits, _ . -, starting with a letter or _`,
        });
      }
    }
    if (Object.keys(p).length > PIPELINE_RUNS_LIMITS.maxParameters) {
      ctx.addIssue({
        code: 'custom',
        message: `at most ${PIPELINE_RUNS_LIMITS.maxParameters} parameters`,
      });
    }
  });

/**
 * Body of `POST /api/ml/pipelines/:namespace/:name/runs`.
 *
 * @public
 */
export const startPipelineRunRequestSchema = z
  .object({
    /** Run parameters, e.g. `{"epochs": "10"}`. */
    parameters: runParametersSchema.optional(),
  })
  .strict();

/**
 * Body of `POST /api/ml/pipelines/:namespace/:name/runs`.
 *
 * @public
 */
export type StartPipelineRunRequest = z.infer<
  typeof startPipelineRunRequestSchema
>;
