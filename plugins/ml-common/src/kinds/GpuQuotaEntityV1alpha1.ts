import { Entity, KindValidator } from '@backstage/catalog-model';
import { GPU_QUOTA_KIND, ML_API_VERSION } from './constants';
import { createMlKindValidator } from './validation/validateMlEntity';

/**
 * Resource amounts of a quota.
 *
 * @public
 */
export type GpuQuotaResources = {
  /** Devices per extended resource name, e.g. `nvidia.com/gpu` or a MIG profile. */
  gpus: Record<string, number>;
  /** Kubernetes quantity, e.g. 64 or "500m". */
  cpu?: string | number;
  /** Kubernetes quantity, e.g. "512Gi". */
  memory?: string;
};

/**
 * A team's GPU budget on one cluster and namespace (`kind: GpuQuota`).
 * See docs/entities.md for every field.
 *
 * @public
 */
export interface GpuQuotaEntityV1alpha1 extends Entity {
  apiVersion: typeof ML_API_VERSION;
  kind: typeof GPU_QUOTA_KIND;
  spec: {
    /** Group ref; a plain name means a Group. */
    owner: string;
    /** Cluster name under `ml.kubernetes.clusters`. */
    cluster: string;
    namespace: string;
    source: {
      type: 'resourcequota' | 'kueue';
      /** Required for kueue. */
      clusterQueue?: string;
      /** kueue only. */
      localQueue?: string;
      /** resourcequota only; all ResourceQuotas of the namespace when absent. */
      resourceQuota?: string;
    };
    limits: GpuQuotaResources;
    /** kueue only. */
    borrowingLimit?: Partial<GpuQuotaResources>;
  };
}

/**
 * Validates {@link GpuQuotaEntityV1alpha1} entities.
 *
 * @public
 */
export const gpuQuotaEntityV1alpha1Validator: KindValidator =
  createMlKindValidator(GPU_QUOTA_KIND);

/**
 * True for entities of kind GpuQuota in the ML platform's apiVersion.
 *
 * @public
 */
export function isGpuQuotaEntity(
  entity: Entity,
): entity is GpuQuotaEntityV1alpha1 {
  return (
    entity.apiVersion === ML_API_VERSION &&
    entity.kind.toLocaleLowerCase('en-US') === 'gpuquota'
  );
}
