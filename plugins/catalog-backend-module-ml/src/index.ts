/**
 * The ML entity kinds (Model, Dataset, Pipeline, GpuQuota) for the Backstage
 * catalog: validation, relations and entity providers.
 *
 * @packageDocumentation
 */

export { catalogModuleMlEntityModel as default } from './module';
export { MlEntitiesProcessor } from './processor/MlEntitiesProcessor';
