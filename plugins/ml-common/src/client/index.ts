export { MlApiClient } from './MlApiClient';
export type {
  GpuQuotasFilter,
  MlApiClientOptions,
  MlRequestOptions,
  ModelRef,
  NotebookRef,
  PipelineRef,
} from './types';
