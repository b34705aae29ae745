import {
  MODEL_ANNOTATIONS,
  MODEL_CONFIG_MEDIA_TYPE,
  MODEL_VERSION_TAG_PATTERN,
  ModelVersion,
} from '@mlplatform/plugin-ml-common';
import { OciManifest } from './types';

/**
 * A model (or dataset) version read from an OCI registry: the API's
 * {@link @mlplatform/plugin-ml-common#ModelVersion} plus the manifest's
 * annotations. It has the shape of `ModelRegistryVersion` of
 * `@mlplatform/plugin-ml-node`, so a registry adapter returns it as is
 * without this library depending on the extension points.
 *
 * @public
 */
export interface OciModelVersion extends ModelVersion {
  /** Every annotation of the manifest. */
  annotations: Record<string, string>;
}

/**
 * What a model manifest says about its version, independent of its tags.
 *
 * @public
 */
export interface OciModelManifestInfo {
  digest: string;
  created?: string;
  framework?: string;
  metrics: Record<string, number>;
  pipelineRun?: string;
  datasetDigests: string[];
  sizeBytes: number;
  annotations: Record<string, string>;
}

function parseMetrics(raw: string | undefined): Record<string, number> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {};
    }
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (e): e is [string, number] =>
          typeof e[1] === 'number' && Number.isFinite(e[1]),
      ),
    );
  } catch {
    return {};
  }
}

function splitList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * Reads what a model manifest says, or undefined when the manifest is not a
 * model artifact (its config media type is not
 * {@link @mlplatform/plugin-ml-common#MODEL_CONFIG_MEDIA_TYPE}).
 *
 * @public
 */
export function modelManifestInfo(
  digest: string,
  manifest: OciManifest,
): OciModelManifestInfo | undefined {
  return artifactManifestInfo(digest, manifest, MODEL_CONFIG_MEDIA_TYPE);
}

/**
 * Reads what a versioned artifact's manifest says, or undefined when its
 * config media type is not `configMediaType` (for a dataset,
 * {@link @mlplatform/plugin-ml-common#DATASET_CONFIG_MEDIA_TYPE}). The
 * model-specific fields stay empty for artifacts that do not carry them;
 * every annotation is in `annotations`.
 *
 * @public
 */
export function artifactManifestInfo(
  digest: string,
  manifest: OciManifest,
  configMediaType: string,
): OciModelManifestInfo | undefined {
  if (manifest?.config?.mediaType !== configMediaType) {
    return undefined;
  }
  const annotations = manifest.annotations ?? {};
  const sizeBytes =
    (manifest.config.size ?? 0) +
    (manifest.layers ?? []).reduce((sum, l) => sum + (l.size ?? 0), 0);
  return {
    digest,
    created: annotations[MODEL_ANNOTATIONS.created],
    framework: annotations[MODEL_ANNOTATIONS.framework],
    metrics: parseMetrics(annotations[MODEL_ANNOTATIONS.metrics]),
    pipelineRun: annotations[MODEL_ANNOTATIONS.pipelineRun],
    datasetDigests: splitList(annotations[MODEL_ANNOTATIONS.datasetDigests]),
    sizeBytes,
    annotations,
  };
}

/** Orders names as people do: `v10` after `v9`. */
export const collator = new Intl.Collator('en', { numeric: true });

/**
 * Newest first: by creation time, then by version name in numeric order
 * (`v10` after `v9`), so unannotated versions still sort sensibly.
 *
 * @public
 */
export function compareVersionsNewestFirst(
  a: { version: string; created?: string },
  b: { version: string; created?: string },
): number {
  const ta = a.created ? Date.parse(a.created) : NaN;
  const tb = b.created ? Date.parse(b.created) : NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return tb - ta;
  if (Number.isNaN(ta) !== Number.isNaN(tb)) return Number.isNaN(ta) ? 1 : -1;
  return collator.compare(b.version, a.version);
}

/**
 * Groups tags into versions and aliases. Version-like tags (`v3`, `1.2.0`)
 * are versions; other tags (`production`, `latest`) are aliases of the
 * versions sharing their digest. A model manifest with only alias tags is a
 * version named by its digest.
 *
 * @public
 */
export function versionsFromTags(
  tagDigests: Record<string, string>,
  manifests: Map<string, OciModelManifestInfo | undefined>,
): OciModelVersion[] {
  const byDigest = new Map<string, string[]>();
  for (const [tag, digest] of Object.entries(tagDigests)) {
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  }
  const versions: OciModelVersion[] = [];
  for (const [digest, tags] of byDigest) {
    const info = manifests.get(digest);
    if (!info) continue;
    const versionTags = tags.filter(t => MODEL_VERSION_TAG_PATTERN.test(t));
    const aliases = tags
      .filter(t => !MODEL_VERSION_TAG_PATTERN.test(t))
      .sort(collator.compare);
    for (const version of versionTags.length ? versionTags : [digest]) {
      versions.push({
        version,
        digest,
        created: info.created,
        aliases,
        metrics: info.metrics,
        framework: info.framework,
        sourceRun: info.pipelineRun ? { id: info.pipelineRun } : undefined,
        datasetDigests: info.datasetDigests,
        sizeBytes: info.sizeBytes,
        annotations: info.annotations,
      });
    }
  }
  return versions.sort(compareVersionsNewestFirst);
}

/** One version from what its manifest says; `aliases` are sorted in place. */
export function toVersion(
  version: string,
  info: OciModelManifestInfo,
  aliases: string[],
): OciModelVersion {
  return {
    version,
    digest: info.digest,
    created: info.created,
    aliases: aliases.sort(collator.compare),
    metrics: info.metrics,
    framework: info.framework,
    sourceRun: info.pipelineRun ? { id: info.pipelineRun } : undefined,
    datasetDigests: info.datasetDigests,
    sizeBytes: info.sizeBytes,
    annotations: info.annotations,
  };
}
