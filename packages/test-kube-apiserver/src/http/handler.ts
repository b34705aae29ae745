/*
 * The request pipeline: log the request, inject a fault, authenticate,
 * serve the non-resource paths, then send a resource request to the handler
 * of its method. Errors thrown on the way become Status responses.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Cluster } from '../cluster';
import { statusBody, StatusError, errors } from '../status';
import { KubeFault, KubeRequestRecord } from '../api';
import { TokenUser, authenticate } from './auth';
import { resourceRequest } from './context';
import { serveNonResource } from './discovery';
import { injectFault } from './faults';
import { getCollection } from './list';
import { getPodLog } from './logs';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  replaceObject,
} from './objects';
import { patchObject } from './patch';
import { describeRequest, route } from './route';
import { KueueVisibilityMode, serveVisibility } from './visibility';
import { send, sendError } from './wire';

/** What the handler serves and where it reports. */
export interface HandlerOptions {
  cluster: Cluster;
  tokens: Map<string, TokenUser>;
  gitVersion: string;
  /** host:port the server listens on. */
  address(): string;
  /** The request log every request is appended to. */
  requests: KubeRequestRecord[];
  /** The fault in force, if any. */
  fault(): KubeFault | null;
  /** Open watch responses. */
  watches: Set<ServerResponse>;
  /** Whether Kueue's visibility API is served, absent or refused. */
  kueueVisibility(): KueueVisibilityMode;
}

/** The https server's request listener. */
export function createRequestHandler(
  opts: HandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(opts, req, res).catch(err => sendError(res, err));
  };
}

async function handle(
  opts: HandlerOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { cluster } = opts;
  const url = new URL(req.url ?? '/', 'https://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const query = Object.fromEntries(url.searchParams.entries());
  const record: KubeRequestRecord = {
    method,
    path: url.pathname,
    query,
    status: 0,
  };
  const r = route(cluster, url.pathname);
  if (r && r !== 'discovery') describeRequest(record, r, method, query);
  opts.requests.push(record);
  res.on('finish', () => {
    record.status = res.statusCode;
  });
  const origWriteHead = res.writeHead.bind(res);
  (res as any).writeHead = (code: number, ...args: any[]) => {
    record.status = code;
    return origWriteHead(code, ...args);
  };

  if (await injectFault(opts.fault(), res, { method, path: url.pathname }))
    return;

  const user = authenticate(opts.tokens, req, url.pathname);
  record.user = user?.user;

  if (
    serveVisibility(
      {
        cluster,
        mode: opts.kueueVisibility(),
        user: user?.user,
        can: user?.can,
        record,
      },
      res,
      method,
      url.pathname,
      query,
    )
  )
    return;
  const accept = String(req.headers.accept ?? '');
  if (serveNonResource(opts, res, url.pathname, accept, r === 'discovery'))
    return;
  if (!r || r === 'discovery') {
    send(res, 404, errors.pageNotFound().status);
    return;
  }
  const rr = resourceRequest({
    cluster,
    req,
    res,
    route: r,
    query,
    accept,
    record,
    // only the public paths, served above, are open without a user
    user: user!,
    watches: opts.watches,
  });

  if (r.subresource === 'log') {
    if (method !== 'GET')
      throw errors.methodNotSupported(rr.target, method.toLowerCase());
    getPodLog(rr);
  } else if (method === 'GET' && !r.name) getCollection(rr);
  else if (method === 'GET') getObject(rr);
  else if (method === 'POST' && !r.name) await createObject(rr);
  else if (method === 'PUT' && r.name) await replaceObject(rr);
  else if (method === 'PATCH' && r.name) await patchObject(rr);
  else if (method === 'DELETE' && r.name) await deleteObject(rr);
  else if (method === 'DELETE') deleteCollection(rr);
  else
    throw new StatusError(
      statusBody(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      ),
    );
}
