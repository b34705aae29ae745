export { MlApiClient } from './MlApiClient';
export { readServerSentEvents } from './serverSentEvents';
export type {
  GpuQuotasFilter,
  MlApiClientOptions,
  MlRequestOptions,
  DatasetRef,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from './types';
