/**
 * Pushes trained models to an OCI registry as model artifacts, as a training
 * job or CI does: `ml-push push --registry URL --repository PATH --tag v3 --file model.onnx`.
 *
 * @packageDocumentation
 */

export { main } from './main';
export { pushModel } from '@mlplatform/plugin-ml-node';
export type {
  PushModelOptions,
  PushModelResult,
} from '@mlplatform/plugin-ml-node';
