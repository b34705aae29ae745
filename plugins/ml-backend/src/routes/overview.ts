import { HttpAuthService } from '@backstage/backend-plugin-api';
import { MlOverviewResponse } from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { OverviewService } from '../services/overview/OverviewService';
import { sendCachedJson } from './cachedJson';

/** @internal */
export interface OverviewRouterOptions {
  httpAuth: HttpAuthService;
  overview: OverviewService;
}

/**
 * `GET /overview`: the ML fleet at a glance (models by verdict, firing
 * alerts, failed or stuck pipeline runs, GPUs per team and cluster), as the
 * caller may see it. The answer is a caller's cached one, so it is sent
 * serialized, ETagged and gzipped once per cache window.
 *
 * @internal
 */
export async function createOverviewRouter(
  options: OverviewRouterOptions,
): Promise<express.Router> {
  const { httpAuth, overview } = options;
  const router = Router();
  router.get('/overview', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body: MlOverviewResponse = await overview.getOverview(credentials);
    sendCachedJson(req, res, body);
  });
  return router;
}
