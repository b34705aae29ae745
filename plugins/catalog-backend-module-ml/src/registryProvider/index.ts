export { catalogModuleMlRegistryModels } from './module';
export { RegistryModelEntityProvider } from './RegistryModelEntityProvider';
export type {
  RegistryModelEntityProviderOptions,
  RegistryModelRefreshResult,
  RegistryModelSource,
} from './RegistryModelEntityProvider';
export {
  ANNOTATION_REGISTRY_ALIASES,
  ANNOTATION_REGISTRY_VERSIONS,
} from './registryEntity';
export {
  ANNOTATION_DATASET_ROWS,
  ANNOTATION_DATASET_SCHEMA_DIGEST,
} from './datasetEntity';
