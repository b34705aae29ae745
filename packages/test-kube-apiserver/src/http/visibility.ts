/*
 * Kueue's visibility API (the aggregated group visibility.kueue.x-k8s.io,
 * v1beta1), served from this server's own stored Workloads the way Kueue's
 * queue manager answers it: the pending workloads of a ClusterQueue (or of
 * one LocalQueue) in StrictFIFO order — higher priority first, then older
 * first — with each one's position in its ClusterQueue and LocalQueue.
 *
 * Kueue is not simulated, so "pending" is what the stored status says: no
 * QuotaReserved=True, no Admitted=True, not Finished, not deactivated.
 * A switch makes the API absent (404, not in discovery, as on a cluster
 * without Kueue's visibility server) or refused (RBAC's 403).
 */
import { ServerResponse } from 'node:http';
import { Cluster } from '../cluster';
import { errors } from '../status';
import { KubeRequestRecord } from '../api';
import { TokenUser } from './auth';
import { send } from './wire';

/** The aggregated API group Kueue's visibility server registers. */
export const VISIBILITY_GROUP = 'visibility.kueue.x-k8s.io';
const VERSION = 'v1beta1';
/** Kueue's defaults (pkg/constants): limit 1000 when unset, at most 100,000. */
const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;

/**
 * Whether the visibility API is served, missing (404, as without Kueue's
 * visibility server) or refused to every caller (403, as without the RBAC
 * role that grants `get` on `clusterqueues/pendingworkloads`).
 *
 * @public
 */
export type KueueVisibilityMode = 'served' | 'absent' | 'forbidden';

const condition = (o: any, type: string) =>
  (o.status?.conditions ?? []).find((c: any) => c?.type === type);

function isPending(wl: any): boolean {
  if (wl.spec?.active === false) return false;
  return !['QuotaReserved', 'Admitted', 'Finished'].some(
    t => condition(wl, t)?.status === 'True',
  );
}

/** The pending Workloads of one ClusterQueue, in the order Kueue would admit them. */
function pendingInClusterQueue(cluster: Cluster, cq: string): any[] {
  const lqType = cluster.typeFor('kueue.x-k8s.io', 'v1beta1', 'localqueues')!;
  const wlType = cluster.typeFor('kueue.x-k8s.io', 'v1beta1', 'workloads')!;
  const queues = new Set(
    cluster.store
      .list(lqType)
      .filter(lq => lq.spec?.clusterQueue === cq)
      .map(lq => `${lq.metadata.namespace}/${lq.metadata.name}`),
  );
  return cluster.store
    .list(wlType)
    .filter(
      wl =>
        queues.has(`${wl.metadata.namespace}/${wl.spec?.queueName}`) &&
        isPending(wl),
    )
    .sort(
      (a, b) =>
        (b.spec?.priority ?? 0) - (a.spec?.priority ?? 0) ||
        String(a.metadata.creationTimestamp).localeCompare(
          String(b.metadata.creationTimestamp),
        ) ||
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
    );
}

function pendingWorkload(wl: any, inCq: number, inLq: number) {
  return {
    metadata: {
      name: wl.metadata.name,
      namespace: wl.metadata.namespace,
      creationTimestamp: wl.metadata.creationTimestamp,
      ...(wl.metadata.ownerReferences?.length
        ? {
            ownerReferences: wl.metadata.ownerReferences.map((r: any) => ({
              apiVersion: r.apiVersion,
              kind: r.kind,
              name: r.name,
              uid: r.uid,
            })),
          }
        : {}),
    },
    priority: wl.spec?.priority ?? 0,
    localQueueName: wl.spec?.queueName,
    positionInClusterQueue: inCq,
    positionInLocalQueue: inLq,
  };
}

function summary(items: object[]) {
  return {
    kind: 'PendingWorkloadsSummary',
    apiVersion: `${VISIBILITY_GROUP}/${VERSION}`,
    metadata: { creationTimestamp: null },
    items,
  };
}

function bounded(query: Record<string, string>): [number, number] {
  const num = (v: string | undefined, d: number) => {
    const n = v === undefined ? d : Number.parseInt(v, 10);
    if (Number.isNaN(n)) {
      throw errors.badRequest(`invalid query parameter: ${v}`);
    }
    return n;
  };
  const limit = Math.min(
    Math.max(num(query.limit, DEFAULT_LIMIT), 0),
    MAX_LIMIT,
  );
  return [limit, Math.max(num(query.offset, 0), 0)];
}

/** Whether the group is there at all: Kueue's CRDs served and the switch not on `absent`. */
export function visibilityServed(
  cluster: Cluster,
  mode: KueueVisibilityMode,
): boolean {
  return (
    mode !== 'absent' &&
    !!cluster.typeFor('kueue.x-k8s.io', 'v1beta1', 'workloads')
  );
}

/** The group's entry in the legacy `/apis` APIGroupList. */
export function visibilityGroupEntry() {
  const gv = {
    groupVersion: `${VISIBILITY_GROUP}/${VERSION}`,
    version: VERSION,
  };
  return { name: VISIBILITY_GROUP, versions: [gv], preferredVersion: gv };
}

const RESOURCES = [
  { plural: 'clusterqueues', singular: 'clusterqueue', namespaced: false },
  { plural: 'localqueues', singular: 'localqueue', namespaced: true },
];

