export { catalogModuleMlFeast } from './module';
export { FeastEntityProvider } from './FeastEntityProvider';
export type {
  FeastEntityProviderOptions,
  FeastProviderStatus,
  FeastRefreshResult,
} from './FeastEntityProvider';
export { FeastRegistryClient } from './FeastRegistryClient';
export type {
  FeastDataSource,
  FeastFeatureService,
  FeastFeatureView,
  FeastField,
  FeastProjectSnapshot,
  FeastRegistryClientOptions,
} from './FeastRegistryClient';
export {
  ANNOTATION_FEAST_ENTITIES,
  ANNOTATION_FEAST_NAME,
  ANNOTATION_FEAST_OBJECT,
  ANNOTATION_FEAST_PROJECT,
  ANNOTATION_FEAST_REGISTRY,
  ANNOTATION_FEAST_TAGS,
  ANNOTATION_FEAST_TTL,
  feastEntityName,
  feastTypeName,
} from './feastEntities';
export type { FeastSkip } from './feastEntities';
