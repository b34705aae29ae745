import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotImplementedError } from '@backstage/errors';
import {
  experimentRunParamsSchema,
  runTensorBoardQuerySchema,
  RunTensorBoardLaunch,
  RunTensorBoardResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { notebookCaller } from '../services/kubernetes/requests';
import { KubeflowTensorBoards } from '../services/tensorboard/KubeflowTensorBoards';
import { TensorBoardService } from '../services/tensorboard/TensorBoardService';

/** @internal */
export interface TensorBoardRouterOptions {
  httpAuth: HttpAuthService;
  tensorboard: TensorBoardService;
  userInfo: UserInfoService;
  /** Set with `ml.tensorboard.kubeflow`. */
  kubeflow?: KubeflowTensorBoards;
}

const KINDS = [
  { path: 'models', kind: 'model' },
  { path: 'pipelines', kind: 'pipeline' },
] as const;

/**
 * A run's TensorBoard, for Models and Pipelines alike:
 * `GET /:kind/:namespace/:name/experiment/runs/:runId/tensorboard[?tags=loss,val/auc]`,
 * the run's scalar series and the link that opens TensorBoard on it (reads
 * only; the entity is read with the caller's credentials); `POST` on the
 * same path starts the run's own TensorBoard on the Kubeflow cluster of
 * `ml.tensorboard.kubeflow` (201, or 200 when it existed), and `DELETE`
 * stops it (204; its creator only).
 *
 * @internal
 */
export async function createTensorBoardRouter(
  options: TensorBoardRouterOptions,
): Promise<express.Router> {
  const { httpAuth, tensorboard, userInfo, kubeflow } = options;
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

    router.post(
      `/${path}/:namespace/:name/experiment/runs/:runId/tensorboard`,
      async (req, res) => {
        const credentials = await httpAuth.credentials(req, {
          allow: ['user'],
        });
        const { runId, ...ref } = parseInput(
          experimentRunParamsSchema,
          req.params,
          kind,
        );
        if (!kubeflow) {
          throw new NotImplementedError(
            'Starting a TensorBoard on a cluster is not configured: set ml.tensorboard.kubeflow (docs/experiments.md, "TensorBoard")',
          );
        }
        const body: RunTensorBoardLaunch = await kubeflow.start(
          { kind, ...ref },
          runId,
          await notebookCaller(userInfo, credentials, req),
        );
        res.status(body.created ? 201 : 200).json(body);
      },
    );

    router.delete(
      `/${path}/:namespace/:name/experiment/runs/:runId/tensorboard`,
      async (req, res) => {
        const credentials = await httpAuth.credentials(req, {
          allow: ['user'],
        });
        const { runId, ...ref } = parseInput(
          experimentRunParamsSchema,
          req.params,
          kind,
        );
        if (!kubeflow) {
          throw new NotImplementedError(
            'No TensorBoard is started per run: ml.tensorboard.kubeflow is not set (docs/experiments.md, "TensorBoard")',
          );
        }
        await kubeflow.stop(
          { kind, ...ref },
          runId,
          await notebookCaller(userInfo, credentials, req),
        );
        res.status(204).end();
      },
    );
  }

  return router;
}
