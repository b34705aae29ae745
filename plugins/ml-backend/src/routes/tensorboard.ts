import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  experimentRunParamsSchema,
  runTensorBoardQuerySchema,
  RunTensorBoardResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { TensorBoardService } from '../services/tensorboard/TensorBoardService';

/** @internal */
export interface TensorBoardRouterOptions {
  httpAuth: HttpAuthService;
  tensorboard: TensorBoardService;
}

const KINDS = [
  { path: 'models', kind: 'model' },
  { path: 'pipelines', kind: 'pipeline' },
] as const;

/**
 * A run's TensorBoard, for Models and Pipelines alike:
 * `GET /:kind/:namespace/:name/experiment/runs/:runId/tensorboard[?tags=loss,val/auc]`,
 * the run's scalar series and the link that opens TensorBoard on it. Reads
 * only; the entity is read with the caller's credentials.
 *
 * @internal
 */
export async function createTensorBoardRouter(
  options: TensorBoardRouterOptions,
): Promise<express.Router> {
  const { httpAuth, tensorboard } = options;
  const router = Router();

  for (const { path, kind } of KINDS) {
    router.get(
      `/${path}/:namespace/:name/experiment/runs/:runId/tensorboard`,
      async (req, res) => {
        const credentials = await httpAuth.credentials(req, {
          allow: ['user', 'service'],
        });
        const { runId, ...ref } = parseInput(
          experimentRunParamsSchema,
          req.params,
          kind,
        );
        const query = parseInput(runTensorBoardQuerySchema, req.query, 'query');
        const body: RunTensorBoardResponse = await tensorboard.runScalars(
          { kind, ...ref },
          runId,
          query,
          credentials,
        );
        res.json(body);
      },
    );
  }

  return router;
}
