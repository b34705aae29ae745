import {
  ConditionalPolicyDecision,
  PermissionCondition,
  PermissionCriteria,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { createConditionExports } from '@backstage/plugin-permission-node';
import {
  RESOURCE_TYPE_ML_GPU_QUOTA,
  RESOURCE_TYPE_ML_MODEL,
  RESOURCE_TYPE_ML_PIPELINE,
} from '@mlplatform/plugin-ml-common';
import {
  mlGpuQuotaPermissionResourceRef,
  mlModelPermissionResourceRef,
  mlPipelinePermissionResourceRef,
} from './resources';
import { mlPermissionRules } from './rules';

const gpuQuota = createConditionExports({
  resourceRef: mlGpuQuotaPermissionResourceRef,
  rules: mlPermissionRules.gpuQuota,
});
const model = createConditionExports({
  resourceRef: mlModelPermissionResourceRef,
  rules: mlPermissionRules.model,
});
const pipeline = createConditionExports({
  resourceRef: mlPipelinePermissionResourceRef,
  rules: mlPermissionRules.pipeline,
});

/**
 * Resource types of the ML permissions that take conditions.
 *
 * @public
 */
export type MlResourceType =
  | typeof RESOURCE_TYPE_ML_GPU_QUOTA
  | typeof RESOURCE_TYPE_ML_MODEL
  | typeof RESOURCE_TYPE_ML_PIPELINE;

/**
 * Condition factories for policy authors, one set per ML resource type, e.g.
 * `mlConditions.gpuQuota.isOwningTeamMember({ claims })`.
 *
 * @public
 */
export const mlConditions = {
  gpuQuota: gpuQuota.conditions,
  model: model.conditions,
  pipeline: pipeline.conditions,
};

const conditionsKey = {
  [RESOURCE_TYPE_ML_GPU_QUOTA]: 'gpuQuota',
  [RESOURCE_TYPE_ML_MODEL]: 'model',
  [RESOURCE_TYPE_ML_PIPELINE]: 'pipeline',
} as const;

const byResourceType = {
  [RESOURCE_TYPE_ML_GPU_QUOTA]: gpuQuota,
  [RESOURCE_TYPE_ML_MODEL]: model,
  [RESOURCE_TYPE_ML_PIPELINE]: pipeline,
};

/**
 * Tells whether a permission is one of the ML resource permissions that
 * {@link createMlPermissionConditionalDecision} accepts.
 *
 * @public
 */
export function isMlResourcePermission(permission: {
  type: string;
  resourceType?: string;
}): permission is ResourcePermission<MlResourceType> {
  return (
    permission.type === 'resource' &&
    permission.resourceType !== undefined &&
    Object.hasOwn(byResourceType, permission.resourceType)
  );
}

/**
 * Wraps conditions on an ML resource permission into the conditional
 * decision a policy returns; the ML backend evaluates it against the quota,
 * Model or Pipeline.
 *
 * @public
 */
export function createMlPermissionConditionalDecision(
  permission: ResourcePermission<MlResourceType>,
  conditions: PermissionCriteria<PermissionCondition<MlResourceType>>,
): ConditionalPolicyDecision {
  return byResourceType[permission.resourceType].createConditionalDecision(
    permission as any,
    conditions as any,
  );
}

/**
 * The condition "the user is a member of the team owning the resource" for
 * any ML resource permission, e.g. with `claims` = the user's
 * `ownershipEntityRefs`.
 *
 * @public
 */
export function mlIsOwningTeamMember(
  permission: ResourcePermission<MlResourceType>,
  claims: string[],
): PermissionCondition<MlResourceType> {
  return mlConditions[
    conditionsKey[permission.resourceType]
  ].isOwningTeamMember({ claims });
}
