/*
 * URL routing: which resource (group, version, type, namespace, name,
 * subresource) a path names, and which verb a request is, as the API
 * server's request info resolver sees them.
 */
import { Cluster } from '../cluster';
import { ResourceType } from '../resources';
import { KubeRequestRecord } from '../api';

/** A request for resources of one type, parsed from its path. */
export interface Route {
  group: string;
  version: string;
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The path had the legacy `/watch/` prefix. */
  watch?: boolean;
}

/**
 * The resource a path names; 'discovery' for `/api/<v>` and
 * `/apis/<g>/<v>`; undefined when nothing is served there.
 */
export function route(
  cluster: Cluster,
  pathname: string,
): Route | 'discovery' | undefined {
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
  const r: Route = {
    group,
    version,
    type,
    namespace,
    name: rest[1],
    subresource: rest[2],
  };
  if (r.subresource && !(type.subresources as string[]).includes(r.subresource))
    return undefined;
  if (watchPath) r.watch = true;
  return r;
}

/** Whether a collection GET is a watch (`/watch/` path or `?watch=`). */
export function isWatch(r: Route, query: Record<string, string>): boolean {
  return !!r.watch || query.watch === '1' || query.watch === 'true';
}

/** Fills in the request log entry with what the route names. */
export function describeRequest(
  record: KubeRequestRecord,
  r: Route,
  method: string,
  query: Record<string, string>,
): void {
  record.group = r.group;
  record.version = r.version;
  record.resource = r.type.plural;
  record.namespace = r.namespace;
  record.name = r.name;
  record.subresource = r.subresource;
  const verbs: Record<string, KubeRequestRecord['verb']> = {
    GET: r.name ? 'get' : 'list',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: r.name ? 'delete' : 'deletecollection',
  };
  record.verb =
    method === 'GET' && !r.name && isWatch(r, query) ? 'watch' : verbs[method];
}
