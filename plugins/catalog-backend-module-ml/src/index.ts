/**
 * The ML entity kinds (Model, Dataset, Pipeline, GpuQuota) for the Backstage
 * catalog: validation, defaults and lineage relations.
 *
 * @packageDocumentation
 */

export { catalogModuleMlEntityModel as default } from './module';
export { MlEntitiesProcessor } from './processor/MlEntitiesProcessor';
export {
  mlCatalogModelLayer,
  ML_CATALOG_MODEL_LAYER_ID,
} from './model/mlCatalogModelLayer';
export { catalogModuleMlGpuQuotas } from './provider/module';
export {
  GpuQuotaEntityProvider,
  ANNOTATION_QUOTA_SOURCE,
  toEntities as gpuQuotaEntitiesFromQuotas,
} from './provider/GpuQuotaEntityProvider';
export type { GpuQuotaEntityProviderOptions } from './provider/GpuQuotaEntityProvider';
export * from './registryProvider';
export * from './feastProvider';
