import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  PipelineRunsResponse,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  MAX_PARAMETER_VALUE_LENGTH,
  MAX_PARAMETERS,
  PARAMETER_NAME,
  PipelineRunsService,
  RUNS_LIMIT,
} from '../services/pipelines/PipelineRunsService';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';

/** @internal */
export interface PipelinesRouterOptions {
  httpAuth: HttpAuthService;
  pipelineRuns: PipelineRunsService;
}

const NAME = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;

const refParams = z.object({
  namespace: z.string().max(63).regex(NAME, 'not an entity namespace'),
  name: z.string().max(63).regex(NAME, 'not an entity name'),
});

const runsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(RUNS_LIMIT.max).optional(),
  })
  .strict();

const startBody = z
  .object({
    parameters: z
      .record(z.string(), z.string().max(MAX_PARAMETER_VALUE_LENGTH))
      // Checked here rather than as the record's key schema: zod reports a
      // failed key as "Invalid key in record" and drops its message.
      .superRefine((p, ctx) => {
        for (const key of Object.keys(p)) {
          if (!PARAMETER_NAME.test(key)) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `"${key}": parameter names are letters, digits, _ . -, starting with a letter or _`,
            });
          }
        }
        if (Object.keys(p).length > MAX_PARAMETERS) {
          ctx.addIssue({
            code: 'custom',
            message: `at most ${MAX_PARAMETERS} parameters`,
          });
        }
      })
      .optional(),
  })
  .strict();

/**
 * The pipeline-runs part of the ML backend's API: a Pipeline's recent runs
 * and next scheduled time, and starting a run (`ml.pipeline.run`, audited).
 *
 * @internal
 */
export async function createPipelinesRouter(
  options: PipelinesRouterOptions,
): Promise<express.Router> {
  const { httpAuth, pipelineRuns } = options;
  const router = Router();
  router.use(express.json());

  router.get('/pipelines/:namespace/:name/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const ref = parseInput(refParams, req.params, 'pipeline');
    const { limit } = parseInput(runsQuery, req.query, 'query');
    const body: PipelineRunsResponse = await pipelineRuns.listRuns({
      pipelineRef: { kind: 'pipeline', ...ref },
      credentials,
      limit,
    });
    res.json(body);
  });

  router.post('/pipelines/:namespace/:name/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const ref = parseInput(refParams, req.params, 'pipeline');
    const { parameters } = parseInput(startBody, req.body ?? {}, 'body');
    const { run } = await pipelineRuns.startRun({
      pipelineRef: { kind: 'pipeline', ...ref },
      parameters,
      credentials,
      trigger: { type: 'manual' },
      request: req,
    });
    const body: StartPipelineRunResponse = { run };
    res.status(201).json(body);
  });

  // A database outage is a 503 that says so, not a bare 500.
  router.use(databaseUnavailableErrors);
  return router;
}
