/*
 * Rules for what the server owns in a stored object: which kinds carry
 * metadata.generation and when it moves (a change outside metadata and
 * status), and the key order objects are stored and served in.
 */
import { canonical } from './json';
import { ResourceType } from './resources';

const GENERATION_GROUPS = new Set([
  'apps',
  'batch',
  'autoscaling',
  'networking.k8s.io',
]);

/** Timestamps as the API server writes them: seconds, UTC. */
export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether objects of `t` have metadata.generation. */
export function hasGeneration(t: ResourceType): boolean {
  return !!t.crd || GENERATION_GROUPS.has(t.group);
}

/** What a generation counts changes of: everything but metadata, status, apiVersion and kind. */
export function specOf(o: any): string {
  const { metadata, status, apiVersion, kind, ...rest } = o;
  return canonical(rest);
}

/** Keys in the server's order: apiVersion, kind, metadata, spec…, status. */
export function serverOrder(obj: any): any {
  const { apiVersion, kind, metadata, status, ...rest } = obj;
  const m: any = {};
  for (const k of [
    'name',
    'generateName',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'deletionTimestamp',
    'labels',
    'annotations',
    'ownerReferences',
    'finalizers',
  ]) {
    if (metadata[k] !== undefined) m[k] = metadata[k];
  }
  Object.assign(m, metadata);
  const out: any = { apiVersion, kind, metadata: m, ...rest };
  if (status !== undefined) out.status = status;
  return out;
}
