/*
 * Discovery documents: legacy (/api, /apis, /api/v1, /apis/g/v) and
 * aggregated discovery (apidiscovery.k8s.io/v2), which kubectl 1.30+ asks for.
 */
import { ResourceType } from './resources';

const SUB_VERBS = ['get', 'patch', 'update'];
/** Verbs of a subresource: `pods/log` is read-only. */
const subVerbs = (s: string) => (s === 'log' ? ['get'] : SUB_VERBS);

export const AGGREGATED_V2 =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function groupsOf(types: ResourceType[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const vs = groups.get(t.group) ?? [];
    for (const v of t.versions) if (!vs.includes(v)) vs.push(v);
    groups.set(t.group, vs);
  }
  // preferred version first: the highest stability (v1 > v1beta2 > v1beta1 > v1alpha1)
  const rank = (v: string) => {
    const m = /^v(\d+)(alpha|beta)?(\d*)$/.exec(v)!;
    const stability: Record<string, number> = { alpha: 100, beta: 500 };
    return Number(m[1]) * 1000 + (stability[m[2]] ?? 900) + Number(m[3] || 0);
  };
  for (const vs of groups.values()) vs.sort((a, b) => rank(b) - rank(a));
  return groups;
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]) {
  const gv = versions.map(v => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gv, preferredVersion: gv[0] };
}

export function apiGroupList(types: ResourceType[]) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groupsOf(types)].map(([g, vs]) => groupEntry(g, vs)),
  };
}

export function apiGroup(types: ResourceType[], group: string) {
  const vs = groupsOf(types).get(group);
  return vs
    ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs) }
    : undefined;
}

export function apiResourceList(
  types: ResourceType[],
  group: string,
  version: string,
) {
  const ts = types.filter(
    t => t.group === group && t.versions.includes(version),
  );
  if (!ts.length) return undefined;
  const resources: object[] = [];
  for (const t of ts) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    });
    for (const s of t.subresources) {
      resources.push({
        name: `${t.plural}/${s}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(s === 'scale'
          ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
          : { kind: t.kind }),
        verbs: subVerbs(s),
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function discoveryResource(t: ResourceType, version: string) {
  return {
    resource: t.plural,
    responseKind: { group: t.group, version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? {
          subresources: t.subresources.map(s => ({
            subresource: s,
            responseKind:
              s === 'scale'
                ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
                : { group: t.group, version, kind: t.kind },
            verbs: subVerbs(s),
          })),
        }
      : {}),
  };
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (legacy) or /apis. */
export function aggregatedDiscovery(types: ResourceType[], legacy: boolean) {
  const items = legacy
    ? [
        {
          metadata: { creationTimestamp: null },
          versions: [
            {
              version: 'v1',
              resources: types
                .filter(t => !t.group)
                .map(t => discoveryResource(t, 'v1')),
              freshness: 'Current',
            },
          ],
        },
      ]
    : [...groupsOf(types)].map(([g, vs]) => ({
        metadata: { name: g, creationTimestamp: null },
        versions: vs.map(v => ({
          version: v,
          resources: types
            .filter(t => t.group === g && t.versions.includes(v))
            .map(t => discoveryResource(t, v)),
          freshness: 'Current',
        })),
      }));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items,
  };
}
