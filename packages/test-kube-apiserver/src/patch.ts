/*
 * The patch types the API server accepts: JSON merge patch (RFC 7386),
 * JSON patch (RFC 6902), strategic merge patch (for the list fields kubectl
 * sends with merge keys) and server-side apply (as a merge of the applied
 * configuration, without field ownership).
 */
import { ResourceType } from './resources';
import { StatusError, errors } from './status';

/** The patch types, by the Content-Type of a PATCH. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const isObject = (v: unknown): v is Record<string, any> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, any> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/'))
    throw errors.badRequest(`JSON Pointer must start with '/': ${path}`);
  return path
    .slice(1)
    .split('/')
    .map(p => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function resolveParent(doc: any, parts: string[], op: string) {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) {
      throw errors.internal(
        `the server rejected our request due to an error in our request: ${op} operation does not apply: doc is missing path: /${parts.join(
          '/',
        )}`,
      );
    }
    cur = cur[p];
  }
  return cur;
}

/** RFC 6902, applied to a copy. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw errors.badRequest(
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  }
  let root: any = structuredClone(doc);
  for (const op of ops) root = applyOperation(root, op);
  return root;
}

function applyOperation(input: any, op: any): any {
  let root = input;
  const parts = pointer(op.path ?? '');
  const missing = () =>
    errors.internal(
      `the server rejected our request due to an error in our request: ${op.op} operation does not apply: doc is missing path: ${op.path}`,
    );
  const get = (ps: string[]) => {
    let cur = root;
    for (const p of ps) {
      if (cur === null || typeof cur !== 'object' || !(p in cur))
        throw missing();
      cur = cur[p];
    }
    return cur;
  };
  const remove = (ps: string[]) => {
    const parent = resolveParent(root, ps, op.op);
    const key = ps[ps.length - 1];
    if (Array.isArray(parent)) {
      const i = Number(key);
      if (!(i >= 0 && i < parent.length)) throw missing();
      return parent.splice(i, 1)[0];
    }
    if (!parent || !(key in parent)) throw missing();
    const v = parent[key];
    delete parent[key];
    return v;
  };
  const add = (ps: string[], value: unknown) => {
    if (ps.length === 0) {
      root = value;
      return;
    }
    const parent = resolveParent(root, ps, op.op);
    const key = ps[ps.length - 1];
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!(i >= 0 && i <= parent.length)) throw missing();
      parent.splice(i, 0, value);
    } else if (parent && typeof parent === 'object') parent[key] = value;
    else throw missing();
  };
  switch (op.op) {
    case 'add':
      add(parts, structuredClone(op.value));
      break;
    case 'remove':
      remove(parts);
      break;
    case 'replace':
      get(parts);
      if (parts.length === 0) root = structuredClone(op.value);
      else {
        const parent = resolveParent(root, parts, op.op);
        parent[parts[parts.length - 1]] = structuredClone(op.value);
      }
      break;
    case 'move':
      add(parts, remove(pointer(op.from)));
      break;
    case 'copy':
      add(parts, structuredClone(get(pointer(op.from))));
      break;
    case 'test':
      if (JSON.stringify(get(parts)) !== JSON.stringify(op.value)) {
        throw errors.internal(
          `the server rejected our request due to an error in our request: testing value ${op.path} failed: test failed`,
        );
      }
      break;
    default:
      throw errors.badRequest(`Unexpected kind: ${op.op}`);
  }
  return root;
}

/**
 * Merge keys of the list fields of the built-in types (the
 * `x-kubernetes-patch-merge-key` of the OpenAPI document); lists not named
 * here are replaced, as for fields with the default `replace` strategy.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  tolerations: 'key',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  schedulingGates: 'name',
};
/** Service ports merge on `port`, container ports on `containerPort`. */
function mergeKey(field: string, items: unknown[]): string | undefined {
  if (
    field === 'ports' &&
    items.some(i => isObject(i) && 'port' in i && !('containerPort' in i))
  ) {
    return 'port';
  }
  return MERGE_KEYS[field];
}

function strategicList(
  field: string,
  target: unknown,
  patch: unknown[],
  order?: unknown[],
): unknown[] {
  const existing = Array.isArray(target) ? target : [];
  const key = mergeKey(field, patch.length ? patch : existing);
  if (!key || !Array.isArray(target)) {
    return patch.filter(p => !(isObject(p) && p.$patch === 'delete'));
  }
  const out = target.map(t => t);
  for (const p of patch) {
    if (!isObject(p)) continue;
    const i = out.findIndex(t => isObject(t) && t[key] === p[key]);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (p.$patch === 'replace') {
      const { $patch, ...rest } = p;
      if (i >= 0) out[i] = rest;
      else out.push(rest);
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], p);
    else out.push(strategicMergePatch({}, p));
  }
  if (order) {
    const pos = (v: any) =>
      order.findIndex(o => isObject(o) && isObject(v) && o[key] === v[key]);
    out.sort((a, b) => {
      const pa = pos(a);
      const pb = pos(b);
      return (pa < 0 ? Infinity : pa) - (pb < 0 ? Infinity : pb);
    });
  }
  return out;
}

/**
 * Strategic merge patch with the directives kubectl emits
 * (`$patch`, `$setElementOrder/<list>`, `$retainKeys`, `$deleteFromPrimitiveList/<list>`).
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch, ...rest } = patch;
    return rest;
  }
  if (patch.$patch === 'delete') return undefined;
  let out: Record<string, any> = isObject(target) ? { ...target } : {};
  if (Array.isArray(patch.$retainKeys)) {
    const keep = new Set(patch.$retainKeys as string[]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (
      k === '$retainKeys' ||
      k === '$patch' ||
      k.startsWith('$setElementOrder/')
    )
      continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(out[field]) && Array.isArray(v)) {
        out[field] = out[field].filter((x: unknown) => !v.includes(x));
      }
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v))
      out[k] = strategicList(k, out[k], v, patch[`$setElementOrder/${k}`]);
    else {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  for (const k of Object.keys(patch)) {
    if (k.startsWith('$setElementOrder/')) {
      const field = k.slice('$setElementOrder/'.length);
      if (!(field in patch) && Array.isArray(out[field])) {
        out[field] = strategicList(field, out[field], [], patch[k]);
      }
    }
  }
  return out;
}

/**
 * `current` (an object of `t`) with a patch of `type` applied. Custom
 * resources take no strategic merge patch; apply is a merge (strategic for
 * built-in kinds).
 */
export function applyPatch(
  t: ResourceType,
  type: PatchType,
  current: unknown,
  patchBody: unknown,
): unknown {
  switch (type) {
    case 'json':
      return jsonPatch(current, patchBody);
    case 'merge':
      return mergePatch(current, patchBody);
    case 'strategic':
      if (t.crd) {
        throw new StatusError({
          ...errors.notAcceptableType('application/strategic-merge-patch+json')
            .status,
          message:
            'strategic merge patch is not supported for custom resources',
        });
      }
      return strategicMergePatch(current, patchBody);
    default:
      return t.crd
        ? mergePatch(current, patchBody)
        : strategicMergePatch(current, patchBody);
  }
}
