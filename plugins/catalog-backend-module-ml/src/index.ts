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