/** The group's item in aggregated discovery (apidiscovery.k8s.io/v2). */
export function visibilityDiscoveryItem() {
  return {
    metadata: { name: VISIBILITY_GROUP, creationTimestamp: null },
    versions: [
      {
        version: VERSION,
        resources: RESOURCES.map(r => ({
          resource: r.plural,
          responseKind: {
            group: VISIBILITY_GROUP,
            version: VERSION,
            kind: 'PendingWorkloadsSummary',
          },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: [],
          subresources: [
            {
              subresource: 'pendingworkloads',
              responseKind: {
                group: VISIBILITY_GROUP,
                version: VERSION,
                kind: 'PendingWorkloadsSummary',
              },
              verbs: ['get'],
            },
          ],
        })),
        freshness: 'Current',
      },
    ],
  };
}

function resourceList() {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${VISIBILITY_GROUP}/${VERSION}`,
    resources: RESOURCES.flatMap(r => [
      {
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: 'PendingWorkloadsSummary',
        verbs: [],
      },
      {
        name: `${r.plural}/pendingworkloads`,
        singularName: '',
        namespaced: r.namespaced,
        kind: 'PendingWorkloadsSummary',
        verbs: ['get'],
      },
    ]),
  };
}

/** What a visibility request needs to know about the server. */
export interface VisibilityContext {
  cluster: Cluster;
  mode: KueueVisibilityMode;
  /** The authenticated user's name, for RBAC's 403 message. */
  user?: string;
  /** An RBAC-authorized user's check (http/auth.ts). */
  can?: TokenUser['can'];
  /** The request's log entry, filled in like a resource request's. */
  record?: KubeRequestRecord;
}

/**
 * Answers a path of the visibility group; false when `pathname` is not one
 * or the API is absent (then the caller's 404 applies). Throws the Status
 * errors Kueue and RBAC answer with.
 */
export function serveVisibility(
  ctx: VisibilityContext,
  res: ServerResponse,
  method: string,
  pathname: string,
  query: Record<string, string>,
): boolean {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (segs[0] !== 'apis' || segs[1] !== VISIBILITY_GROUP) return false;
  if (!visibilityServed(ctx.cluster, ctx.mode)) return false;
  if (segs.length === 2) {
    send(res, 200, {
      kind: 'APIGroup',
      apiVersion: 'v1',
      ...visibilityGroupEntry(),
    });
    return true;
  }
  if (segs[2] !== VERSION) return false;
  if (segs.length === 3) {
    send(res, 200, resourceList());
    return true;
  }
  const rest = segs.slice(3);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length === 5) {
    namespace = rest[1];
    rest.splice(0, 2);
  }
  const [plural, name, sub] = rest;
  const expected = namespace === undefined ? 'clusterqueues' : 'localqueues';
  if (rest.length !== 3 || plural !== expected || sub !== 'pendingworkloads') {
    return false;
  }
  const target = { group: VISIBILITY_GROUP, resource: plural, name };
  if (ctx.record) {
    Object.assign(ctx.record, {
      verb: 'get',
      group: VISIBILITY_GROUP,
      version: VERSION,
      resource: plural,
      subresource: sub,
      name,
      ...(namespace !== undefined ? { namespace } : {}),
    });
  }
  const allowed =
    ctx.mode !== 'forbidden' &&
    (!ctx.can ||
      ctx.can({
        verb: 'get',
        group: VISIBILITY_GROUP,
        resource: `${plural}/${sub}`,
        name,
        ...(namespace !== undefined ? { namespace } : {}),
      }));
  if (!allowed) {
    const scope = namespace
      ? `in the namespace "${namespace}"`
      : 'at the cluster scope';
    throw errors.forbidden(
      target,
      `User "${ctx.user}" cannot get resource "${plural}/pendingworkloads" in API group "${VISIBILITY_GROUP}" ${scope}`,
    );
  }
  if (method !== 'GET') {
    throw errors.methodNotSupported(target, method);
  }
  send(res, 200, summary(pending(ctx.cluster, namespace, name, query)));
  return true;
}

function pending(
  cluster: Cluster,
  namespace: string | undefined,
  name: string,
  query: Record<string, string>,
): object[] {
  const [limit, offset] = bounded(query);
  const lqType = cluster.typeFor('kueue.x-k8s.io', 'v1beta1', 'localqueues')!;
  const cqType = cluster.typeFor('kueue.x-k8s.io', 'v1beta1', 'clusterqueues')!;
  if (namespace === undefined) {
    if (!cluster.store.get(cqType, undefined, name)) {
      throw errors.notFound({
        group: VISIBILITY_GROUP,
        resource: 'clusterqueue',
        name,
      });
    }
    const inLq = new Map<string, number>();
    return pendingInClusterQueue(cluster, name)
      .slice(0, offset + limit)
      .map((wl, i) => {
        const key = `${wl.metadata.namespace}/${wl.spec.queueName}`;
        const position = inLq.get(key) ?? 0;
        inLq.set(key, position + 1);
        return { wl, i, position };
      })
      .slice(offset)
      .map(({ wl, i, position }) => pendingWorkload(wl, i, position));
  }
  const lq = cluster.store.get(lqType, namespace, name);
  if (!lq?.spec?.clusterQueue) {
    throw errors.notFound({
      group: VISIBILITY_GROUP,
      resource: 'localqueue',
      name,
    });
  }
  return pendingInClusterQueue(cluster, lq.spec.clusterQueue)
    .map((wl, i) => ({ wl, i }))
    .filter(
      ({ wl }) =>
        wl.metadata.namespace === namespace && wl.spec.queueName === name,
    )
    .slice(offset, offset + limit)
    .map(({ wl, i }, k) => pendingWorkload(wl, i, offset + k));
}
