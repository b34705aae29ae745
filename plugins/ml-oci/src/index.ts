/**
 * The OCI distribution client of the ML platform plugins: reads model and
 * dataset artifacts from OCI registries and pushes new versions of them.
 * Used by the ML backend (registry adapter, promotion), the catalog module
 * (Model, Dataset and Registry entities) and the `ml-push` CLI. Failures are
 * `@backstage/errors` types.
 *
 * @packageDocumentation
 */

export * from './types';
export * from './refs';
export { OciDistributionClient } from './OciDistributionClient';
export type { OciModelManifestInfo, OciModelVersion } from './manifestInfo';
export {
  artifactManifestInfo,
  compareVersionsNewestFirst,
  modelManifestInfo,
  versionsFromTags,
} from './manifestInfo';
export * from './OciModelReader';
export * from './OciModelSummaryReader';
export { readOciRegistryEndpoints } from './config';
export { httpRequest, createAgent, mapLimit } from './http';
export type { HttpRequest, HttpResponse } from './http';
export { pushModel } from './pushModel';
export type { PushModelOptions, PushModelResult } from './pushModel';
export { pushDataset } from './pushDataset';
export type { PushDatasetOptions, PushDatasetResult } from './pushDataset';
export type {
  PushArtifactFile,
  PushArtifactOptions,
  PushArtifactResult,
} from './pushArtifact';
