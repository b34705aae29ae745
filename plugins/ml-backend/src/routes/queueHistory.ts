import { HttpAuthService } from '@backstage/backend-plugin-api';
import { queueHistoryQuerySchema } from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { QueueHistoryService } from '../services/queueWaits/QueueHistoryService';

/**
 * `GET /quotas/queue-history?cluster=&queue=&days=7`: one Kueue
 * ClusterQueue's GPU usage against nominal quota per flavor, pending
 * workloads, admissions and preemptions over the last days. It reads what
 * the GPU quota page shows, so it needs a signed-in caller like
 * `GET /quotas`.
 *
 * @internal
 */
export async function createQueueHistoryRouter(options: {
  httpAuth: HttpAuthService;
  history: QueueHistoryService;
}): Promise<express.Router> {
  const { httpAuth, history } = options;
  const router = Router();
  router.get('/quotas/queue-history', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const query = parseInput(queueHistoryQuerySchema, req.query, 'query');
    res.json(await history.history(query));
  });
  return router;
}
