import { MODEL_VERSION_TAG_PATTERN } from '@mlplatform/plugin-ml-common';
import {
  ModelRegistryAdapter,
  ModelRegistryAliasResult,
  ModelRegistryError,
  ModelRegistryVersion,
} from '@mlplatform/plugin-ml-node';
import {
  isOciDigest,
  OciDistributionClient,
  OciDistributionClientOptions,
  OciModelReader,
  OciRegistryEndpoint,
  parseOciModelRef,
  validateOciTag,
} from '@mlplatform/plugin-ml-oci';

/**
 * Model versions in one OCI distribution registry. Versions are version-like
 * tags (`v3`, `1.2.0`) on model artifacts; aliases are the other tags
 * (`production`, `staging`) on the same manifests. Moving an alias PUTs the
 * version's manifest bytes under the alias tag, so the digest is unchanged.
 *
 * @internal
 */
export class OciRegistryAdapter implements ModelRegistryAdapter {
  readonly scheme = 'oci';
  readonly name: string;
  readonly client: OciDistributionClient;
  private readonly reader: OciModelReader;

  constructor(
    endpoint: OciRegistryEndpoint,
    options: OciDistributionClientOptions = {},
  ) {
    this.name = endpoint.name;
    this.client = new OciDistributionClient(endpoint, options);
    this.reader = new OciModelReader(this.client);
  }

  close(): void {
    this.client.close();
  }

  supports(ref: string): boolean {
    return parseOciModelRef(ref).host === this.client.host.toLowerCase();
  }

  private repositoryOf(ref: string): string {
    const parsed = parseOciModelRef(ref);
    if (parsed.host !== this.client.host.toLowerCase()) {
      throw new ModelRegistryError(
        'host-not-allowed',
        `Registry "${this.name}" is ${this.client.host}, not ${parsed.host}`,
      );
    }
    return parsed.repository;
  }

  async listVersions(ref: string): Promise<ModelRegistryVersion[]> {
    const repository = this.repositoryOf(ref);
    return (await this.reader.readRepository(repository)).versions;
  }

  async setAlias(
    ref: string,
    alias: string,
    version: string,
  ): Promise<ModelRegistryAliasResult> {
    const repository = this.repositoryOf(ref);
    validateOciTag(alias, 'alias');
    if (MODEL_VERSION_TAG_PATTERN.test(alias)) {
      throw new ModelRegistryError(
        'invalid-ref',
        `Invalid alias "${alias}": it looks like a version tag, and promoting may only move aliases such as production`,
      );
    }
    if (!isOciDigest(version)) validateOciTag(version, 'version');
    const { versions } = await this.reader.readRepository(repository);
    const target = versions.find(
      v =>
        v.version === version || (isOciDigest(version) && v.digest === version),
    );
    if (!target) {
      const known = versions
        .map(v => v.version)
        .slice(0, 10)
        .join(', ');
      throw new ModelRegistryError(
        'not-found',
        `Version "${version}" of ${repository} not found in registry "${
          this.name
        }" (${this.client.host}); versions: ${known || 'none'}`,
        404,
      );
    }
    const previous = versions.find(v => v.aliases.includes(alias));
    const manifest = await this.client.getManifest(repository, target.digest!);
    const digest = await this.client.putManifest(
      repository,
      alias,
      manifest.raw,
      manifest.mediaType,
    );
    return { previousVersion: previous?.version, digest };
  }
}
