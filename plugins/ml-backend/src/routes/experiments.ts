import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  compareRunsQuerySchema,
  CompareRunsResponse,
  entityPathParamsSchema,
  experimentRunsQuerySchema,
  ExperimentRunsResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { sendCachedJson } from './cachedJson';
import { ExperimentsService } from '../services/experiments/ExperimentsService';

/** @internal */
export interface ExperimentsRouterOptions {
  httpAuth: HttpAuthService;
  experiments: ExperimentsService;
}

const KINDS = [
  { path: 'models', kind: 'model' },
  { path: 'pipelines', kind: 'pipeline' },
] as const;

/**
 * The experiments part of the ML backend's API, for Models and Pipelines
 * alike: `GET /:kind/:namespace/:name/experiment/runs` (filter, order,
 * limit) and `.../experiment/compare?runs=a,b[&metrics=loss]`. Reads only;
 * the entity is read with the caller's credentials.
 *
 * @internal
 */
export async function createExperimentsRouter(
  options: ExperimentsRouterOptions,
): Promise<express.Router> {
  const { httpAuth, experiments } = options;
  const router = Router();

  for (const { path, kind } of KINDS) {
    router.get(
      `/${path}/:namespace/:name/experiment/runs`,
      async (req, res) => {
        const credentials = await httpAuth.credentials(req, {
          allow: ['user', 'service'],
        });
        const ref = parseInput(entityPathParamsSchema, req.params, kind);
        const query = parseInput(experimentRunsQuerySchema, req.query, 'query');
        const body: ExperimentRunsResponse = await experiments.listRuns(
          { kind, ...ref },
          query,
          credentials,
        );
        res.json(body);
      },
    );

    router.get(
      `/${path}/:namespace/:name/experiment/compare`,
      async (req, res) => {
        const credentials = await httpAuth.credentials(req, {
          allow: ['user', 'service'],
        });
        const ref = parseInput(entityPathParamsSchema, req.params, kind);
        const query = parseInput(compareRunsQuerySchema, req.query, 'query');
        const body: CompareRunsResponse = await experiments.compareRuns(
          { kind, ...ref },
          query,
          credentials,
        );
        // Cached per window and large (histories): serialized once.
        sendCachedJson(req, res, body);
      },
    );
  }

  return router;
}
