/*
 * API semantics on top of the store: defaulting, metadata the server owns
 * (uid, resourceVersion, generation, creationTimestamp), optimistic
 * concurrency, status subresources, admission (namespace existence, quota),
 * patches, cascading deletes, and the hook the built-in controllers use.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CrdGroup,
  ResourceType,
  servedTypes,
  apiVersionOf,
  splitApiVersion,
} from './resources';
import { Store, StoreEvent } from './store';
import { StatusError, errors } from './status';
import { FieldValidation, validateObject, validateUpdate } from './validation';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch';
import { applyDefaults } from './defaults';
import { converts, fromStorage, toStorage } from './conversion';

export interface WriteOptions {
  dryRun?: boolean;
  /** Drop a client's metadata.resourceVersion instead of refusing it (fixtures, server-side apply). */
  allowResourceVersion?: boolean;
  fieldValidation?: FieldValidation;
  /** Write only the status (the `/status` subresource). */
  status?: boolean;
}

export interface WriteResult {
  object: any;
  warnings: string[];
}

/** An admission plugin: may throw a StatusError to reject a create or update. */
export type Admission = (
  op: 'create' | 'update',
  t: ResourceType,
  obj: any,
  old: any | undefined,
) => void;

/** A controller: sees every committed change; may write through the cluster. */
export type Controller = (e: StoreEvent) => void;

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** How long a deleted namespace stays Terminating before it and its objects are gone. */
export const NAMESPACE_TERMINATION_MS = 100;

const GENERATION_GROUPS = new Set([
  'apps',
  'batch',
  'autoscaling',
  'networking.k8s.io',
]);

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A deep copy; stored objects are plain JSON, for which this is the fastest copy. */
export function clone<T>(o: T): T {
  return o === undefined ? o : JSON.parse(JSON.stringify(o));
}

function hasGeneration(t: ResourceType): boolean {
  return !!t.crd || GENERATION_GROUPS.has(t.group);
}

