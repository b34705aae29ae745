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
  /**
   * A run's own TensorBoard: on the Kubeflow cluster of
   * `ml.tensorboard.kubeflow`, or a local process with `ml.tensorboard.local`.
   */
  perRun?: Pick<KubeflowTensorBoards, 'start' | 'stop'>;
}

const NOT_CONFIGURED =
  'No TensorBoard is started per run: set ml.tensorboard.kubeflow (a Tensorboard on a Kubeflow cluster) or ml.tensorboard.local (a tensorboard process of the backend); docs/experiments.md, "TensorBoard"';

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
 * `ml.tensorboard.kubeflow` or as a local process (`ml.tensorboard.local`)
 * (201, or 200 when it existed), and `DELETE` stops it (204; its creator
 * only).
 *
 * @internal
 */
export async function createTensorBoardRouter(
  options: TensorBoardRouterOptions,
): Promise<express.Router> {
  const { httpAuth, tensorboard, userInfo, perRun } = options;
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
        if (!perRun) throw new NotImplementedError(NOT_CONFIGURED);
        const body: RunTensorBoardLaunch = await perRun.start(
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
        if (!perRun) throw new NotImplementedError(NOT_CONFIGURED);
        await perRun.stop(
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
