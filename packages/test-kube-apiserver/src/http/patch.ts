/*
 * PATCH: the patch type from the Content-Type (JSON patch, merge patch,
 * strategic merge patch, server-side apply), then the object, its status or
 * its Scale patched. An apply of a missing object creates it (201).
 */
import { PatchType } from '../patch';
import { errors } from '../status';
import { authorize } from './auth';
import { ResourceRequest } from './context';
import { patchScale, patchStatus } from './subresources';
import { parseBody, readBody, send, sendWarnings } from './wire';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** PATCH of an object, its status or its Scale. */
export async function patchObject(rr: ResourceRequest): Promise<void> {
  const { cluster, route: r, type: t, query } = rr;
  rr.record.verb = 'patch';
  authorize(rr.user, 'patch', r);
  const ct = String(rr.req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  const pt = PATCH_TYPES[ct];
  if (!pt) throw errors.notAcceptableType(ct);
  if (pt === 'apply' && !query.fieldManager) {
    throw errors.badRequest(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  }
  const body = parseBody(
    await readBody(rr.req),
    pt === 'apply' ? 'yaml' : 'json',
  );
  if (r.subresource === 'scale') {
    patchScale(rr, pt, body);
    return;
  }
  if (r.subresource === 'status') {
    patchStatus(rr, pt, body);
    return;
  }
  const existed = !!cluster.store.get(t, r.namespace, r.name!);
  const result = cluster.patch(t, r.version, r.namespace, r.name!, pt, body, {
    dryRun: rr.dryRun,
    fieldValidation: rr.fieldValidation,
    force: query.force === 'true',
  });
  sendWarnings(rr.res, result.warnings);
  send(rr.res, existed ? 200 : 201, rr.present(result.object));
}
