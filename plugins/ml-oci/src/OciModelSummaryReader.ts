import {
  MODEL_ANNOTATIONS,
  MODEL_CONFIG_MEDIA_TYPE,
  MODEL_VERSION_TAG_PATTERN,
} from '@mlplatform/plugin-ml-common';
import { mapLimit } from './http';
import {
  artifactManifestInfo,
  collator,
  OciModelManifestInfo,
  OciModelVersion,
  toVersion,
} from './manifestInfo';
import { OciDistributionClient } from './OciDistributionClient';

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
  current?: OciModelVersion;
  /** The newest model version, when it is not `current`. */
  newest?: OciModelVersion;
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
  /**
   * The annotations for which the caller falls back to the newest version
   * when the current one lacks them. When set, a repository whose
   * `production` manifest carries all of them costs no read of the newest
   * version (`newest` is then left out): a `tags/list` and one manifest per
   * alias. Unset, the newest version is always read.
   */
  newestFallbackFor?: readonly string[];
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
 * manifest of the newest version tag (unless `production` makes it needless,
 * see {@link OciModelSummaryReaderOptions.newestFallbackFor}) and one
 * manifest per alias tag. Which
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
  private readonly newestFallbackFor?: readonly string[];

  constructor(
    readonly client: OciDistributionClient,
    options: OciModelSummaryReaderOptions = {},
  ) {
    this.configMediaType = options.configMediaType ?? MODEL_CONFIG_MEDIA_TYPE;
    this.newestFallbackFor = options.newestFallbackFor;
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

    const aliasManifest = async (alias: string) => {
      const digest = aliasDigests[alias] ?? (await manifest(alias));
      if (!this.manifests.has(digest)) await manifest(digest);
      aliasDigests[alias] = digest;
      return this.manifests.get(digest);
    };
    // `production` first: when it is the current version and carries every
    // annotation the caller would take from the newest version, the newest
    // version's manifest is not needed.
    const fallbackFor = this.newestFallbackFor;
    const productionInfo =
      fallbackFor && aliasTags.includes('production')
        ? await aliasManifest('production')
        : undefined;
    const newestNeeded =
      !fallbackFor ||
      !productionInfo ||
      fallbackFor.some(key => productionInfo.annotations[key] === undefined);

    // The newest version that is a model artifact (other artifacts, such as
    // images pushed to the same repository, are skipped).
    let newestInfo: { version: string; info: OciModelManifestInfo } | undefined;
    for (const name of newestNeeded ? versionNames : []) {
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
      const info = await aliasManifest(alias);
      const digest = aliasDigests[alias];
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
