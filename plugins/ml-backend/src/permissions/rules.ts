import {
  Entity,
  RELATION_OWNED_BY,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { createPermissionRule } from '@backstage/plugin-permission-node';
import { z } from 'zod';
import {
  mlGpuQuotaPermissionResourceRef,
  mlModelPermissionResourceRef,
  mlPipelinePermissionResourceRef,
} from './resources';

const claimsSchema = z.object({
  claims: z
    .array(z.string())
    .describe(
      "Entity refs the user holds (their ownershipEntityRefs); matches when one is the resource's owner",
    ),
});

/**
 * The owner of a catalog entity: its `ownedBy` relations as the catalog
 * computed them, else `spec.owner` resolved the way the catalog resolves it
 * (kind group, the entity's namespace).
 *
 * @public
 */
export function entityOwnerRefs(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length) return related;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return [];
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}

const description =
  'Allow when the resource is owned by one of the claims (e.g. the teams the user is a member of)';

/**
 * `IS_OWNING_TEAM_MEMBER` on a GPU quota: the namespace's owning team is one
 * of `claims`. A namespace without an owning team matches nobody.
 *
 * @public
 */
export const isGpuQuotaOwningTeamMember = createPermissionRule({
  name: 'IS_OWNING_TEAM_MEMBER',
  description,
  resourceRef: mlGpuQuotaPermissionResourceRef,
  paramsSchema: claimsSchema,
  apply: (resource, { claims }) =>
    resource.ownerRef !== undefined && claims.includes(resource.ownerRef),
  toQuery: ({ claims }) => ({ key: 'owner', values: claims }),
});

/**
 * `IS_OWNING_TEAM_MEMBER` on a Model: its owner is one of `claims`.
 *
 * @public
 */
export const isModelOwningTeamMember = createPermissionRule({
  name: 'IS_OWNING_TEAM_MEMBER',
  description,
  resourceRef: mlModelPermissionResourceRef,
  paramsSchema: claimsSchema,
  apply: (entity, { claims }) =>
    entityOwnerRefs(entity).some(ref => claims.includes(ref)),
  toQuery: ({ claims }) => ({ key: 'owner', values: claims }),
});

/**
 * `IS_OWNING_TEAM_MEMBER` on a Pipeline: its owner is one of `claims`.
 *
 * @public
 */
export const isPipelineOwningTeamMember = createPermissionRule({
  name: 'IS_OWNING_TEAM_MEMBER',
  description,
  resourceRef: mlPipelinePermissionResourceRef,
  paramsSchema: claimsSchema,
  apply: (entity, { claims }) =>
    entityOwnerRefs(entity).some(ref => claims.includes(ref)),
  toQuery: ({ claims }) => ({ key: 'owner', values: claims }),
});

/**
 * The ML permission rules by resource type, as registered with the
 * permissions registry.
 *
 * @public
 */
export const mlPermissionRules = {
  gpuQuota: { isOwningTeamMember: isGpuQuotaOwningTeamMember },
  model: { isOwningTeamMember: isModelOwningTeamMember },
  pipeline: { isOwningTeamMember: isPipelineOwningTeamMember },
};
