/*
 * OpenAPI documents, as far as clients need them: kubectl 1.32 reads
 * /openapi/v3 to learn that the server does field validation (the
 * `fieldValidation` query parameter of each kind's PATCH operation). Schemas
 * of the built-in kinds are not published, so kubectl computes strategic
 * merge patches from its compiled-in types, as it does for any server whose
 * document lacks them; custom resources get their CRD schema.
 */
import { createHash } from 'node:crypto';
import { ResourceType, apiVersionOf } from './resources';
import { crdSchema } from './crds';

function gvPath(t: ResourceType, version: string): string {
  return t.group ? `apis/${t.group}/${version}` : `api/${version}`;
}

function pathsFor(t: ResourceType, version: string): Record<string, unknown> {
  const gvk = { group: t.group, version, kind: t.kind };
  const base = `/${gvPath(t, version)}${
    t.namespaced ? '/namespaces/{namespace}' : ''
  }/${t.plural}`;
  const ref = { $ref: `#/components/schemas/${schemaName(t, version)}` };
  const content = { 'application/json': { schema: ref } };
  const op = (action: string, params: string[]) => ({
    tags: [t.group || 'core'],
    operationId: `${action}${t.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    parameters: params.map(name => ({
      name,
      in: 'query',
      schema: { type: 'string', uniqueItems: true },
    })),
    responses: { '200': { description: 'OK', content } },
  });
  const writeParams = ['dryRun', 'fieldManager', 'fieldValidation', 'pretty'];
  return {
    [base]: {
      get: op('list', [
        'labelSelector',
        'fieldSelector',
        'limit',
        'continue',
        'resourceVersion',
        'watch',
        'timeoutSeconds',
      ]),
      post: { ...op('post', writeParams), requestBody: { content } },
      ...(t.verbs.includes('deletecollection')
        ? { delete: op('deletecollection', ['labelSelector', 'fieldSelector']) }
        : {}),
    },
    [`${base}/{name}`]: {
      get: op('get', ['pretty']),
      put: { ...op('put', writeParams), requestBody: { content } },
      patch: {
        ...op('patch', [...writeParams, 'force']),
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
        },
      },
      delete: op('delete', [
        'dryRun',
        'gracePeriodSeconds',
        'propagationPolicy',
      ]),
    },
  };
}

function schemaName(t: ResourceType, version: string): string {
  const g = t.group
    ? t.group.split('.').reverse().join('.')
    : 'io.k8s.api.core';
  return `${g}.${version}.${t.kind}`;
}

/** Group-versions served, as `api/v1` / `apis/apps/v1`. */
function groupVersions(
  types: ResourceType[],
): Map<string, Array<[ResourceType, string]>> {
  const out = new Map<string, Array<[ResourceType, string]>>();
  for (const t of types) {
    for (const v of t.versions) {
      const k = gvPath(t, v);
      out.set(k, [...(out.get(k) ?? []), [t, v]]);
    }
  }
  return out;
}

export function openApiV3Root(types: ResourceType[]) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions(types).keys()) {
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiV3GroupVersion(types, gv)))
      .digest('hex')
      .slice(0, 64)
      .toUpperCase();
    paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths };
}

export function openApiV3GroupVersion(types: ResourceType[], gv: string) {
  const entries = groupVersions(types).get(gv.replace(/\?.*$/, ''));
  if (!entries) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const [t, v] of entries) {
    Object.assign(paths, pathsFor(t, v));
    const s = t.crd ? crdSchema(t, v) : null;
    schemas[schemaName(t, v)] = {
      ...(s ?? {
        type: 'object',
        description: `${t.kind} (${apiVersionOf(t, v)})`,
      }),
      'x-kubernetes-group-version-kind': [
        { group: t.group, version: v, kind: t.kind },
      ],
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    components: { schemas },
  };
}

/** A minimal Swagger 2.0 document (paths only), for clients that probe /openapi/v2. */
export function openApiV2(types: ResourceType[]) {
  const paths: Record<string, unknown> = {};
  for (const t of types)
    for (const v of t.versions) Object.assign(paths, pathsFor(t, v));
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths,
    definitions: {},
  };
}