/** JSON with sorted keys, to compare objects whatever order their fields came in. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map(k => [k, x[k]]),
        )
      : x,
  );
}

function specOf(o: any): string {
  const { metadata, status, apiVersion, kind, ...rest } = o;
  return canonical(rest);
}

export class Cluster {
  readonly store = new Store();
  readonly types: ResourceType[];
  private readonly admissions: Admission[] = [];
  private readonly controllers: Controller[] = [];
  private readonly pending: StoreEvent[] = [];
  private depth = 0;
  private draining = false;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(crds: CrdGroup[]) {
    this.types = servedTypes(crds);
    this.store.subscribe(e => {
      if (this.controllers.length) this.pending.push(e);
    });
  }

  addAdmission(a: Admission): void {
    this.admissions.push(a);
  }

  addController(c: Controller): void {
    this.controllers.push(c);
  }

  /** The type served at group/version/plural, if any. */
  typeFor(
    group: string,
    version: string,
    plural: string,
  ): ResourceType | undefined {
    return this.types.find(
      t =>
        t.group === group &&
        t.plural === plural &&
        t.versions.includes(version),
    );
  }

  /** The type of an object's apiVersion/kind; throws a 400/404 Status when not served. */
  typeOf(apiVersion: string, kind: string): [ResourceType, string] {
    const [group, version] = splitApiVersion(apiVersion ?? '');
    const t = this.types.find(
      x => x.group === group && x.kind === kind && x.versions.includes(version),
    );
    if (!t) {
      throw errors.notFoundType(group, version, kind);
    }
    return [t, version];
  }

  /** The object as a client of `version` sees it (a copy). */
  present(t: ResourceType, version: string, obj: any): any {
    const out = fromStorage(t, version, clone(obj));
    out.kind = t.kind;
    // apiVersion and kind first, as the server serialises them
    return { apiVersion: out.apiVersion, kind: out.kind, ...out };
  }

  /**
   * Like present, for objects that are serialised at once: no copy unless
   * the version needs conversion (the caller must not mutate the result).
   */
  presentForWire(t: ResourceType, version: string, obj: any): any {
    if (converts(t, version)) return this.present(t, version, obj);
    return { ...obj, apiVersion: apiVersionOf(t, version), kind: t.kind };
  }

  get(t: ResourceType, ns: string | undefined, name: string): any {
    const o = this.store.get(t, ns, name);
    if (!o) throw errors.notFound({ group: t.group, resource: t.plural, name });
    return o;
  }

  private requireNamespace(
    t: ResourceType,
    ns: string | undefined,
    create = false,
    name?: string,
  ): void {
    if (!t.namespaced) return;
    if (!ns)
      throw errors.badRequest(
        'the server could not find the requested resource',
      );
    const nsType = this.types.find(x => x.kind === 'Namespace')!;
    const namespace = this.store.get(nsType, undefined, ns);
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

  /** Runs several writes as one: controllers react once `fn` is done. */
  batch<T>(fn: () => T): T {
    return this.write(fn);
  }

  /** Runs `fn` as one client write; controllers react once the outermost write is done. */
  private write<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.drain();
    }
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let guard = 0;
      while (this.pending.length && guard++ < 10000) {
        const e = this.pending.shift()!;
        for (const c of this.controllers) {
          this.depth++;
          try {
            c(e);
          } catch (err) {
            if (!(err instanceof StatusError)) throw err;
          } finally {
            this.depth--;
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  create(
    t: ResourceType,
    version: string,
    ns: string | undefined,
    body: any,
    opts: WriteOptions = {},
  ): WriteResult {
    return this.write(() => {
      if (!t.verbs.includes('create'))
        throw errors.methodNotSupported(
          { group: t.group, resource: t.plural },
          'create',
        );
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw errors.badRequest(
          `Object 'Kind' is missing in '${JSON.stringify(body)}'`,
        );
      }
      const obj = clone(body);
      obj.metadata = obj.metadata ?? {};
      if (obj.kind !== undefined && obj.kind !== t.kind) {
        throw errors.badRequest(
          `the API version in the data (${
            obj.apiVersion
          }) does not match the expected API version (${apiVersionOf(
            t,
            version,
          )})`,
        );
      }
      if (t.namespaced) {
        if (obj.metadata.namespace && ns && obj.metadata.namespace !== ns) {
          throw errors.badRequest(
            'the namespace of the provided object does not match the namespace sent on the request',
          );
        }
        obj.metadata.namespace = ns ?? obj.metadata.namespace;
      } else delete obj.metadata.namespace;
      if (!obj.metadata.name && obj.metadata.generateName) {
        obj.metadata.name = `${obj.metadata.generateName}${randomBytes(4)
          .toString('hex')
          .slice(0, 5)}`;
      }
      obj.apiVersion = apiVersionOf(t, version);
      obj.kind = t.kind;
      const keepStatus = t.subresources.includes('status')
        ? undefined
        : obj.status;
      if (t.subresources.includes('status')) delete obj.status;
      if (keepStatus !== undefined) obj.status = keepStatus;
      obj.metadata.uid = randomUUID();
      applyDefaults(t, obj, undefined, version);
      const warnings = validateObject(
        t,
        version,
        obj,
        opts.fieldValidation ?? 'Warn',
      );
      this.requireNamespace(t, obj.metadata.namespace, true, obj.metadata.name);
      const name = obj.metadata.name;
      if (this.store.get(t, obj.metadata.namespace, name)) {
        throw errors.alreadyExists({
          group: t.group,
          resource: t.plural,
          name,
        });
      }
      for (const a of this.admissions) a('create', t, obj, undefined);
      const meta = obj.metadata;
      if (
        meta.resourceVersion !== undefined &&
        meta.resourceVersion !== '' &&
        !opts.allowResourceVersion
      ) {
        // what the generic registry answers (a plain error, hence 500)
        throw errors.internal(
          'Internal error occurred: resourceVersion should not be set on objects to be created',
        );
      }
      delete meta.resourceVersion;
      delete meta.deletionTimestamp;
      meta.creationTimestamp = now();
      if (hasGeneration(t)) meta.generation = 1;
      else delete meta.generation;
      if (opts.dryRun) return { object: toStorage(t, version, obj), warnings };
      meta.resourceVersion = String(this.store.nextResourceVersion());
      const stored = this.order(toStorage(t, version, obj));
      this.store.put(t, stored, 'ADDED');
      return { object: clone(stored), warnings };
    });
  }

  /** Keys in the server's order: apiVersion, kind, metadata, spec…, status. */
  private order(obj: any): any {
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

  update(
    t: ResourceType,
    version: string,
    ns: string | undefined,
    name: string,
    body: any,
    opts: WriteOptions = {},
  ): WriteResult {
    return this.write(() => {
      if (!t.verbs.includes('update'))
        throw errors.methodNotSupported(
          { group: t.group, resource: t.plural },
          'update',
        );
      if (!body || typeof body !== 'object')
        throw errors.badRequest('the body of the request was empty');
      const stored = this.get(t, t.namespaced ? ns : undefined, name);
      // the update is worked out in the client's version and stored converted
      const old = this.present(t, version, stored);
      const obj = clone(body);
      obj.metadata = obj.metadata ?? {};
      if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
        throw errors.badRequest(
          `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
        );
      }
      if (
        t.namespaced &&
        obj.metadata.namespace &&
        obj.metadata.namespace !== ns
      ) {
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      const rv = obj.metadata.resourceVersion;
      if (
        rv !== undefined &&
        rv !== '' &&
        rv !== old.metadata.resourceVersion
      ) {
        throw errors.conflict({ group: t.group, resource: t.plural, name });
      }
      obj.metadata.name = name;
      if (t.namespaced) obj.metadata.namespace = ns;
      else delete obj.metadata.namespace;
      obj.apiVersion = apiVersionOf(t, version);
      obj.kind = t.kind;
      let next: any;
      if (opts.status) {
        // a status write changes only the status (and nothing of metadata the server owns)
        next = { ...clone(old), status: obj.status };
        if (next.status === undefined) delete next.status;
      } else {
        next = obj;
        if (t.subresources.includes('status')) {
          if (old.status !== undefined) next.status = clone(old.status);
          else delete next.status;
        }
        applyDefaults(t, next, old, version);
      }
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
        next.metadata.deletionGracePeriodSeconds =
          old.metadata.deletionGracePeriodSeconds;
      }
      next.apiVersion = apiVersionOf(t, version);
      const warnings = validateObject(
        t,
        version,
        next,
        opts.fieldValidation ?? 'Warn',
      );
      if (hasGeneration(t)) {
        next.metadata.generation =
          (old.metadata.generation ?? 1) +
          (!opts.status && specOf(next) !== specOf(old) ? 1 : 0);
      } else delete next.metadata.generation;
      if (!opts.status) validateUpdate(t, next, old);
      for (const a of this.admissions) a('update', t, next, old);
      const converted = this.order(toStorage(t, version, next));
      const unchanged =
        canonical({
          ...converted,
          metadata: { ...converted.metadata, resourceVersion: undefined },
        }) ===
        canonical({
          ...stored,
          metadata: { ...stored.metadata, resourceVersion: undefined },
        });
      if (unchanged || opts.dryRun) {
        // a no-op update keeps the resourceVersion and sends no event, like the real server
        return { object: clone(unchanged ? stored : converted), warnings };
      }
      converted.metadata.resourceVersion = String(
        this.store.nextResourceVersion(),
      );
      this.store.put(t, converted, 'MODIFIED');
      return { object: clone(converted), warnings };
    });
  }

  patch(
    t: ResourceType,
    version: string,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patchBody: any,
    opts: WriteOptions & { force?: boolean } = {},
  ): WriteResult {
    return this.write(() => {
      if (!t.verbs.includes('patch'))
        throw errors.methodNotSupported(
          { group: t.group, resource: t.plural },
          'patch',
        );
      const existing = this.store.get(t, t.namespaced ? ns : undefined, name);
      if (!existing) {
        if (type === 'apply') {
          // server-side apply creates what does not exist
          return this.create(t, version, ns, patchBody, {
            ...opts,
            allowResourceVersion: true,
          });
        }
        throw errors.notFound({ group: t.group, resource: t.plural, name });
      }
      const current = this.present(t, version, existing);
      let next: any;
      switch (type) {
        case 'json':
          next = jsonPatch(current, patchBody);
          break;
        case 'merge':
          next = mergePatch(current, patchBody);
          break;
        case 'strategic':
          if (t.crd) {
            throw new StatusError({
              ...errors.notAcceptableType(
                'application/strategic-merge-patch+json',
              ).status,
              message:
                'strategic merge patch is not supported for custom resources',
            });
          }
          next = strategicMergePatch(current, patchBody);
          break;
        default:
          next = t.crd
            ? mergePatch(current, patchBody)
            : strategicMergePatch(current, patchBody);
      }
      if (!next || typeof next !== 'object')
        throw errors.badRequest('the patch did not produce an object');
      next.metadata = next.metadata ?? {};
      const patchRv = patchBody?.metadata?.resourceVersion;
      // a patch is unconditional unless it names a resourceVersion itself
      if (patchRv === undefined)
        next.metadata.resourceVersion = existing.metadata.resourceVersion;
      return this.update(t, version, ns, name, next, opts);
    });
  }

  delete(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    opts: {
      dryRun?: boolean;
      propagationPolicy?: string;
      preconditions?: { uid?: string; resourceVersion?: string };
    } = {},
  ): any {
    return this.write(() => {
      if (!t.verbs.includes('delete'))
        throw errors.methodNotSupported(
          { group: t.group, resource: t.plural },
          'delete',
        );
      const obj = this.get(t, t.namespaced ? ns : undefined, name);
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== obj.metadata.uid) {
        throw errors.conflictWith(
          { group: t.group, resource: t.plural, name },
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`,
        );
      }
      if (
        pre.resourceVersion &&
        pre.resourceVersion !== obj.metadata.resourceVersion
      ) {
        throw errors.conflictWith(
          { group: t.group, resource: t.plural, name },
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
        );
      }
      if (opts.dryRun) return clone(obj);
      if (t.kind === 'Namespace') return this.terminateNamespace(t, obj);
      this.store.remove(t, obj);
      this.collectGarbage(obj.metadata.uid, opts.propagationPolicy);
      return clone(obj);
    });
  }

  /**
   * Namespaces terminate asynchronously, as on a cluster: the namespace turns
   * Terminating at once (no new objects may be created in it), its contents
   * and then the namespace itself go away NAMESPACE_TERMINATION_MS later.
   */
  private terminateNamespace(t: ResourceType, ns: any): any {
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
    next.metadata.resourceVersion = String(this.store.nextResourceVersion());
    this.store.put(t, next, 'MODIFIED');
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      this.write(() => {
        const name = ns.metadata.name;
        for (const nt of this.types.filter(x => x.namespaced)) {
          for (const o of this.store.list(nt, name)) this.store.remove(nt, o);
        }
        const current = this.store.get(t, undefined, name);
        if (current && current.metadata.uid === ns.metadata.uid)
          this.store.remove(t, current);
      });
    }, NAMESPACE_TERMINATION_MS);
    this.pendingTimers.add(timer);
    return clone(next);
  }

  /** Runs `fn` as one write after `ms` (a controller's later step); cancelled by close(). */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      try {
        this.write(fn);
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
      }
    }, ms);
    this.pendingTimers.add(timer);
  }

  /** Stops pending asynchronous work (namespace termination, controllers' later steps). */
  close(): void {
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
  }

  /** Deletes (or orphans) the dependents of a deleted owner, like the garbage collector. */
  private collectGarbage(uid: string, policy?: string): void {
    for (const t of this.types) {
      for (const o of this.store.list(t)) {
        const refs: any[] = o.metadata.ownerReferences ?? [];
        if (!refs.some(r => r.uid === uid)) continue;
        if (policy === 'Orphan') {
          const next = clone(o);
          next.metadata.ownerReferences = refs.filter(r => r.uid !== uid);
          if (!next.metadata.ownerReferences.length)
            delete next.metadata.ownerReferences;
          next.metadata.resourceVersion = String(
            this.store.nextResourceVersion(),
          );
          this.store.put(t, next, 'MODIFIED');
          continue;
        }
        const others = refs.filter(
          r => r.uid !== uid && this.ownerExists(r, o.metadata.namespace),
        );
        if (
          others.length === 0 &&
          this.store.get(t, o.metadata.namespace, o.metadata.name)
        ) {
          this.store.remove(t, o);
          this.collectGarbage(o.metadata.uid, policy);
        }
      }
    }
  }

  private ownerExists(ref: any, ns: string | undefined): boolean {
    const [group] = splitApiVersion(ref.apiVersion ?? '');
    const t = this.types.find(x => x.group === group && x.kind === ref.kind);
    if (!t) return false;
    const o = this.store.get(t, ns, ref.name);
    return !!o && o.metadata.uid === ref.uid;
  }
}
