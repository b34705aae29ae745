import { humanizeEntityRef } from '@backstage/plugin-catalog-react';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  GpuQuotasResponse,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';

/** A team's entity ref as people read it, e.g. `fraud-team`. */
export function teamLabel(ref: string | undefined): string {
  if (!ref) return 'no team';
  try {
    return humanizeEntityRef(parseEntityRef(ref), { defaultKind: 'group' });
  } catch {
    return ref;
  }
}

/** Identifies a namespace quota in forms: `<cluster>/<namespace>`. */
export const quotaKey = (q: Pick<NamespaceGpuQuota, 'cluster' | 'namespace'>) =>
  `${q.cluster}/${q.namespace}`;

/** The quotas whose team is one of the user's ownership refs. */
export function quotasOfTeams(
  response: GpuQuotasResponse,
  ownershipEntityRefs: string[],
): NamespaceGpuQuota[] {
  const mine = new Set(ownershipEntityRefs);
  return response.quotas.filter(q => q.team !== undefined && mine.has(q.team));
}
