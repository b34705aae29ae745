import { MODEL_VERSION_TAG_PATTERN } from '@mlplatform/plugin-ml-common';
import { mapLimit } from './http';
import {
  collator,
  modelManifestInfo,
  OciModelManifestInfo,
  OciModelVersion,
  versionsFromTags,
} from './manifestInfo';
import { OciDistributionClient } from './OciDistributionClient';

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
  versions: OciModelVersion[];
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
