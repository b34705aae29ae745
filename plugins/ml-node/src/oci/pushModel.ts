import {
  MODEL_ALIAS_PATTERN,
  MODEL_ANNOTATIONS,
  MODEL_CONFIG_MEDIA_TYPE,
  MODEL_FILE_MEDIA_TYPE,
  MODEL_VERSION_TAG_PATTERN,
  OCI_IMAGE_MANIFEST_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import {
  OciDistributionClient,
  OciRegistryEndpoint,
} from './OciDistributionClient';
import { validateOciRepository } from './refs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What to push and how to describe it.
 *
 * @public
 */
export interface PushModelOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:5000`. */
  registry: string;
  /** Repository path, e.g. `models/fraud-detector`. */
  repository: string;
  /** The version tag, e.g. `v3` or `1.4.0`. */
  tag: string;
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
  /** Aliases to point at the new version too, e.g. `staging`. */
  aliases?: string[];
  /** Creation time; default now. */
  created?: Date;
  username?: string;
  password?: string;
  token?: string;
  /** PEM CA bundle for a registry with a private CA. */
  ca?: string | Buffer;
  /** Overwrite an existing version tag that points elsewhere. */
  force?: boolean;
  /** A repository that already holds the blobs, to mount them from. */
  mountFrom?: string;
  /** Reuse a client (and its connections), e.g. when pushing many models. */
  client?: OciDistributionClient;
}

/** @public */
export interface PushModelResult {
  /** `oci://host/repository`, for `spec.registry`. */
  ref: string;
  repository: string;
  tag: string;
  aliases: string[];
  digest: string;
  sizeBytes: number;
}

function validate(options: PushModelOptions) {
  validateOciRepository(options.repository);
  if (!MODEL_VERSION_TAG_PATTERN.test(options.tag)) {
    throw new Error(
      `Tag "${options.tag}" is not a version tag; use something like v3 or 1.2.0 (aliases such as production are set separately)`,
    );
  }
  for (const alias of options.aliases ?? []) {
    if (
      !MODEL_ALIAS_PATTERN.test(alias) ||
      MODEL_VERSION_TAG_PATTERN.test(alias)
    ) {
      throw new Error(
        `Alias "${alias}" is not an alias name; use a word like production or staging`,
      );
    }
  }
  for (const [name, value] of Object.entries(options.metrics ?? {})) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@/-]{0,62}$/.test(name)) {
      throw new Error(
        `metric name "${name}" must be letters, digits and _ . @ / -`,
      );
    }
    if (!Number.isFinite(value)) {
      throw new Error(`metric "${name}" must be a finite number`);
    }
  }
  for (const d of options.datasetDigests ?? []) {
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d)) {
      throw new Error(`dataset digest "${d}" must look like sha256:<hex>`);
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
  const endpoint: OciRegistryEndpoint = {
    name: new URL(options.registry).host,
    url: options.registry,
    username: options.username,
    password: options.password,
    token: options.token,
    ca: options.ca,
  };
  const client = options.client ?? new OciDistributionClient(endpoint);
  try {
    const file =
      typeof options.file === 'string'
        ? {
            name: path.basename(options.file),
            data: await readFile(options.file),
          }
        : options.file;
    const { repository, tag } = options;
    const created = (options.created ?? new Date()).toISOString();

    if (!options.force) {
      const existing = await client.headManifest(repository, tag);
      if (existing) {
        throw new Error(
          `${repository}:${tag} already exists (${existing}); pick a new version tag, or overwrite it with force (ml-push --force)`,
        );
      }
    }

    const configJson = Buffer.from(
      JSON.stringify({
        framework: options.framework,
        modelType: options.modelType,
        files: [file.name],
      }),
    );
    const mount = { mountFrom: options.mountFrom };
    const config = await client.pushBlob(repository, configJson, mount);
    const layer = await client.pushBlob(repository, file.data, mount);

    const annotations: Record<string, string> = {
      [MODEL_ANNOTATIONS.created]: created,
      [MODEL_ANNOTATIONS.title]: repository.split('/').pop()!,
    };
    const set = (key: string, value: string | undefined) => {
      if (value) annotations[key] = value;
    };
    set(MODEL_ANNOTATIONS.framework, options.framework);
    if (options.metrics && Object.keys(options.metrics).length > 0) {
      annotations[MODEL_ANNOTATIONS.metrics] = JSON.stringify(options.metrics);
    }
    set(MODEL_ANNOTATIONS.pipelineRun, options.pipelineRun);
    set(MODEL_ANNOTATIONS.datasetDigests, options.datasetDigests?.join(','));
    set(MODEL_ANNOTATIONS.owner, options.owner);
    set(MODEL_ANNOTATIONS.pipeline, options.pipeline);
    set(MODEL_ANNOTATIONS.trainedOn, options.trainedOn?.join(','));
    set(MODEL_ANNOTATIONS.modelType, options.modelType);
    set(MODEL_ANNOTATIONS.version, tag);

    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST_MEDIA_TYPE,
      artifactType: MODEL_CONFIG_MEDIA_TYPE,
      config: { mediaType: MODEL_CONFIG_MEDIA_TYPE, ...config },
      layers: [
        {
          mediaType: MODEL_FILE_MEDIA_TYPE,
          ...layer,
          annotations: { [MODEL_ANNOTATIONS.title]: file.name },
        },
      ],
      annotations,
    };
    const raw = Buffer.from(JSON.stringify(manifest));
    const digest = await client.putManifest(
      repository,
      tag,
      raw,
      OCI_IMAGE_MANIFEST_MEDIA_TYPE,
    );
    for (const alias of options.aliases ?? []) {
      await client.putManifest(
        repository,
        alias,
        raw,
        OCI_IMAGE_MANIFEST_MEDIA_TYPE,
      );
    }
    return {
      ref: `oci://${client.host}/${repository}`,
      repository,
      tag,
      aliases: options.aliases ?? [],
      digest,
      sizeBytes: config.size + layer.size,
    };
  } finally {
    if (!options.client) client.close();
  }
}
