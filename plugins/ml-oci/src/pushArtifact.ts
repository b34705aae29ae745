import {
  MODEL_ALIAS_PATTERN,
  MODEL_ANNOTATIONS,
  MODEL_VERSION_TAG_PATTERN,
  OCI_IMAGE_MANIFEST_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import { ConflictError, InputError } from '@backstage/errors';
import { OciDistributionClient } from './OciDistributionClient';
import { validateOciRepository } from './refs';
import { OciRegistryEndpoint } from './types';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where to push a versioned artifact (model or dataset) and how to tag it;
 * what the artifact holds is in {@link PushModelOptions} and
 * {@link PushDatasetOptions}.
 *
 * @public
 */
export interface PushArtifactOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:5000`. */
  registry: string;
  /** Repository path, e.g. `models/fraud-detector`. */
  repository: string;
  /** The version tag, e.g. `v3` or `1.4.0`. */
  tag: string;
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
  /** Reuse a client (and its connections), e.g. when pushing many artifacts. */
  client?: OciDistributionClient;
}

/**
 * What a push did.
 *
 * @public
 */
export interface PushArtifactResult {
  /** `oci://host/repository`, for `spec.registry` or the registry-ref annotation. */
  ref: string;
  repository: string;
  tag: string;
  aliases: string[];
  /** Manifest digest of the pushed version. */
  digest: string;
  sizeBytes: number;
}

/**
 * A file to upload as a layer: a path, or a name and its bytes.
 *
 * @public
 */
export type PushArtifactFile = { name: string; data: Buffer } | string;

/** What differs between kinds of artifact. */
export interface ArtifactContent {
  /** The config blob's media type; also the manifest's artifactType. */
  configMediaType: string;
  config: Record<string, unknown>;
  fileMediaType: string;
  files: PushArtifactFile[];
  /** Kind-specific manifest annotations; empty values are left out. */
  annotations: Record<string, string | undefined>;
}

/**
 * Checks the repository, the version tag and the aliases; throws an
 * `InputError` naming the bad value. Runs before any request is sent.
 */
export function validateArtifactOptions(options: PushArtifactOptions): void {
  validateOciRepository(options.repository);
  if (!MODEL_VERSION_TAG_PATTERN.test(options.tag)) {
    throw new InputError(
      `Tag "${options.tag}" is not a version tag; use something like v3 or 1.2.0 (aliases such as production are set separately)`,
    );
  }
  for (const alias of options.aliases ?? []) {
    if (
      !MODEL_ALIAS_PATTERN.test(alias) ||
      MODEL_VERSION_TAG_PATTERN.test(alias)
    ) {
      throw new InputError(
        `Alias "${alias}" is not an alias name; use a word like production or staging`,
      );
    }
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(options.registry).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new InputError(
      `Registry "${options.registry}" is not an http or https URL; use something like http://127.0.0.1:5000`,
    );
  }
}

async function loadFile(file: PushArtifactFile) {
  return typeof file === 'string'
    ? { name: path.basename(file), data: await readFile(file) }
    : file;
}

/**
 * Pushes one version of an artifact: the config blob, one layer per file, an
 * OCI image manifest with the annotations, tagged with the version and the
 * aliases. Refuses to move an existing version tag unless `force` is set
 * (`ConflictError`). The caller validates first (see
 * {@link validateArtifactOptions}).
 */
export async function pushArtifact(
  options: PushArtifactOptions,
  content: ArtifactContent,
): Promise<PushArtifactResult> {
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
    const files = await Promise.all(content.files.map(loadFile));
    const { repository, tag } = options;
    const created = (options.created ?? new Date()).toISOString();

    if (!options.force) {
      const existing = await client.headManifest(repository, tag);
      if (existing) {
        throw new ConflictError(
          `${repository}:${tag} already exists (${existing}); pick a new version tag, or overwrite it with force (ml-push --force)`,
        );
      }
    }

    const mount = { mountFrom: options.mountFrom };
    const config = await client.pushBlob(
      repository,
      Buffer.from(JSON.stringify(content.config)),
      mount,
    );
    const layers = [];
    for (const file of files) {
      const layer = await client.pushBlob(repository, file.data, mount);
      layers.push({
        mediaType: content.fileMediaType,
        ...layer,
        annotations: { [MODEL_ANNOTATIONS.title]: file.name },
      });
    }

    const annotations: Record<string, string> = {
      [MODEL_ANNOTATIONS.created]: created,
      [MODEL_ANNOTATIONS.title]: repository.split('/').pop()!,
    };
    for (const [key, value] of Object.entries(content.annotations)) {
      if (value) annotations[key] = value;
    }
    annotations[MODEL_ANNOTATIONS.version] = tag;

    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST_MEDIA_TYPE,
      artifactType: content.configMediaType,
      config: { mediaType: content.configMediaType, ...config },
      layers,
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
      sizeBytes: layers.reduce((sum, l) => sum + l.size, config.size),
    };
  } finally {
    if (!options.client) client.close();
  }
}
