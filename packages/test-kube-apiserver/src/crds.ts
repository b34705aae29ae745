/*
 * The vendored CustomResourceDefinitions (src/crds/*.yaml, trimmed copies of
 * the upstream CRDs; each file names its source and licence).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ResourceType } from './resources';

const cache = new Map<string, any | null>();

/** The vendored CRD object of a custom resource type, if there is one. */
export function crdObject(t: ResourceType): any | null {
  // the package is used from source (package.json main is src/index.ts), so
  // the vendored files sit next to this module
  // eslint-disable-next-line no-restricted-syntax
  const file = path.join(__dirname, 'crds', `${t.group}_${t.plural}.yaml`);
  if (!cache.has(file)) {
    let crd: any = null;
    if (fs.existsSync(file)) {
      crd = parseAllDocuments(fs.readFileSync(file, 'utf8'))[0]?.toJS() ?? null;
    }
    cache.set(file, crd);
  }
  return cache.get(file);
}

/**
 * Applies the `default`s of a structural schema to `value` in place, as the
 * API server does for custom resources on decode.
 */
export function applySchemaDefaults(value: unknown, schema: any): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) applySchemaDefaults(item, schema.items);
    return;
  }
  const o = value as Record<string, unknown>;
  for (const [key, child] of Object.entries<any>(schema.properties ?? {})) {
    if (o[key] === undefined && child?.default !== undefined) {
      o[key] = structuredClone(child.default);
    }
    applySchemaDefaults(o[key], child);
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const v of Object.values(o))
      applySchemaDefaults(v, schema.additionalProperties);
  }
}

/** openAPIV3Schema of one served version of a custom resource type. */
export function crdSchema(t: ResourceType, version: string): any | null {
  const crd = crdObject(t);
  const v = crd?.spec?.versions?.find((x: any) => x.name === version);
  return v?.schema?.openAPIV3Schema ?? null;
}
