import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import {
  NotebookCaller,
  NotebookService,
} from '../services/kubernetes/NotebookService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import {
  notebookCaller,
  parseCreateNotebookRequest,
  parseNotebookParams,
  parseQuotaFilter,
} from '../services/kubernetes/requests';
import { databaseUnavailableErrors } from '../database/unavailable';

/** @internal */
export interface KubernetesRouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  quotaService: QuotaService;
  notebookService: NotebookService;
}

/**
 * GPU quotas (`GET /quotas`) and notebooks (`/notebooks`, create / list /
 * stop / start / delete) on the configured Kubernetes clusters.
 *
 * @internal
 */
export async function createKubernetesRouter(
  options: KubernetesRouterOptions,
): Promise<express.Router> {
  const { httpAuth, userInfo, quotaService, notebookService } = options;
  const router = Router();
  router.use(express.json());

  async function caller(req: express.Request): Promise<NotebookCaller> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    return notebookCaller(userInfo, credentials, req);
  }

  router.get('/quotas', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(await quotaService.getQuotas(parseQuotaFilter(req.query)));
  });

  router.get('/notebooks', async (req, res) => {
    res.json(await notebookService.list(await caller(req)));
  });

  router.post('/notebooks', async (req, res) => {
    const who = await caller(req);
    const body = parseCreateNotebookRequest(req.body);
    res.status(201).json(await notebookService.create(body, who));
  });

  router.post(
    '/notebooks/:cluster/:namespace/:name/:action',
    async (req, res) => {
      const who = await caller(req);
      const { cluster, namespace, name } = parseNotebookParams(req.params);
      const action = req.params.action;
      if (action === 'stop') {
        await notebookService.stop(cluster, namespace, name, who);
      } else if (action === 'start') {
        await notebookService.start(cluster, namespace, name, who);
      } else {
        throw new InputError(
          `Invalid notebook action "${action}"; expected stop or start`,
        );
      }
      res.status(204).end();
    },
  );

  router.delete('/notebooks/:cluster/:namespace/:name', async (req, res) => {
    const who = await caller(req);
    const { cluster, namespace, name } = parseNotebookParams(req.params);
    await notebookService.delete(cluster, namespace, name, who);
    res.status(204).end();
  });

  router.use(databaseUnavailableErrors);
  return router;
}
