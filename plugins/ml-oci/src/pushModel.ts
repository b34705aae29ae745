import { InputError } from '@backstage/errors';
import {
  MODEL_ANNOTATIONS,
  MODEL_CONFIG_MEDIA_TYPE,
  MODEL_FILE_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import {
  pushArtifact,
  PushArtifactOptions,
  PushArtifactResult,
  validateArtifactOptions,
} from './pushArtifact';
import path from 'node:path';

/**
 * What to push and how to describe it.
 *
 * @public
 */
export interface PushModelOptions extends PushArtifactOptions {
  /** The model file to upload (weights, ONNX graph, ...). */
  file: { name: string; data: Buffer } | string;
  framework?: string;
  metrics?: Record<string, number>;
  /** Id or URL of the training run. */
  pipelineRun?: string;
  /** Digests of the training data. */
  datasetDigests?: string[];
  /** Owner entity ref, e.g. `group:default/fraud-team`. */
  owner?: string;
  /** Pipeline entity ref that trained it. */
  pipeline?: string;
  /** Dataset entity refs it was trained on. */
  trainedOn?: string[];
  /** The Model's spec.type, e.g. `classifier`. */
  modelType?: string;
}

/** @public */
export type PushModelResult = PushArtifactResult;

function validate(options: PushModelOptions) {
  validateArtifactOptions(options);
  for (const [name, value] of Object.entries(options.metrics ?? {})) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@/-]{0,62}$/.test(name)) {
      throw new InputError(
        `metric name "${name}" must be letters, digits and _ . @ / -`,
      );
    }
    if (!Number.isFinite(value)) {
      throw new InputError(`metric "${name}" must be a finite number`);
    }
  }
  for (const d of options.datasetDigests ?? []) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d)) {
      throw new InputError(`dataset digest "${d}" must look like sha256:<hex>`);
    }
  }
}

/**
 * Pushes a model file as an OCI artifact: the file as one layer, a small
 * JSON config blob of media type `application/vnd.mlplatform.model.config.v1+json`,
 * and the version's metadata as manifest annotations. Then tags it with the
 * version and any aliases. Refuses to move an existing version tag unless
 * `force` is set, so a re-run job cannot silently replace a version.
 *
 * @public
 */
export async function pushModel(
  options: PushModelOptions,
): Promise<PushModelResult> {
  validate(options);
  const fileName =
    typeof options.file === 'string'
      ? path.basename(options.file)
      : options.file.name;
  return pushArtifact(options, {
    configMediaType: MODEL_CONFIG_MEDIA_TYPE,
    config: {
      framework: options.framework,
      modelType: options.modelType,
      files: [fileName],
    },
    fileMediaType: MODEL_FILE_MEDIA_TYPE,
    files: [options.file],
    annotations: {
      [MODEL_ANNOTATIONS.framework]: options.framework,
      [MODEL_ANNOTATIONS.metrics]:
        options.metrics && Object.keys(options.metrics).length > 0
          ? JSON.stringify(options.metrics)
          : undefined,
      [MODEL_ANNOTATIONS.pipelineRun]: options.pipelineRun,
      [MODEL_ANNOTATIONS.datasetDigests]: options.datasetDigests?.join(','),
      [MODEL_ANNOTATIONS.owner]: options.owner,
      [MODEL_ANNOTATIONS.pipeline]: options.pipeline,
      [MODEL_ANNOTATIONS.trainedOn]: options.trainedOn?.join(','),
      [MODEL_ANNOTATIONS.modelType]: options.modelType,
    },
  });
}
