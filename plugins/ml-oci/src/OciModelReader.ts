import {
  MODEL_ANNOTATIONS,
  MODEL_CONFIG_MEDIA_TYPE,
  MODEL_VERSION_TAG_PATTERN,
} from '@mlplatform/plugin-ml-common';
import { ModelRegistryVersion } from '../registry';
import { mapLimit } from './http';
import { OciDistributionClient, OciManifest } from './OciDistributionClient';

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

/**
 * A repository's model versions plus the tag to digest map they came from,
 * which callers keep to tell whether the repository changed.
 *
 * @public
 */
export interface OciModelRepository {
  repository: string;
  /** Every tag and the manifest digest it points at. */
  tagDigests: Record<string, string>;
  /** Model versions, newest first. */
  versions: ModelRegistryVersion[];
}

/** @public */
export interface OciModelReaderOptions {
  /** Manifest reads in flight per repository; default 8. */
  concurrency?: number;
  /** Manifests remembered by digest; default 100,000. */
  cacheSize?: number;
  /**
   * Treat version tags (`v3`, `1.2.0`) seen before as immutable and skip
   * their HEAD on later reads; only alias tags are re-checked. `ml-push`
   * and promotion never move a version tag, but a forced push does: such an
   * overwrite is then seen only by a new reader (e.g. after a restart).
   * Default false.
   */
  trustVersionTags?: boolean;
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

const collator = new Intl.Collator('en', { numeric: true });

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
): ModelRegistryVersion[] {
  const byDigest = new Map<string, string[]>();
  for (const [tag, digest] of Object.entries(tagDigests)) {
    byDigest.set(digest, [...(byDigest.get(digest) ?? []), tag]);
  }
  const versions: ModelRegistryVersion[] = [];
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

/**
 * Reads model versions from OCI repositories, remembering manifests by
 * digest (content-addressed, so never stale) and each repository's last
 * tag to digest map. A tag seen before is checked with a HEAD; its manifest
 * is fetched only when the digest is new. An unchanged repository therefore
 * costs one tags/list plus one HEAD per tag (per alias tag with
 * `trustVersionTags`) and no manifest download.
 *
 * @public
 */
export class OciModelReader {
  private readonly manifests = new Map<
    string,
    OciModelManifestInfo | undefined
  >();
  private readonly lastTags = new Map<string, Record<string, string>>();
  private readonly concurrency: number;
  private readonly cacheSize: number;
  private readonly trustVersionTags: boolean;

  constructor(
    readonly client: OciDistributionClient,
    options: OciModelReaderOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 8;
    this.cacheSize = options.cacheSize ?? 100_000;
    this.trustVersionTags = options.trustVersionTags ?? false;
  }

  /** The tag to digest map of the last read of `repository`, if any. */
  lastTagDigests(repository: string): Record<string, string> | undefined {
    return this.lastTags.get(repository);
  }

  async readRepository(repository: string): Promise<OciModelRepository> {
    const tags = await this.client.listTags(repository);
    const previous = this.lastTags.get(repository) ?? {};
    const tagDigests: Record<string, string> = {};
    await mapLimit(tags, this.concurrency, async tag => {
      const known = previous[tag];
      if (
        known &&
        this.trustVersionTags &&
        MODEL_VERSION_TAG_PATTERN.test(tag) &&
        this.manifests.has(known)
      ) {
        tagDigests[tag] = known;
        return;
      }
      if (known) {
        const digest = await this.client.headManifest(repository, tag);
        if (!digest) return; // deleted since the tags list
        tagDigests[tag] = digest;
        if (this.manifests.has(digest)) return;
      }
      const fetched = await this.client.getManifest(
        repository,
        tagDigests[tag] ?? tag,
      );
      tagDigests[tag] = fetched.digest;
      this.remember(
        fetched.digest,
        modelManifestInfo(fetched.digest, fetched.manifest),
      );
    });
    const ordered = Object.fromEntries(
      Object.entries(tagDigests).sort(([a], [b]) => collator.compare(a, b)),
    );
    this.lastTags.set(repository, ordered);
    return {
      repository,
      tagDigests: ordered,
      versions: versionsFromTags(ordered, this.manifests),
    };
  }

  private remember(digest: string, info: OciModelManifestInfo | undefined) {
    if (this.manifests.size >= this.cacheSize) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.manifests.keys().next().value;
      if (oldest !== undefined) this.manifests.delete(oldest);
    }
    this.manifests.set(digest, info);
  }
}

/**
 * What a catalog entity needs of a model repository, read with as few
 * requests as a registry allows; see {@link OciModelSummaryReader}.
 *
 * @public
 */
export interface OciModelRepositorySummary {
  repository: string;
  /** Version names (version-like tags), newest first by name (`v10` before `v9`). */
  versionNames: string[];
  /** Alias tag to the version it points at (the digest when no version tag matches). */
  aliases: Record<string, string>;
  /**
   * The current version: the one `production` points at, else the newest
   * model version; undefined when the repository holds no model artifact.
   */
  current?: ModelRegistryVersion;
  /** The newest model version, when it is not `current`. */
  newest?: ModelRegistryVersion;
  /** Changes whenever tags are added or removed or an alias moves. */
  fingerprint: string;
}

/** @public */
export interface OciModelSummaryReaderOptions {
  /**
   * The config media type of the artifacts to read; manifests of any other
   * type are skipped. Default
   * {@link @mlplatform/plugin-ml-common#MODEL_CONFIG_MEDIA_TYPE}; pass
   * {@link @mlplatform/plugin-ml-common#DATASET_CONFIG_MEDIA_TYPE} to read
   * dataset repositories, whose versions and aliases follow the same rules.
   */
  configMediaType?: string;
}

