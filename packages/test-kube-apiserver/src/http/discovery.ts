/*
 * The paths that are not resources: /version, the health checks, discovery
 * (legacy and aggregated) and the OpenAPI documents kubectl reads.
 */
import { ServerResponse } from 'node:http';
import { Cluster } from '../cluster';
import { errors } from '../status';
import {
  AGGREGATED_V2,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from '../discovery';
import { openApiV2, openApiV3Root, openApiV3GroupVersion } from '../openapi';
import { send } from './wire';
import {
  KueueVisibilityMode,
  visibilityDiscoveryItem,
  visibilityGroupEntry,
  visibilityServed,
} from './visibility';

/** What the non-resource paths describe. */
export interface ServerInfo {
  cluster: Cluster;
  /** Kubernetes version reported by /version, e.g. v1.32.0. */
  gitVersion: string;
  /** host:port clients reach the server at (APIVersions' serverAddress). */
  address(): string;
  /** Whether Kueue's visibility API is listed (absent: not at all). */
  kueueVisibility?(): KueueVisibilityMode;
}

/**
 * Answers a non-resource path; false when `pathname` is not one (then it
 * names a resource or nothing). `discoveryRoute` says the router saw
 * `/api/<v>` or `/apis/<g>/<v>`.
 */
export function serveNonResource(
  info: ServerInfo,
  res: ServerResponse,
  pathname: string,
  accept: string,
  discoveryRoute: boolean,
): boolean {
  const types = info.cluster.types;
  if (pathname === '/version') {
    const [, major, minor] = /^v(\d+)\.(\d+)/.exec(info.gitVersion) ?? [];
    send(res, 200, {
      major,
      minor,
      gitVersion: info.gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2024-12-11T17:56:52Z',
      goVersion: 'go1.23.3',
      compiler: 'gc',
      platform: 'linux/amd64',
    });
    return true;
  }
  if (['/healthz', '/livez', '/readyz'].includes(pathname)) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return true;
  }
  if (pathname === '/api' || pathname === '/apis') {
    // the aggregated visibility group is listed after the CRD groups, as
    // the real server lists APIService-backed groups
    const visibility =
      pathname === '/apis' &&
      visibilityServed(info.cluster, info.kueueVisibility?.() ?? 'served');
    if (
      accept.includes('as=APIGroupDiscoveryList') &&
      accept.includes('v=v2')
    ) {
      const doc = aggregatedDiscovery(types, pathname === '/api');
      if (visibility) doc.items.push(visibilityDiscoveryItem() as any);
      send(res, 200, doc, AGGREGATED_V2);
    } else if (pathname === '/api') {
      send(res, 200, apiVersions(info.address()));
    } else {
      const doc = apiGroupList(types);
      if (visibility) doc.groups.push(visibilityGroupEntry());
      send(res, 200, doc);
    }
    return true;
  }
  if (pathname === '/openapi/v2') {
    send(res, 200, openApiV2(types));
    return true;
  }
  if (pathname === '/openapi/v3') {
    send(res, 200, openApiV3Root(types));
    return true;
  }
  if (pathname.startsWith('/openapi/v3/')) {
    const doc = openApiV3GroupVersion(
      types,
      pathname.slice('/openapi/v3/'.length),
    );
    if (doc) send(res, 200, doc);
    else send(res, 404, errors.pageNotFound().status);
    return true;
  }
  const segs = pathname.split('/').filter(Boolean);
  if (segs[0] === 'apis' && segs.length === 2) {
    const g = apiGroup(types, segs[1]);
    if (g) send(res, 200, g);
    else send(res, 404, errors.pageNotFound().status);
    return true;
  }
  if (discoveryRoute) {
    const [group, version] =
      segs[0] === 'api' ? ['', segs[1]] : [segs[1], segs[2]];
    const list = apiResourceList(types, group, version);
    if (list) send(res, 200, list);
    else send(res, 404, errors.pageNotFound().status);
    return true;
  }
  return false;
}
