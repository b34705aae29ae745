/*
 * API semantics on top of the store: the write verbs (create, update,
 * patch, delete) with defaulting, metadata the server owns (uid,
 * resourceVersion, generation, creationTimestamp), optimistic concurrency,
 * status subresources and admission. The namespace lifecycle, the garbage
 * collector, when controllers run and the patch algorithms have files of
 * their own. A little over 400 lines because the four verbs read best side
 * by side: each takes the same steps in the same order.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  CrdGroup,
  ResourceType,
  servedTypes,
  apiVersionOf,
  splitApiVersion,
} from './resources';
import { Store } from './store';
import { PodLogs } from './podLogs';
import { errors } from './status';
import { FieldValidation, validateObject, validateUpdate } from './validation';
import { PatchType, applyPatch } from './patch';
import { applyDefaults } from './defaults';
import { converts, fromStorage, toStorage } from './conversion';
import { canonical, clone } from './json';
import { Controller, Reactor } from './reactor';
import { collectGarbage } from './garbageCollector';
import { requireNamespace, terminateNamespace } from './namespaces';
import { hasGeneration, now, serverOrder, specOf } from './serverOwned';

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

export class Cluster {
  readonly store = new Store();
  /** Container logs the kubelet writes and `pods/log` serves. */
  readonly podLogs = new PodLogs();
  readonly types: ResourceType[];
  private readonly admissions: Admission[] = [];
  private readonly reactor = new Reactor(this.store);

  constructor(crds: CrdGroup[]) {
    this.types = servedTypes(crds);
  }

  addAdmission(a: Admission): void {
    this.admissions.push(a);
  }

  addController(c: Controller): void {
    this.reactor.addController(c);
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

  /** Runs several writes as one: controllers react once `fn` is done. */
  batch<T>(fn: () => T): T {
    return this.write(fn);
  }

  /** Runs `fn` as one client write; controllers react once the outermost write is done. */
  private write<T>(fn: () => T): T {
    return this.reactor.write(fn);
  }

  /** Runs `fn` as one write after `ms` (a controller's later step); cancelled by close(). */
  later(ms: number, fn: () => void): void {
    this.reactor.later(ms, fn);
  }

  /** Stops pending asynchronous work (namespace termination, controllers' later steps). */
  close(): void {
    this.reactor.close();
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
      requireNamespace(
        this.store,
        this.types,
        t,
        obj.metadata.namespace,
        true,
        obj.metadata.name,
      );
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
      const stored = serverOrder(toStorage(t, version, obj));
      this.store.put(t, stored, 'ADDED');
      return { object: clone(stored), warnings };
    });
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
      const converted = serverOrder(toStorage(t, version, next));
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
      const next: any = applyPatch(t, type, current, patchBody);
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
      if (t.kind === 'Namespace')
        return terminateNamespace(
          this.store,
          this.types,
          (ms, fn) => this.later(ms, fn),
          t,
          obj,
        );
      this.store.remove(t, obj);
      collectGarbage(
        this.store,
        this.types,
        obj.metadata.uid,
        opts.propagationPolicy,
      );
      return clone(obj);
    });
  }
}
