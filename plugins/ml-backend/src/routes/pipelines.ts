import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  entityPathParamsSchema,
  pipelineRunsQuerySchema,
  PipelineRunsResponse,
  startPipelineRunRequestSchema,
  StartPipelineRunResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { PipelineRunsService } from '../services/pipelines/PipelineRunsService';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';

/** @internal */
export interface PipelinesRouterOptions {
  httpAuth: HttpAuthService;
  pipelineRuns: PipelineRunsService;
}

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
    const ref = parseInput(entityPathParamsSchema, req.params, 'pipeline');
    const { limit } = parseInput(pipelineRunsQuerySchema, req.query, 'query');
    const body: PipelineRunsResponse = await pipelineRuns.listRuns({
      pipelineRef: { kind: 'pipeline', ...ref },
      credentials,
      limit,
    });
    res.json(body);
  });

  router.post('/pipelines/:namespace/:name/runs', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const ref = parseInput(entityPathParamsSchema, req.params, 'pipeline');
    const { parameters } = parseInput(
      startPipelineRunRequestSchema,
      req.body ?? {},
      'body',
    );
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
