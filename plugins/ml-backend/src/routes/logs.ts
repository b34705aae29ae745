import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  LogsTargetRef,
  PodLogsQuery,
  entityPathParamsSchema,
  logStoreQuerySchema,
  notebookPathSchema,
  podLogsQuerySchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { createInterface } from 'node:readline';
import { parseInput } from '../parseInput';
import { LogStoreService } from '../services/logs/LogStoreService';
import {
  PodLogsService,
  lineMatcher,
  parseTimestamped,
} from '../services/logs/PodLogsService';

/** @internal */
export interface LogsRouterOptions {
  httpAuth: HttpAuthService;
  podLogs: PodLogsService;
  logStore: LogStoreService;
}

const KINDS = [
  { path: 'models', kind: 'model' },
  { path: 'pipelines', kind: 'pipeline' },
] as const;

/**
 * The logs part of the ML backend's API (docs/logs.md), for Models,
 * Pipelines and notebooks: `.../logs/pods` (the pods), `.../logs` (one
 * container's lines as JSON; `follow=true` streams them as chunked
 * text/plain until the client leaves, `download=true` answers a text file)
 * and, for Models and Pipelines, `.../logs/store` (the central log store).
 * Reads with the user's credentials; `ml.logs.read` decides per namespace.
 *
 * @internal
 */
export async function createLogsRouter(
  options: LogsRouterOptions,
): Promise<express.Router> {
  const { httpAuth, podLogs, logStore } = options;
  const router = Router();

  const user = (req: express.Request) =>
    httpAuth.credentials(req, { allow: ['user'] });

  async function servePods(
    target: LogsTargetRef,
    req: express.Request,
    res: express.Response,
  ) {
    res.json(await podLogs.listPods(target, await user(req)));
  }

  async function serveLogs(
    target: LogsTargetRef,
    req: express.Request,
    res: express.Response,
  ) {
    const credentials = await user(req);
    const query = parseInput(podLogsQuerySchema, req.query, 'query');
    if (!query.follow && !query.download) {
      res.json(await podLogs.readLogs(target, query, credentials));
      return;
    }
    await streamText(target, query, credentials, res);
  }

  async function streamText(
    target: LogsTargetRef,
    query: PodLogsQuery,
    credentials: Awaited<ReturnType<typeof user>>,
    res: express.Response,
  ) {
    const follow = !!query.follow && !query.download;
    const resolved = await podLogs.resolve(target, query, credentials, {
      follow,
    });
    const abort = new AbortController();
    const stream = await podLogs.open(resolved, abort.signal);
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    // no-transform keeps the backend's compression middleware from
    // buffering a follow; proxies are asked not to buffer it either
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('X-Accel-Buffering', 'no');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    if (query.download) {
      const file = `${resolved.pod.name}-${resolved.container}.log`;
      res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
    } else {
      res.flushHeaders();
    }
    // The browser leaving ends the API server's follow too.
    res.on('close', () => abort.abort());
    const keep = lineMatcher(query.search);
    const endMs = query.end ? Date.parse(query.end) : undefined;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const raw of lines) {
        const line = parseTimestamped(raw);
        if (endMs !== undefined && line.time && Date.parse(line.time) > endMs)
          continue;
        if (!keep(line)) continue;
        res.write(
          query.download ? `${raw}\n` : `${line.time ?? ''} ${line.text}\n`,
        );
      }
    } catch {
      // The client left (the read was aborted) or the API server closed the
      // follow: either way the stream ends here; headers are long sent.
    }
    res.end();
  }

  for (const { path, kind } of KINDS) {
    const target = (req: express.Request): LogsTargetRef => ({
      kind,
      ...parseInput(entityPathParamsSchema, req.params, kind),
    });
    router.get(`/${path}/:namespace/:name/logs/pods`, (req, res) =>
      servePods(target(req), req, res),
    );
    router.get(`/${path}/:namespace/:name/logs`, (req, res) =>
      serveLogs(target(req), req, res),
    );
    router.get(`/${path}/:namespace/:name/logs/store`, async (req, res) => {
      const credentials = await user(req);
      const ref = parseInput(entityPathParamsSchema, req.params, kind);
      const query = parseInput(logStoreQuerySchema, req.query, 'query');
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      res.json(
        await logStore.query(
          { kind, ...ref },
          query,
          credentials,
          abort.signal,
        ),
      );
    });
  }

  const notebook = (req: express.Request): LogsTargetRef => ({
    kind: 'notebook',
    ...parseInput(notebookPathSchema, req.params, 'notebook'),
  });
  router.get('/notebooks/:cluster/:namespace/:name/logs/pods', (req, res) =>
    servePods(notebook(req), req, res),
  );
  router.get('/notebooks/:cluster/:namespace/:name/logs', (req, res) =>
    serveLogs(notebook(req), req, res),
  );

  return router;
}
