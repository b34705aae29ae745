/*
 * The HTTPS front: authentication, authorisation of read-only tokens, URL
 * routing to resources, lists with selectors and paging, watches, Table
 * output for kubectl, discovery, fault injection and the request log.
 */
import https from 'node:https';
import { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { Cluster, PatchType, clone } from './cluster';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch';
import {
  CrdGroup,
  RESOURCE_TYPES,
  ResourceType,
  apiVersionOf,
  splitApiVersion,
} from './resources';
import { StatusError, errors, statusBody as makeStatus } from './status';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import {
  AGGREGATED_V2,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from './discovery';
import { generateCerts } from './certs';
import { installQuota } from './quota';
import { installControllers } from './controllers';
import { crdObject } from './crds';
import { toTable } from './table';
import { openApiV2, openApiV3Root, openApiV3GroupVersion } from './openapi';
import { FieldValidation } from './validation';
import { StoreEvent, typeKey } from './store';

/** @public */
export interface KubeApiServerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (random). */
  port?: number;
  /** Admin bearer token; default random hex. */
  token?: string;
  /** Extra tokens, e.g. a read-only one for 403 tests. */
  tokens?: Record<string, { user: string; readOnly?: boolean }>;
  /** CRD groups served: default ['kueue', 'kubeflow', 'argo']; [] = plain cluster without those CRDs. */
  crds?: CrdGroup[];
  /**
   * Objects created at start (validated like any create; their status is then
   * written through /status before controllers see them). Objects of a known
   * custom resource whose CRD group is not served are skipped, so one seed
   * fits a cluster with and without that add-on.
   */
  seed?: object[];
  /** Run the tiny built-in controllers (default true). */
  controllers?: boolean;
  /** Kubernetes version reported by /version, default v1.32.0. */
  gitVersion?: string;
}

/** One request as the server saw it. @public */
export interface KubeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  verb?:
    | 'get'
    | 'list'
    | 'watch'
    | 'create'
    | 'update'
    | 'patch'
    | 'delete'
    | 'deletecollection';
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  status: number;
}

/** A fault every matching request answers with. @public */
export interface KubeFault {
  status?: number;
  delayMs?: number;
  match?: (r: { method: string; path: string }) => boolean;
}

/** A running stand-in API server. @public */
export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  token: string;
  /** PEM of the CA that signed the serving cert. */
  caPem: string;
  /** base64 of caPem (kubeconfig certificate-authority-data). */
  caData: string;
  /** Writes a kubeconfig for this server; returns its path. */
  writeKubeconfig(
    path: string,
    opts?: { token?: string; contextName?: string; namespace?: string },
  ): Promise<string>;
  /** Request log. */
  readonly requests: KubeRequestRecord[];
  resetRequests(): void;
  /** Creates an object, bypassing HTTP (still defaulted, validated and admitted). */
  create(obj: object): Promise<object>;
  /** Creates or replaces an object (like `kubectl apply` of a full object). */
  apply(obj: object): Promise<object>;
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): object | undefined;
  list(apiVersion: string, kind: string, namespace?: string): object[];
  /** Fault injection; null clears. */
  setFault(fault: KubeFault | null): void;
  stop(): Promise<void>;
}

const FAULT_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

