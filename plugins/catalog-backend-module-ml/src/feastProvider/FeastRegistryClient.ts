// The Feast registry client lives in ml-common, shared with the ML backend's
// Dataset facts (last materialization); the provider's imports stay as they were.
export {
  FeastRegistryClient,
  feastApiRoot,
} from '@mlplatform/plugin-ml-common';
export type {
  FeastDataSource,
  FeastFeatureService,
  FeastFeatureView,
  FeastField,
  FeastProjectSnapshot,
  FeastRegistryClientOptions,
} from '@mlplatform/plugin-ml-common';
