import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  IdleNotebooksResponse,
  idleNotebooksQuerySchema,
  idlePolicyRequestSchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { IdleNotebooks } from '../services/kubernetes/IdleNotebooks';
import { IdlePolicyOptOut } from '../services/kubernetes/IdlePolicy';
import {
  notebookCaller,
  parseNotebookParams,
} from '../services/kubernetes/requests';

/** @internal */
export interface IdleNotebooksRouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  idle: IdleNotebooks;
  optOut: IdlePolicyOptOut;
}

/**
 * `GET /notebooks/idle` (notebooks holding idle GPUs, for My notebooks and
 * the GPU quota page) and `PUT /notebooks/:cluster/:namespace/:name/idle-policy`
 * (the owner's opt-out from the idle policy).
 *
 * @internal
 */
export async function createIdleNotebooksRouter(
  options: IdleNotebooksRouterOptions,
): Promise<express.Router> {
  const { httpAuth, userInfo, idle, optOut } = options;
  const router = Router();
  router.use(express.json());

  router.get('/notebooks/idle', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const query = parseInput(idleNotebooksQuerySchema, req.query, 'query');
    const self =
      credentials.principal.type === 'user'
        ? (credentials.principal as { userEntityRef: string }).userEntityRef
        : undefined;
    const body: IdleNotebooksResponse = await idle.list(query, self);
    res.json(body);
  });

  router.put(
    '/notebooks/:cluster/:namespace/:name/idle-policy',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const path = parseNotebookParams({
        cluster: req.params.cluster,
        namespace: req.params.namespace,
        name: req.params.name,
      });
      const body = parseInput(idlePolicyRequestSchema, req.body, 'idle policy');
      const caller = await notebookCaller(userInfo, credentials, req);
      await optOut.set(path, body, caller);
      res.status(204).end();
    },
  );

  router.use(databaseUnavailableErrors);
  return router;
}
