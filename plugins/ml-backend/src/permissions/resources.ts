import { Entity } from '@backstage/catalog-model';
import { createPermissionResourceRef } from '@backstage/plugin-permission-node';
import {
  RESOURCE_TYPE_ML_GPU_QUOTA,
  RESOURCE_TYPE_ML_MODEL,
  RESOURCE_TYPE_ML_PIPELINE,
} from '@mlplatform/plugin-ml-common';

/**
 * A team's GPU quota as the permission rules see it: one namespace on one
 * cluster (resource ref `<cluster>/<namespace>`) and the team that owns it,
 * from the namespace's team label or `mlplatform.io/owner` annotation.
 *
 * @public
 */
export interface MlGpuQuotaResource {
  cluster: string;
  namespace: string;
  /** Entity ref of the owning team; absent when the namespace names none. */
  ownerRef?: string;
}

/**
 * What a rule's `toQuery` yields: the owner refs a resource must have one of.
 * No ML listing is filtered by it today; it keeps the rules usable for that.
 *
 * @public
 */
export interface MlOwnerQuery {
  key: 'owner';
  values: string[];
}

/**
 * The `ml-gpu-quota` resource type (`ml.notebook.create`, `ml.notebook.manage`).
 *
 * @public
 */
export const mlGpuQuotaPermissionResourceRef = createPermissionResourceRef<
  MlGpuQuotaResource,
  MlOwnerQuery
>().with({ pluginId: 'ml', resourceType: RESOURCE_TYPE_ML_GPU_QUOTA });

/**
 * The `ml-model` resource type (`ml.model.promote`): the Model entity.
 *
 * @public
 */
export const mlModelPermissionResourceRef = createPermissionResourceRef<
  Entity,
  MlOwnerQuery
>().with({ pluginId: 'ml', resourceType: RESOURCE_TYPE_ML_MODEL });

/**
 * The `ml-pipeline` resource type (`ml.pipeline.run`): the Pipeline entity.
 *
 * @public
 */
export const mlPipelinePermissionResourceRef = createPermissionResourceRef<
  Entity,
  MlOwnerQuery
>().with({ pluginId: 'ml', resourceType: RESOURCE_TYPE_ML_PIPELINE });
