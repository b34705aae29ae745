/*
 * The scale and status subresources: reading and writing a workload's
 * replicas through autoscaling/v1 Scale, and patching only the status.
 * (A PUT of status is a plain update with `status: true`.)
 */
import {
  PatchType,
  jsonPatch,
  mergePatch,
  strategicMergePatch,
} from '../patch';
import { ResourceType } from '../resources';
import { errors } from '../status';
import { ResourceRequest } from './context';
import { send } from './wire';

/** How a patch of `type` applies to a subresource (status, scale) of `t`. */
function patcherFor(
  type: PatchType,
  t: ResourceType,
): (doc: any, patch: any) => unknown {
  if (type === 'json') return jsonPatch;
  if (type === 'strategic' && !t.crd) return strategicMergePatch;
  return mergePatch;
}

/** The autoscaling/v1 Scale of a workload. */
export function scaleOf(o: any) {
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

/** PUT of a Scale: sets spec.replicas (409 when its resourceVersion is stale). */
export function replaceScale(rr: ResourceRequest, body: any): void {
  const { cluster, route: r, type: t } = rr;
  const name = r.name!;
  const o = cluster.get(t, r.namespace, name);
  const rv = body?.metadata?.resourceVersion;
  if (rv && rv !== o.metadata.resourceVersion) throw errors.conflict(rr.target);
  const next = cluster.update(t, r.version, r.namespace, name, {
    ...o,
    spec: { ...o.spec, replicas: body?.spec?.replicas ?? 0 },
  });
  send(rr.res, 200, scaleOf(next.object));
}

/** PATCH of a Scale: the patch applies to the Scale, its replicas to the workload. */
export function patchScale(
  rr: ResourceRequest,
  pt: PatchType,
  body: any,
): void {
  const { cluster, route: r, type: t } = rr;
  const name = r.name!;
  const o = cluster.get(t, r.namespace, name);
  const scale = scaleOf(o);
  const patched: any = patcherFor(pt, t)(scale, body);
  const next = cluster.update(t, r.version, r.namespace, name, {
    ...o,
    spec: { ...o.spec, replicas: patched?.spec?.replicas ?? 0 },
  });
  send(rr.res, 200, scaleOf(next.object));
}

/** PATCH of status: unconditional unless the patch names a resourceVersion. */
export function patchStatus(
  rr: ResourceRequest,
  pt: PatchType,
  body: any,
): void {
  const { cluster, route: r, type: t, present } = rr;
  const name = r.name!;
  const o = present(cluster.get(t, r.namespace, name));
  const patched: any = patcherFor(pt, t)(o, body);
  const result = cluster.update(
    t,
    r.version,
    r.namespace,
    name,
    {
      ...patched,
      metadata: {
        ...patched.metadata,
        resourceVersion: body?.metadata?.resourceVersion,
      },
    },
    { dryRun: rr.dryRun, fieldValidation: rr.fieldValidation, status: true },
  );
  send(rr.res, 200, present(result.object));
}
