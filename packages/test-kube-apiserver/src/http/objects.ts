/*
 * Reads and writes of whole objects: get (with Table output), create,
 * replace, delete and deletecollection.
 */
import { apiVersionOf, splitApiVersion } from '../resources';
import { errors } from '../status';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { toTable } from '../table';
import { authorize } from './auth';
import { ResourceRequest } from './context';
import { replaceScale, scaleOf } from './subresources';
import { listItem, parseBody, readBody, send, sendWarnings } from './wire';

function contentType(rr: ResourceRequest): string {
  return String(rr.req.headers['content-type'] ?? 'application/json');
}

/** GET of one object (or its Scale). */
export function getObject(rr: ResourceRequest): void {
  const { cluster, res, route: r, type: t, query, present } = rr;
  rr.record.verb = 'get';
  authorize(rr.user, 'get', r);
  const o = cluster.get(t, r.namespace, r.name!);
  const body = r.subresource === 'scale' ? scaleOf(o) : present(o);
  if (/as=Table/.test(rr.accept) && !r.subresource)
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
}

/** POST to a collection. */
export async function createObject(rr: ResourceRequest): Promise<void> {
  const { cluster, route: r, type: t } = rr;
  rr.record.verb = 'create';
  authorize(rr.user, 'create', r);
  const body = parseBody(await readBody(rr.req), contentType(rr));
  if (body?.metadata?.name) rr.record.name = body.metadata.name;
  authorize(rr.user, 'create', { ...r, name: undefined });
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
    dryRun: rr.dryRun,
    fieldValidation: rr.fieldValidation,
  });
  sendWarnings(rr.res, result.warnings);
  send(rr.res, 201, rr.present(result.object));
}

/** PUT of an object, its status or its Scale. */
export async function replaceObject(rr: ResourceRequest): Promise<void> {
  const { cluster, route: r, type: t } = rr;
  rr.record.verb = 'update';
  authorize(rr.user, 'update', r);
  const body = parseBody(await readBody(rr.req), contentType(rr));
  if (r.subresource === 'scale') {
    replaceScale(rr, body);
    return;
  }
  const result = cluster.update(t, r.version, r.namespace, r.name!, body, {
    dryRun: rr.dryRun,
    fieldValidation: rr.fieldValidation,
    status: r.subresource === 'status',
  });
  sendWarnings(rr.res, result.warnings);
  send(rr.res, 200, rr.present(result.object));
}

/** DELETE of one object, with DeleteOptions from the query or the body. */
export async function deleteObject(rr: ResourceRequest): Promise<void> {
  const { cluster, route: r, type: t, query } = rr;
  rr.record.verb = 'delete';
  authorize(rr.user, 'delete', r);
  const text = await readBody(rr.req);
  const delOpts = text.trim() ? parseBody(text, 'json') : {};
  const deleted = cluster.delete(t, r.namespace, r.name!, {
    dryRun:
      rr.dryRun ||
      (Array.isArray(delOpts.dryRun) && delOpts.dryRun.includes('All')),
    propagationPolicy: query.propagationPolicy ?? delOpts.propagationPolicy,
    preconditions: delOpts.preconditions,
  });
  send(rr.res, 200, rr.present(deleted));
}

/** DELETE of a collection: every object the selectors match; answers with the list of them. */
export function deleteCollection(rr: ResourceRequest): void {
  const { cluster, route: r, type: t, query, present } = rr;
  rr.record.verb = 'deletecollection';
  authorize(rr.user, 'deletecollection', r);
  if (!t.verbs.includes('deletecollection'))
    throw errors.methodNotSupported(rr.target, 'deletecollection');
  const labelSel = parseLabelSelector(query.labelSelector ?? null);
  const fieldSel = parseFieldSelector(query.fieldSelector ?? null, t.kind);
  const victims = cluster.store
    .list(t, r.namespace)
    .filter(o => labelSel(o.metadata?.labels) && fieldSel(o));
  for (const o of victims) {
    if (cluster.store.get(t, o.metadata.namespace, o.metadata.name))
      cluster.delete(t, o.metadata.namespace, o.metadata.name, {
        dryRun: rr.dryRun,
      });
  }
  send(rr.res, 200, {
    kind: `${t.kind}List`,
    apiVersion: apiVersionOf(t, r.version),
    metadata: { resourceVersion: String(cluster.store.resourceVersion) },
    items: victims.map(o => listItem(t, o, present)),
  });
}
