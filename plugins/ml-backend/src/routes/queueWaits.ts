import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  gpuHoursCsv,
  gpuHoursQuerySchema,
  waitEstimateQuerySchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { GpuHoursService } from '../services/queueWaits/GpuHoursService';
import { WaitEstimateService } from '../services/queueWaits/WaitEstimateService';

/** @internal */
export interface QueueWaitsRouterOptions {
  httpAuth: HttpAuthService;
  waits: WaitEstimateService;
  gpuHours: GpuHoursService;
}

/**
 * `GET /quotas/wait-estimate`: when a Kueue workload of a given shape would
 * start, from recorded admissions; `GET /quotas/gpu-hours`: GPU-hours per
 * team, cluster and GPU type per day or week, as JSON or CSV (`format=csv`).
 * Both read what the GPU quota page shows, so they need a signed-in caller
 * like `GET /quotas`.
 *
 * @internal
 */
export async function createQueueWaitsRouter(
  options: QueueWaitsRouterOptions,
): Promise<express.Router> {
  const { httpAuth, waits, gpuHours } = options;
  const router = Router();

  router.get('/quotas/wait-estimate', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parseInput(waitEstimateQuerySchema, req.query, 'query');
    res.json(await waits.estimate(query));
  });

  router.get('/quotas/gpu-hours', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parseInput(gpuHoursQuerySchema, req.query, 'query');
    const body = await gpuHours.gpuHours(query);
    if (query.format === 'csv') {
      res
        .type('text/csv')
        .attachment(`gpu-hours-${body.from}-${body.to}-${body.granularity}.csv`)
        .send(gpuHoursCsv(body));
      return;
    }
    res.json(body);
  });

  router.use(databaseUnavailableErrors);
  return router;
}
