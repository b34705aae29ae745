/*
 * The object store: one global resourceVersion counter (like etcd's
 * revision), objects keyed by type / namespace / name, an event history for
 * watches that start from a resourceVersion, and live watchers.
 */
import { ResourceType } from './resources';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** Resource version of this change. */
  rv: number;
  resource: ResourceType;
  object: any;
}

export type StoreListener = (e: StoreEvent) => void;

const HISTORY = 20000;

export function typeKey(t: ResourceType): string {
  return `${t.group}/${t.plural}`;
}

export function objectKey(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`;
}

/** etcd's key order (bytewise), not the locale's. */
function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** First index in sorted `keys` whose key is not less than `k`. */
function lowerBound(keys: string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byteOrder(keys[mid], k) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One type's objects, with their keys kept sorted for ordered (and namespace-ranged) lists. */
interface Bucket {
  objects: Map<string, any>;
  keys: string[];
}

export class Store {
  private revision = 1000;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  /** The current resourceVersion. */
  get resourceVersion(): number {
    return this.revision;
  }

  /** The oldest resourceVersion a watch can still start from. */
  get oldestResourceVersion(): number {
    return this.history.length ? this.history[0].rv - 1 : this.revision;
  }

  nextResourceVersion(): number {
    return ++this.revision;
  }

  private bucket(t: ResourceType): Bucket {
    let b = this.buckets.get(typeKey(t));
    if (!b) {
      b = { objects: new Map(), keys: [] };
      this.buckets.set(typeKey(t), b);
    }
    return b;
  }

  get(t: ResourceType, ns: string | undefined, name: string): any | undefined {
    return this.buckets
      .get(typeKey(t))
      ?.objects.get(objectKey(t.namespaced ? ns : undefined, name));
  }

  /** Objects of a type (in one namespace, or all), sorted like etcd keys. */
  list(t: ResourceType, ns?: string): any[] {
    const b = this.buckets.get(typeKey(t));
    if (!b) return [];
    let keys = b.keys;
    if (ns && t.namespaced) {
      // keys are "<namespace>/<name>": one namespace is a contiguous range
      keys = keys.slice(lowerBound(keys, `${ns}/`), lowerBound(keys, `${ns}0`));
    }
    return keys.map(k => b.objects.get(k));
  }

  /** Stores `obj` (its metadata.resourceVersion already set) and notifies. */
  put(t: ResourceType, obj: any, type: 'ADDED' | 'MODIFIED'): void {
    const b = this.bucket(t);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    if (!b.objects.has(key)) b.keys.splice(lowerBound(b.keys, key), 0, key);
    b.objects.set(key, obj);
    this.emit({
      type,
      rv: Number(obj.metadata.resourceVersion),
      resource: t,
      object: obj,
    });
  }

  remove(t: ResourceType, obj: any): void {
    const b = this.bucket(t);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    if (b.objects.delete(key)) b.keys.splice(lowerBound(b.keys, key), 1);
    // the DELETED event carries the object at a new resourceVersion
    const rv = this.nextResourceVersion();
    const gone = {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: String(rv) },
    };
    this.emit({ type: 'DELETED', rv, resource: t, object: gone });
  }

  /** Events after `rv` for a type, or undefined when `rv` is older than the history. */
  eventsSince(t: ResourceType, rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestResourceVersion) return undefined;
    return this.history.filter(e => e.rv > rv && e.resource === t);
  }

  subscribe(l: StoreListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > HISTORY)
      this.history.splice(0, this.history.length - HISTORY);
    for (const l of [...this.listeners]) l(e);
  }
}
