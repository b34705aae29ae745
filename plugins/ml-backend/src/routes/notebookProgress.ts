import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { NotebookService } from '../services/kubernetes/NotebookService';
import {
  notebookCaller,
  parseNotebookParams,
} from '../services/kubernetes/requests';
import { NotebookServiceWithJupyterHub } from '../services/jupyterhub/createNotebookService';

/** @internal */
export interface NotebookProgressRouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  notebookService: NotebookService;
}

/**
 * `GET /notebooks/:cluster/:namespace/:name/progress`: a JupyterHub
 * notebook's spawn progress as server-sent events (`data: {...}`, one
 * NotebookProgressEvent each), ending after the ready or failed event. The
 * first event is read before answering, so a refusal (403), an unknown
 * notebook (404) or a JupyterHub that is down (503) is an ordinary error
 * response; a failure later in the stream is a last `failed` event.
 *
 * @internal
 */
export async function createNotebookProgressRouter(
  options: NotebookProgressRouterOptions,
): Promise<express.Router> {
  const { httpAuth, userInfo, notebookService } = options;
  const router = Router();

  router.get(
    '/notebooks/:cluster/:namespace/:name/progress',
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, { allow: ['user'] });
      const who = await notebookCaller(userInfo, credentials, req);
      const { cluster, namespace, name } = parseNotebookParams(req.params);
      if (!(notebookService instanceof NotebookServiceWithJupyterHub)) {
        throw new NotFoundError(
          'spawn progress is streamed for JupyterHub notebooks; ml.jupyterhub is not configured',
        );
      }
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const events = notebookService.progress(
        cluster,
        namespace,
        name,
        who,
        abort.signal,
      );
      const first = await events.next();
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-cache, no-transform',
        // Reverse proxies (nginx) would hold the events back otherwise.
        'X-Accel-Buffering': 'no',
      });
      const send = (event: object) =>
        res.write(`data: ${JSON.stringify(event)}\n\n`);
      try {
        if (!first.done) send(first.value);
        for await (const event of events) {
          send(event);
        }
      } catch (e) {
        send({ failed: true, message: (e as Error).message });
      }
      res.end();
    },
  );

  return router;
}
