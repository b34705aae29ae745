/*
 * The garbage collector's part of a delete: dependents whose owners are all
 * gone are deleted in cascade, or with propagationPolicy Orphan lose the
 * owner reference instead.
 */
import { clone } from './json';
import { ResourceType, splitApiVersion } from './resources';
import { Store } from './store';

function ownerExists(
  store: Store,
  types: ResourceType[],
  ref: any,
  ns: string | undefined,
): boolean {
  const [group] = splitApiVersion(ref.apiVersion ?? '');
  const t = types.find(x => x.group === group && x.kind === ref.kind);
  if (!t) return false;
  const o = store.get(t, ns, ref.name);
  return !!o && o.metadata.uid === ref.uid;
}

/** Deletes (or orphans) the dependents of a deleted owner, like the garbage collector. */
export function collectGarbage(
  store: Store,
  types: ResourceType[],
  uid: string,
  policy?: string,
): void {
  for (const t of types) {
    for (const o of store.list(t)) {
      const refs: any[] = o.metadata.ownerReferences ?? [];
      if (!refs.some(r => r.uid === uid)) continue;
      if (policy === 'Orphan') {
        const next = clone(o);
        next.metadata.ownerReferences = refs.filter(r => r.uid !== uid);
        if (!next.metadata.ownerReferences.length)
          delete next.metadata.ownerReferences;
        next.metadata.resourceVersion = String(store.nextResourceVersion());
        store.put(t, next, 'MODIFIED');
        continue;
      }
      const others = refs.filter(
        r =>
          r.uid !== uid && ownerExists(store, types, r, o.metadata.namespace),
      );
      if (
        others.length === 0 &&
        store.get(t, o.metadata.namespace, o.metadata.name)
      ) {
        store.remove(t, o);
        collectGarbage(store, types, o.metadata.uid, policy);
      }
    }
  }
}