interface Route {
  group: string;
  version: string;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(c: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: c.rv, start: c.start }),
  ).toString('base64');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const o = JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
    if (typeof o.rv !== 'number' || typeof o.start !== 'string')
      throw new Error();
    return { rv: o.rv, start: o.start };
  } catch {
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string, contentType: string): any {
  if (!text.trim())
    throw errors.badRequest('the body of the request was empty');
  try {
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (e: any) {
    throw errors.badRequest(
      `error decoding ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${
        e.message
      }`,
    );
  }
}

/** Builtin list items carry no apiVersion/kind; custom resources do. */
function listItem(t: ResourceType, o: any, present: (o: any) => any): any {
  const p = present(o);
  if (t.crd) return p;
  const { apiVersion, kind, ...rest } = p;
  return rest;
}

/** How a patch of `type` applies to a subresource (status, scale) of `t`. */
function patcherFor(
  type: PatchType,
  t: ResourceType,
): (doc: any, patch: any) => unknown {
  if (type === 'json') return jsonPatch;
  if (type === 'strategic' && !t.crd) return strategicMergePatch;
  return mergePatch;
}

/**
 * Starts the stand-in API server over HTTPS on a fresh CA.
 *
 * @public
 */
export async function startKubeApiServer(
  opts: KubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const adminToken = opts.token ?? randomBytes(16).toString('hex');
  const tokens = new Map<string, { user: string; readOnly?: boolean }>([
    [adminToken, { user: 'kubernetes-admin' }],
    ...Object.entries(opts.tokens ?? {}),
  ]);
  const crds = opts.crds ?? ['kueue', 'kubeflow', 'argo'];
  const gitVersion = opts.gitVersion ?? 'v1.32.0';
  const cluster = new Cluster(crds);
  installQuota(cluster);
  if (opts.controllers ?? true) installControllers(cluster);
  installCrdObjects(cluster);
  for (const ns of [
    'default',
    'kube-system',
    'kube-public',
    'kube-node-lease',
  ]) {
    cluster.create(
      cluster.types.find(t => t.kind === 'Namespace')!,
      'v1',
      undefined,
      { metadata: { name: ns } },
    );
  }

  const requests: KubeRequestRecord[] = [];
  let fault: KubeFault | null = null;
  const watches = new Set<ServerResponse>();

  const certs = await generateCerts(host);

  const byObject = (obj: any): [ResourceType, string] =>
    cluster.typeOf(obj?.apiVersion, obj?.kind);

  const createWithStatus = (obj: any, replace: boolean) => {
    const [t, version] = byObject(obj);
    const ns = t.namespaced ? obj.metadata?.namespace ?? 'default' : undefined;
    const existing = cluster.store.get(t, ns, obj.metadata?.name);
    let result: any;
    if (existing && replace) {
      const body = clone(obj);
      body.metadata = {
        ...body.metadata,
        resourceVersion: existing.metadata.resourceVersion,
      };
      result = cluster.update(t, version, ns, obj.metadata.name, body).object;
    } else {
      result = cluster.create(t, version, ns, obj, {
        allowResourceVersion: true,
      }).object;
    }
    if (obj.status !== undefined && t.subresources.includes('status')) {
      // fixtures carry the status a controller would have written
      result = cluster.update(
        t,
        version,
        ns,
        result.metadata.name,
        { ...result, status: obj.status },
        { status: true },
      ).object;
    }
    return cluster.present(t, version, result);
  };

  // one write, so controllers see the object with its status (a finished
  // Job from a fixture is not started again)
  const createDirect = (obj: any, replace: boolean) =>
    cluster.batch(() => createWithStatus(obj, replace));

  const disabled = RESOURCE_TYPES.filter(t => t.crd && !crds.includes(t.crd));
  const served = (obj: any) =>
    !disabled.some(
      t =>
        t.kind === obj?.kind &&
        t.group === splitApiVersion(obj?.apiVersion ?? '')[0],
    );
  for (const obj of opts.seed ?? []) {
    if (served(obj)) createDirect(obj, true);
  }

  const server = https.createServer(
    { key: certs.keyPem, cert: certs.certPem },
    (req, res) => {
      handle(req, res).catch(err => {
        const st =
          err instanceof StatusError
            ? err.status
            : makeStatus(
                500,
                'InternalError',
                `Internal error occurred: ${err?.message ?? err}`,
              );
        if (!res.headersSent) send(res, st.code, st);
        else res.end();
      });
    },
  );

  function send(
    res: ServerResponse,
    code: number,
    body: unknown,
    contentType = 'application/json',
  ) {
    const text = JSON.stringify(body);
    res.writeHead(code, {
      'Content-Type': contentType,
      'Cache-Control': 'no-cache, private',
      'Audit-Id': randomUUID(),
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  function route(pathname: string): Route | 'discovery' | undefined {
    const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 2) {
      group = '';
      version = segs[1];
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 3) {
      group = segs[1];
      version = segs[2];
      rest = segs.slice(3);
    } else return undefined;
    if (rest.length === 0) return 'discovery';
    let watchPath = false;
    if (rest[0] === 'watch') {
      watchPath = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    if (
      rest[0] === 'namespaces' &&
      rest.length >= 3 &&
      !['status', 'finalize'].includes(rest[2])
    ) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = cluster.typeFor(group, version, rest[0]);
    if (!type || rest.length > 3) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    const r: Route & { watch?: boolean } = {
      group,
      version,
      type,
      namespace,
      name: rest[1],
      subresource: rest[2],
    };
    if (
      r.subresource &&
      !(type.subresources as string[]).includes(r.subresource)
    )
      return undefined;
    if (watchPath) r.watch = true;
    return r;
  }

  function authorize(
    user: { user: string; readOnly?: boolean },
    verb: string,
    r: Route,
  ) {
    if (!user.readOnly || ['get', 'list', 'watch'].includes(verb)) return;
    const resource = r.subresource
      ? `${r.type.plural}/${r.subresource}`
      : r.type.plural;
    const scope =
      r.type.namespaced && r.namespace
        ? `in the namespace "${r.namespace}"`
        : 'at the cluster scope';
    throw errors.forbidden(
      { group: r.type.group, resource: r.type.plural, name: r.name },
      `User "${user.user}" cannot ${verb} resource "${resource}" in API group "${r.type.group}" ${scope}`,
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'https://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    const query = Object.fromEntries(url.searchParams.entries());
    const record: KubeRequestRecord = {
      method,
      path: url.pathname,
      query,
      status: 0,
    };
    const r0 = route(url.pathname);
    if (r0 && r0 !== 'discovery') {
      record.group = r0.group;
      record.version = r0.version;
      record.resource = r0.type.plural;
      record.namespace = r0.namespace;
      record.name = r0.name;
      record.subresource = r0.subresource;
      const isWatch =
        (r0 as any).watch || query.watch === '1' || query.watch === 'true';
      const verbs: Record<string, KubeRequestRecord['verb']> = {
        GET: r0.name ? 'get' : 'list',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: r0.name ? 'delete' : 'deletecollection',
      };
      record.verb =
        method === 'GET' && !r0.name && isWatch ? 'watch' : verbs[method];
    }
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const origWriteHead = res.writeHead.bind(res);
    (res as any).writeHead = (code: number, ...args: any[]) => {
      record.status = code;
      return origWriteHead(code, ...args);
    };

    if (
      fault &&
      (!fault.match || fault.match({ method, path: url.pathname }))
    ) {
      const f = fault;
      if (f.delayMs) {
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, f.delayMs);
          res.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (res.destroyed || res.writableEnded) return;
      }
      if (f.status) {
        const reason = FAULT_REASONS[f.status] ?? 'InternalError';
        send(
          res,
          f.status,
          makeStatus(f.status, reason, `injected fault: ${reason}`),
        );
        return;
      }
    }

    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    const user = m ? tokens.get(m[1].trim()) : undefined;
    const publicPath = ['/version', '/healthz', '/livez', '/readyz'].includes(
      url.pathname,
    );
    if (!user && !(publicPath && !m)) {
      send(res, 401, errors.unauthorized().status);
      return;
    }
    record.user = user?.user;

    const accept = String(req.headers.accept ?? '');
    if (url.pathname === '/version') {
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(gitVersion) ?? [];
      send(res, 200, {
        major,
        minor,
        gitVersion,
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-12-11T17:56:52Z',
        goVersion: 'go1.23.3',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
      return;
    }
    if (['/healthz', '/livez', '/readyz'].includes(url.pathname)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (url.pathname === '/api' || url.pathname === '/apis') {
      if (
        accept.includes('as=APIGroupDiscoveryList') &&
        accept.includes('v=v2')
      ) {
        send(
          res,
          200,
          aggregatedDiscovery(cluster.types, url.pathname === '/api'),
          AGGREGATED_V2,
        );
      } else if (url.pathname === '/api') {
        send(
          res,
          200,
          apiVersions(`${host}:${(server.address() as AddressInfo).port}`),
        );
      } else send(res, 200, apiGroupList(cluster.types));
      return;
    }
    if (url.pathname === '/openapi/v2') {
      send(res, 200, openApiV2(cluster.types));
      return;
    }
    if (url.pathname === '/openapi/v3') {
      send(res, 200, openApiV3Root(cluster.types));
      return;
    }
    if (url.pathname.startsWith('/openapi/v3/')) {
      const doc = openApiV3GroupVersion(
        cluster.types,
        url.pathname.slice('/openapi/v3/'.length),
      );
      if (doc) send(res, 200, doc);
      else send(res, 404, errors.pageNotFound().status);
      return;
    }
    const segs = url.pathname.split('/').filter(Boolean);
    if (segs[0] === 'apis' && segs.length === 2) {
      const g = apiGroup(cluster.types, segs[1]);
      if (g) send(res, 200, g);
      else send(res, 404, errors.pageNotFound().status);
      return;
    }
    if (r0 === 'discovery') {
      const [group, version] =
        segs[0] === 'api' ? ['', segs[1]] : [segs[1], segs[2]];
      const list = apiResourceList(cluster.types, group, version);
      if (list) send(res, 200, list);
      else send(res, 404, errors.pageNotFound().status);
      return;
    }
    if (!r0) {
      send(res, 404, errors.pageNotFound().status);
      return;
    }
    const r = r0 as Route & { watch?: boolean };
    const t = r.type;
    const present = (o: any) => cluster.presentForWire(t, r.version, o);
    const dryRun = query.dryRun === 'All';
    const fieldValidation = (query.fieldValidation ??
      'Warn') as FieldValidation;
    if (!['Strict', 'Warn', 'Ignore'].includes(fieldValidation)) {
      throw errors.badRequest(
        `fieldValidation invalid value: ${fieldValidation}, valid values are: Strict, Warn, Ignore`,
      );
    }
    const warn = (ws: string[]) => {
      if (ws.length)
        res.setHeader(
          'Warning',
          ws.map(w => `299 - ${JSON.stringify(w)}`),
        );
    };
    const target = { group: t.group, resource: t.plural, name: r.name };

    if (method === 'GET' && !r.name) {
      const isWatch = r.watch || query.watch === '1' || query.watch === 'true';
      record.verb = isWatch ? 'watch' : 'list';
      authorize(user!, record.verb, r);
      if (!t.verbs.includes(record.verb))
        throw errors.methodNotSupported(target, record.verb);
      const labelSel = parseLabelSelector(query.labelSelector ?? null);
      const fieldSel = parseFieldSelector(query.fieldSelector ?? null, t.kind);
      const matches = (o: any) =>
        labelSel(o.metadata?.labels) &&
        fieldSel(o) &&
        (!r.namespace || !t.namespaced || o.metadata.namespace === r.namespace);
      if (isWatch) {
        startWatch(req, res, r, matches, query);
        return;
      }
      let items = cluster.store.list(t, r.namespace).filter(matches);
      const limit = query.limit ? Number(query.limit) : 0;
      let cont: string | undefined;
      let remaining: number | undefined;
      let rv = cluster.store.resourceVersion;
      if (query.continue) {
        const c = decodeContinue(query.continue);
        rv = c.rv;
        items = items.filter(
          o => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > c.start,
        );
      }
      if (limit > 0 && items.length > limit) {
        const last = items[limit - 1];
        remaining = items.length - limit;
        items = items.slice(0, limit);
        cont = encodeContinue({
          rv,
          start: `${last.metadata.namespace ?? ''}/${last.metadata.name}`,
        });
      }
      const list = {
        kind: `${t.kind}List`,
        apiVersion: apiVersionOf(t, r.version),
        metadata: {
          resourceVersion: String(rv),
          ...(cont ? { continue: cont } : {}),
          ...(cont && !query.labelSelector && !query.fieldSelector
            ? { remainingItemCount: remaining }
            : {}),
        },
        items: items.map(o => listItem(t, o, present)),
      };
      if (/as=Table/.test(accept))
        send(
          res,
          200,
          toTable(
            t,
            r.version,
            items.map(present),
            list.metadata,
            query.includeObject,
          ),
        );
      else send(res, 200, list);
      return;
    }

    if (method === 'GET') {
      record.verb = 'get';
      authorize(user!, 'get', r);
      const o = cluster.get(t, r.namespace, r.name!);
      const body = r.subresource === 'scale' ? scaleOf(o) : present(o);
      if (/as=Table/.test(accept) && !r.subresource)
        send(
          res,
          200,
          toTable(
            t,
            r.version,
            [body],
            { resourceVersion: o.metadata.resourceVersion },
            query.includeObject,
          ),
        );
      else send(res, 200, body);
      return;
    }

    if (method === 'POST' && !r.name) {
      record.verb = 'create';
      authorize(user!, 'create', r);
      const body = parseBody(
        await readBody(req),
        String(req.headers['content-type'] ?? 'application/json'),
      );
      if (body?.metadata?.name) record.name = body.metadata.name;
      const auth2 = { ...r, name: undefined };
      authorize(user!, 'create', auth2);
      if (body?.apiVersion && body.apiVersion !== apiVersionOf(t, r.version)) {
        const [bg] = splitApiVersion(body.apiVersion);
        if (bg !== t.group)
          throw errors.badRequest(
            `the API version in the data (${
              body.apiVersion
            }) does not match the expected API version (${apiVersionOf(
              t,
              r.version,
            )})`,
          );
      }
      const result = cluster.create(t, r.version, r.namespace, body, {
        dryRun,
        fieldValidation,
      });
      warn(result.warnings);
      send(res, 201, present(result.object));
      return;
    }

    if (method === 'PUT' && r.name) {
      record.verb = 'update';
      authorize(user!, 'update', r);
      const body = parseBody(
        await readBody(req),
        String(req.headers['content-type'] ?? 'application/json'),
      );
      if (r.subresource === 'scale') {
        const o = cluster.get(t, r.namespace, r.name);
        const rv = body?.metadata?.resourceVersion;
        if (rv && rv !== o.metadata.resourceVersion)
          throw errors.conflict(target);
        const next = cluster.update(t, r.version, r.namespace, r.name, {
          ...o,
          spec: { ...o.spec, replicas: body?.spec?.replicas ?? 0 },
        });
        send(res, 200, scaleOf(next.object));
        return;
      }
      const result = cluster.update(t, r.version, r.namespace, r.name, body, {
        dryRun,
        fieldValidation,
        status: r.subresource === 'status',
      });
      warn(result.warnings);
      send(res, 200, present(result.object));
      return;
    }

    if (method === 'PATCH' && r.name) {
      record.verb = 'patch';
      authorize(user!, 'patch', r);
      const ct = String(req.headers['content-type'] ?? '')
        .split(';')[0]
        .trim();
      const types: Record<string, PatchType> = {
        'application/json-patch+json': 'json',
        'application/merge-patch+json': 'merge',
        'application/strategic-merge-patch+json': 'strategic',
        'application/apply-patch+yaml': 'apply',
        'application/apply-patch+cbor': 'apply',
      };
      const pt = types[ct];
      if (!pt) throw errors.notAcceptableType(ct);
      if (pt === 'apply' && !query.fieldManager) {
        throw errors.badRequest(
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      const body = parseBody(
        await readBody(req),
        pt === 'apply' ? 'yaml' : 'json',
      );
      if (r.subresource === 'scale') {
        const o = cluster.get(t, r.namespace, r.name);
        const scale = scaleOf(o);
        const patched: any = patcherFor(pt, t)(scale, body);
        const next = cluster.update(t, r.version, r.namespace, r.name, {
          ...o,
          spec: { ...o.spec, replicas: patched?.spec?.replicas ?? 0 },
        });
        send(res, 200, scaleOf(next.object));
        return;
      }
      if (r.subresource === 'status') {
        const o = present(cluster.get(t, r.namespace, r.name));
        const patched: any = patcherFor(pt, t)(o, body);
        const result = cluster.update(
          t,
          r.version,
          r.namespace,
          r.name,
          {
            ...patched,
            metadata: {
              ...patched.metadata,
              resourceVersion: body?.metadata?.resourceVersion,
            },
          },
          { dryRun, fieldValidation, status: true },
        );
        send(res, 200, present(result.object));
        return;
      }
      const existed = !!cluster.store.get(t, r.namespace, r.name);
      const result = cluster.patch(
        t,
        r.version,
        r.namespace,
        r.name,
        pt,
        body,
        { dryRun, fieldValidation, force: query.force === 'true' },
      );
      warn(result.warnings);
      send(res, existed ? 200 : 201, present(result.object));
      return;
    }

    if (method === 'DELETE' && r.name) {
      record.verb = 'delete';
      authorize(user!, 'delete', r);
      const text = await readBody(req);
      const delOpts = text.trim() ? parseBody(text, 'json') : {};
      const deleted = cluster.delete(t, r.namespace, r.name, {
        dryRun:
          dryRun ||
          (Array.isArray(delOpts.dryRun) && delOpts.dryRun.includes('All')),
        propagationPolicy: query.propagationPolicy ?? delOpts.propagationPolicy,
        preconditions: delOpts.preconditions,
      });
      send(res, 200, present(deleted));
      return;
    }

    if (method === 'DELETE') {
      record.verb = 'deletecollection';
      authorize(user!, 'deletecollection', r);
      if (!t.verbs.includes('deletecollection'))
        throw errors.methodNotSupported(target, 'deletecollection');
      const labelSel = parseLabelSelector(query.labelSelector ?? null);
      const fieldSel = parseFieldSelector(query.fieldSelector ?? null, t.kind);
      const victims = cluster.store
        .list(t, r.namespace)
        .filter(o => labelSel(o.metadata?.labels) && fieldSel(o));
      for (const o of victims) {
        if (cluster.store.get(t, o.metadata.namespace, o.metadata.name))
          cluster.delete(t, o.metadata.namespace, o.metadata.name, { dryRun });
      }
      send(res, 200, {
        kind: `${t.kind}List`,
        apiVersion: apiVersionOf(t, r.version),
        metadata: { resourceVersion: String(cluster.store.resourceVersion) },
        items: victims.map(o => listItem(t, o, present)),
      });
      return;
    }

    throw new StatusError(
      makeStatus(
        405,
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      ),
    );
  }

  function scaleOf(o: any) {
    const ml = o.spec?.selector?.matchLabels ?? {};
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: o.spec?.replicas ?? 0 },
      status: {
        replicas: o.status?.replicas ?? 0,
        selector: Object.entries(ml)
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
      },
    };
  }

  function startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    r: Route,
    matches: (o: any) => boolean,
    query: Record<string, string>,
  ) {
    const t = r.type;
    const present = (o: any) => cluster.presentForWire(t, r.version, o);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
      'Audit-Id': randomUUID(),
    });
    res.flushHeaders();
    watches.add(res);
    const write = (type: string, object: unknown) => {
      if (!res.writableEnded)
        res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const visible = new Set<string>();
    const key = (o: any) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const rvParam = query.resourceVersion;
    const current = cluster.store.list(t, r.namespace).filter(matches);
    for (const o of current) visible.add(key(o));
    const onEvent = (e: StoreEvent) => {
      if (e.resource !== t) return;
      const o = e.object;
      if (r.namespace && t.namespaced && o.metadata.namespace !== r.namespace)
        return;
      const k = key(o);
      const was = visible.has(k);
      const is = e.type !== 'DELETED' && matches(o);
      if (e.type === 'DELETED') {
        if (was || matches(o)) write('DELETED', present(o));
        visible.delete(k);
      } else if (is && !was) {
        visible.add(k);
        write('ADDED', present(o));
      } else if (is && was) write(e.type, present(o));
      else if (!is && was) {
        // an object that stops matching the selector leaves the watch as DELETED
        visible.delete(k);
        write('DELETED', present(o));
      }
    };
    let unsubscribe = () => {};
    if (!rvParam || rvParam === '0') {
      for (const o of current) write('ADDED', present(o));
      if (query.sendInitialEvents === 'true') {
        write('BOOKMARK', {
          kind: t.kind,
          apiVersion: apiVersionOf(t, r.version),
          metadata: {
            resourceVersion: String(cluster.store.resourceVersion),
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
      unsubscribe = cluster.store.subscribe(onEvent);
    } else {
      const from = Number(rvParam);
      const past = Number.isFinite(from)
        ? cluster.store.eventsSince(t, from)
        : undefined;
      if (!past) {
        write(
          'ERROR',
          makeStatus(
            410,
            'Expired',
            `too old resource version: ${rvParam} (${
              cluster.store.oldestResourceVersion + 1
            })`,
          ),
        );
        res.end();
        watches.delete(res);
        return;
      }
      // visibility at `from` is approximated by what matches now
      for (const e of past) onEvent(e);
      unsubscribe = cluster.store.subscribe(onEvent);
    }
    const timeout = query.timeoutSeconds ? Number(query.timeoutSeconds) : 0;
    const timer =
      timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    const cleanup = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      watches.delete(res);
    };
    res.on('close', cleanup);
    req.on('close', cleanup);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const caData = Buffer.from(certs.caPem).toString('base64');

  return {
    url,
    token: adminToken,
    caPem: certs.caPem,
    caData,
    requests,
    resetRequests() {
      requests.length = 0;
    },
    async writeKubeconfig(path, o = {}) {
      const ctx = o.contextName ?? 'test-kube-apiserver';
      const text = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${ctx}`,
        '  cluster:',
        `    server: ${url}`,
        `    certificate-authority-data: ${caData}`,
        'users:',
        `- name: ${ctx}-user`,
        '  user:',
        `    token: ${JSON.stringify(o.token ?? adminToken)}`,
        'contexts:',
        `- name: ${ctx}`,
        '  context:',
        `    cluster: ${ctx}`,
        `    user: ${ctx}-user`,
        `    namespace: ${o.namespace ?? 'default'}`,
        `current-context: ${ctx}`,
        '',
      ].join('\n');
      await fs.writeFile(path, text, { mode: 0o600 });
      return path;
    },
    async create(obj) {
      return createDirect(obj, false);
    },
    async apply(obj) {
      return createDirect(obj, true);
    },
    get(apiVersion, kind, namespace, name) {
      const [t, version] = cluster.typeOf(apiVersion, kind);
      const o = cluster.store.get(
        t,
        t.namespaced ? namespace : undefined,
        name,
      );
      return o ? cluster.present(t, version, o) : undefined;
    },
    list(apiVersion, kind, namespace) {
      const [t, version] = cluster.typeOf(apiVersion, kind);
      return cluster.store
        .list(t, namespace)
        .map(o => cluster.present(t, version, o));
    },
    setFault(f) {
      fault = f;
    },
    async stop() {
      cluster.close();
      for (const w of watches) w.end();
      watches.clear();
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fs.rm(certs.dir, { recursive: true, force: true });
    },
  };
}

/** Puts the CustomResourceDefinitions of the served custom types into the store (read-only over HTTP). */
function installCrdObjects(cluster: Cluster): void {
  const crdT = cluster.types.find(t => t.kind === 'CustomResourceDefinition')!;
  for (const t of cluster.types.filter(x => x.crd)) {
    const vendored = crdObject(t);
    const name = `${t.plural}.${t.group}`;
    const rv = cluster.store.nextResourceVersion();
    const versions = t.versions.map((v, i) => {
      const src = vendored?.spec?.versions?.find((x: any) => x.name === v);
      return {
        name: v,
        served: true,
        storage: i === 0,
        ...(src?.schema ? { schema: src.schema } : {}),
        ...(t.subresources.includes('status')
          ? { subresources: { status: {} } }
          : {}),
        ...(src?.additionalPrinterColumns
          ? { additionalPrinterColumns: src.additionalPrinterColumns }
          : {}),
      };
    });
    const names = {
      plural: t.plural,
      singular: t.singular,
      kind: t.kind,
      listKind: `${t.kind}List`,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    };
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    cluster.store.put(
      crdT,
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {
          name,
          uid: randomUUID(),
          resourceVersion: String(rv),
          generation: 1,
          creationTimestamp: ts,
          ...(vendored?.metadata?.annotations
            ? { annotations: vendored.metadata.annotations }
            : {}),
        },
        spec: {
          group: t.group,
          names,
          scope: t.namespaced ? 'Namespaced' : 'Cluster',
          versions,
          conversion: { strategy: 'None' },
        },
        status: {
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              lastTransitionTime: ts,
              reason: 'NoConflicts',
              message: 'no conflicts found',
            },
            {
              type: 'Established',
              status: 'True',
              lastTransitionTime: ts,
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
            },
          ],
          acceptedNames: names,
          storedVersions: [t.versions[0]],
        },
      },
      'ADDED',
    );
  }
  void typeKey;
}
