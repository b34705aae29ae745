/**
 * Pushes trained models and dataset versions to an OCI registry as
 * artifacts, as a training job, a data pipeline or CI does:
 * `ml-push push --registry URL --repository PATH --tag v3 --file model.onnx`,
 * `ml-push push-dataset --registry URL --repository PATH --tag v3 --location s3://...`.
 *
 * @packageDocumentation
 */

export { main } from './main';
export { pushDataset, pushModel } from '@mlplatform/plugin-ml-oci';
export type {
  PushDatasetOptions,
  PushDatasetResult,
  PushModelOptions,
  PushModelResult,
} from '@mlplatform/plugin-ml-oci';
