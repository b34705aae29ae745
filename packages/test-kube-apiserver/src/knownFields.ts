/*
 * Known-field trees of the built-in kinds, read from the TypeScript
 * declarations that kubernetes-models generates from the Kubernetes OpenAPI
 * document. Its compiled validators do not reject unknown fields (the OpenAPI
 * document has no `additionalProperties: false`), but the real API server's
 * strict decoder does, so `fieldValidation=Strict` needs the field names.
 */
import fs from 'node:fs';
import path from 'node:path';

/** How the value of one field is shaped. */
export type FieldType =
  | { kind: 'leaf' }
  | { kind: 'object'; file: string }
  | { kind: 'array'; item: FieldType }
  | { kind: 'map'; value: FieldType };

const LEAF: FieldType = { kind: 'leaf' };
const cache = new Map<string, Map<string, FieldType> | null>();

const packageRoots = new Map<string, string>();

/** `kubernetes-models/v1/Pod` → the absolute path of its `.d.ts`. */
function declarationsFile(modulePath: string): string {
  const parts = modulePath.split('/');
  const pkg = parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  let root = packageRoots.get(pkg);
  if (!root) {
    // the packages' export maps hide package.json, not their index
    root = path.dirname(require.resolve(pkg));
    packageRoots.set(pkg, root);
  }
  return path.join(root, `${modulePath.slice(pkg.length)}.d.ts`);
}

/** Splits the body of an interface into its top-level `"name"?: type;` members. */
function members(body: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const stripped = body.replace(/\/\*\*[\s\S]*?\*\//g, '');
  let i = 0;
  while (i < stripped.length) {
    const m = /"([^"]+)"\??:\s*/y;
    m.lastIndex = i;
    const hit = m.exec(stripped);
    if (!hit) {
      i++;
      continue;
    }
    let j = m.lastIndex;
    let depth = 0;
    while (j < stripped.length) {
      const c = stripped[j];
      if (c === '{' || c === '<' || c === '(') depth++;
      else if (c === '}' || c === '>' || c === ')') depth--;
      else if (c === ';' && depth === 0) break;
      j++;
    }
    out.push([hit[1], stripped.slice(m.lastIndex, j).trim()]);
    i = j + 1;
  }
  return out;
}

function parseType(
  text: string,
  imports: Map<string, string>,
  dir: string,
): FieldType {
  const t = text.trim();
  const arr = /^Array<([\s\S]*)>$/.exec(t);
  if (arr) return { kind: 'array', item: parseType(arr[1], imports, dir) };
  const map = /^\{\s*\[key: string\]:\s*([\s\S]*?);?\s*\}$/.exec(t);
  if (map) return { kind: 'map', value: parseType(map[1], imports, dir) };
  const ref = imports.get(t);
  if (ref) {
    const file = ref.startsWith('.') ? path.join(dir, ref) : ref;
    return { kind: 'object', file };
  }
  return LEAF;
}

/**
 * The fields of the interface declared in `file` (module path without
 * extension), or null when it is not an object type (e.g. Quantity).
 */
export function fieldsOf(file: string): Map<string, FieldType> | null {
  if (cache.has(file)) return cache.get(file)!;
  let source: string;
  try {
    source = fs.readFileSync(declarationsFile(file), 'utf8');
  } catch {
    cache.set(file, null);
    return null;
  }
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    imports.set(m[1], m[2]);
  }
  const iface = /export interface I\w+(?: extends [\w, ]+)? \{/.exec(source);
  if (!iface) {
    cache.set(file, null);
    return null;
  }
  let depth = 1;
  let k = iface.index + iface[0].length;
  const start = k;
  while (k < source.length && depth > 0) {
    if (source[k] === '{') depth++;
    else if (source[k] === '}') depth--;
    k++;
  }
  const dir = path.dirname(file);
  const fields = new Map<string, FieldType>();
  for (const [name, type] of members(source.slice(start, k - 1))) {
    fields.set(name, parseType(type, imports, dir));
  }
  if (/extends TypeMeta/.test(iface[0])) {
    fields.set('apiVersion', LEAF);
    fields.set('kind', LEAF);
  }
  cache.set(file, fields);
  return fields;
}

/**
 * Paths (`spec.containers[0].foo`) of fields that `value` has but the type
 * declared in `file` does not know.
 */
export function unknownFields(
  value: unknown,
  file: string,
  prefix = '',
): string[] {
  const fields = fieldsOf(file);
  if (!fields || !value || typeof value !== 'object' || Array.isArray(value)) {
    return [];
  }
  const out: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const p = prefix ? `${prefix}.${key}` : key;
    const type = fields.get(key);
    if (!type) {
      out.push(p);
      continue;
    }
    out.push(...walk(child, type, p));
  }
  return out;
}

function walk(value: unknown, type: FieldType, p: string): string[] {
  if (value === null || value === undefined) return [];
  switch (type.kind) {
    case 'object':
      return unknownFields(value, type.file, p);
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((v, i) => walk(v, type.item, `${p}[${i}]`))
        : [];
    case 'map':
      return value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) =>
            walk(v, type.value, `${p}[${k}]`),
          )
        : [];
    default:
      return [];
  }
}

/** Removes the unknown fields at `paths` (as produced by unknownFields). */
export function pruneFields(obj: unknown, paths: string[]): void {
  for (const p of paths) {
    const parts = p.match(/[^.[\]]+/g) ?? [];
    let cur: any = obj;
    for (let i = 0; i < parts.length - 1 && cur; i++) cur = cur[parts[i]];
    if (cur && typeof cur === 'object') delete cur[parts[parts.length - 1]];
  }
}
