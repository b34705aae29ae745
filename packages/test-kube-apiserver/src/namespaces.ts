/*
 * The namespace lifecycle: objects go only into namespaces that exist and
 * are not terminating (the NamespaceLifecycle admission plugin), and a
 * deleted namespace terminates asynchronously with everything in it.
 */
import { clone } from './json';
import { ResourceType } from './resources';
import { errors } from './status';
import { Store } from './store';
import { now } from './serverOwned';

/** How long a deleted namespace stays Terminating before it and its objects are gone. */
export const NAMESPACE_TERMINATION_MS = 100;

/**
 * Throws unless a namespaced object may be written to `ns`: 400 without a
 * namespace, 404 when it does not exist, and 403 for a create in a
 * terminating one.
 */
export function requireNamespace(
  store: Store,
  types: ResourceType[],
  t: ResourceType,
  ns: string | undefined,
  create = false,
  name?: string,
): void {
  if (!t.namespaced) return;
  if (!ns)
    throw errors.badRequest('the server could not find the requested resource');
  const nsType = types.find(x => x.kind === 'Namespace')!;
  const namespace = store.get(nsType, undefined, ns);
  if (!namespace) {
    throw errors.notFound({ group: '', resource: 'namespaces', name: ns });
  }
  if (namespace.metadata.deletionTimestamp && create) {
    throw errors.forbidden(
      { group: t.group, resource: t.plural, name },
      `unable to create new content in namespace ${ns} because it is being terminated`,
    );
  }
}

/**
 * Namespaces terminate asynchronously, as on a cluster: the namespace turns
 * Terminating at once (no new objects may be created in it), its contents
 * and then the namespace itself go away NAMESPACE_TERMINATION_MS later
 * (through `later`, as one write). Returns the Terminating namespace.
 */
export function terminateNamespace(
  store: Store,
  types: ResourceType[],
  later: (ms: number, fn: () => void) => void,
  t: ResourceType,
  ns: any,
): any {
  if (ns.metadata.deletionTimestamp) return clone(ns);
  const next = clone(ns);
  next.metadata.deletionTimestamp = now();
  next.metadata.deletionGracePeriodSeconds = 0;
  next.status = {
    phase: 'Terminating',
    conditions: [
      {
        type: 'NamespaceDeletionDiscoveryFailure',
        status: 'False',
        lastTransitionTime: now(),
        reason: 'ResourcesDiscovered',
        message: 'All resources successfully discovered',
      },
    ],
  };
  next.metadata.resourceVersion = String(store.nextResourceVersion());
  store.put(t, next, 'MODIFIED');
  later(NAMESPACE_TERMINATION_MS, () => {
    const name = ns.metadata.name;
    for (const nt of types.filter(x => x.namespaced)) {
      for (const o of store.list(nt, name)) store.remove(nt, o);
    }
    const current = store.get(t, undefined, name);
    if (current && current.metadata.uid === ns.metadata.uid)
      store.remove(t, current);
  });
  return clone(next);
}