interface SummaryState {
  tags: string;
  aliasDigests: Record<string, string>;
  /** Version tags resolved so far (immutable, so kept across reads). */
  versionDigests: Map<string, string>;
  summary: OciModelRepositorySummary;
}

/**
 * Reads repository summaries for catalog ingestion: one `tags/list`, the
 * manifest of the newest version tag and one manifest per alias tag. Which
 * version an alias points at comes from the manifest's
 * `mlplatform.io/version` annotation (set by ml-push), else from matching
 * its digest against version tags, HEADed newest first. Reading the same
 * repository again costs a `tags/list` plus a HEAD per alias when nothing
 * changed; version tags are treated as immutable. Reads model repositories,
 * or dataset repositories with the `configMediaType` option.
 *
 * @public
 */
export class OciModelSummaryReader {
  private readonly state = new Map<string, SummaryState>();
  private readonly manifests = new Map<
    string,
    OciModelManifestInfo | undefined
  >();
  private readonly configMediaType: string;

  constructor(
    readonly client: OciDistributionClient,
    options: OciModelSummaryReaderOptions = {},
  ) {
    this.configMediaType = options.configMediaType ?? MODEL_CONFIG_MEDIA_TYPE;
  }

  async readRepositorySummary(
    repository: string,
  ): Promise<OciModelRepositorySummary> {
    const tags = (await this.client.listTags(repository)).sort(
      collator.compare,
    );
    const versionNames = tags
      .filter(t => MODEL_VERSION_TAG_PATTERN.test(t))
      .sort((a, b) => collator.compare(b, a));
    const aliasTags = tags.filter(t => !MODEL_VERSION_TAG_PATTERN.test(t));
    const tagsKey = tags.join(',');
    const previous = this.state.get(repository);

    const aliasDigests: Record<string, string> = {};
    if (previous && previous.tags === tagsKey) {
      // Same tags: only an alias can have moved.
      await mapLimit(aliasTags, 4, async alias => {
        const digest = await this.client.headManifest(repository, alias);
        if (digest) aliasDigests[alias] = digest;
      });
      if (
        JSON.stringify(aliasDigests) === JSON.stringify(previous.aliasDigests)
      ) {
        return previous.summary;
      }
    }

    const versionDigests = new Map<string, string>(
      [...(previous?.versionDigests ?? [])].filter(([name]) =>
        versionNames.includes(name),
      ),
    );
    const manifest = async (reference: string) => {
      const fetched = await this.client.getManifest(repository, reference);
      if (!this.manifests.has(fetched.digest)) {
        this.manifests.set(
          fetched.digest,
          artifactManifestInfo(
            fetched.digest,
            fetched.manifest,
            this.configMediaType,
          ),
        );
      }
      return fetched.digest;
    };

    // The newest version that is a model artifact (other artifacts, such as
    // images pushed to the same repository, are skipped).
    let newestInfo: { version: string; info: OciModelManifestInfo } | undefined;
    for (const name of versionNames) {
      const known = versionDigests.get(name);
      const digest =
        known && this.manifests.has(known) ? known : await manifest(name);
      versionDigests.set(name, digest);
      const info = this.manifests.get(digest);
      if (info) {
        newestInfo = { version: name, info };
        break;
      }
    }

    const aliases: Record<string, string> = {};
    const aliasInfo = new Map<string, OciModelManifestInfo>();
    for (const alias of aliasTags) {
      const digest = aliasDigests[alias] ?? (await manifest(alias));
      if (!this.manifests.has(digest)) await manifest(digest);
      aliasDigests[alias] = digest;
      const info = this.manifests.get(digest);
      if (!info) continue;
      aliasInfo.set(alias, info);
      const annotated = info.annotations[MODEL_ANNOTATIONS.version];
      if (annotated && versionNames.includes(annotated)) {
        aliases[alias] = annotated;
        continue;
      }
      let match: string | undefined;
      for (const [name, d] of versionDigests) if (d === digest) match = name;
      for (const name of versionNames) {
        if (match) break;
        if (versionDigests.has(name)) continue;
        const d = await this.client.headManifest(repository, name);
        if (!d) continue;
        versionDigests.set(name, d);
        if (d === digest) match = name;
      }
      aliases[alias] = match ?? digest;
    }

    const withAliases = (version: string, info: OciModelManifestInfo) =>
      toVersion(
        version,
        info,
        Object.keys(aliases).filter(a => aliases[a] === version),
      );
    const newest =
      newestInfo && withAliases(newestInfo.version, newestInfo.info);
    const production = aliasInfo.get('production');
    const current = production
      ? withAliases(aliases.production, production)
      : newest ??
        [...aliasInfo].map(([a, info]) => withAliases(aliases[a], info))[0];

    const summary: OciModelRepositorySummary = {
      repository,
      versionNames,
      aliases,
      current,
      newest:
        newest && newest.version !== current?.version ? newest : undefined,
      fingerprint: JSON.stringify([tagsKey, aliasDigests]),
    };
    this.state.set(repository, {
      tags: tagsKey,
      aliasDigests,
      versionDigests,
      summary,
    });
    return summary;
  }

  /** Forgets a repository that no longer exists. */
  forget(repository: string): void {
    this.state.delete(repository);
  }
}

function toVersion(
  version: string,
  info: OciModelManifestInfo,
  aliases: string[],
): ModelRegistryVersion {
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
