export * from './errors';
export * from './refs';
export * from './OciDistributionClient';
export * from './OciModelReader';
export { readOciRegistryEndpoints } from './config';
export { httpRequest, createAgent } from './http';
export type { HttpRequest, HttpResponse } from './http';
export { mapLimit } from './http';
export { pushModel } from './pushModel';
export type { PushModelOptions, PushModelResult } from './pushModel';
export { pushDataset } from './pushDataset';
export type { PushDatasetOptions, PushDatasetResult } from './pushDataset';
export type {
  PushArtifactFile,
  PushArtifactOptions,
  PushArtifactResult,
} from './pushArtifact';
