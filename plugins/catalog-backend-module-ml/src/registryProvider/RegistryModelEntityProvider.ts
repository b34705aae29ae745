import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  DATASET_CONFIG_MEDIA_TYPE,
  DATASET_KIND,
} from '@mlplatform/plugin-ml-common';
import {
  mapLimit,
  OciDistributionClient,
  OciModelSummaryReader,
} from '@mlplatform/plugin-ml-oci';
import {
  MODEL_NEWEST_FALLBACK,
  ModelEntityDefaults,
  toModelEntity,
} from './modelEntity';
import {
  DATASET_NEWEST_FALLBACK,
  DatasetEntityDefaults,
  toDatasetEntity,
} from './datasetEntity';
import {
  RegistryModelEntityProviderOptions,
  RegistryModelRefreshResult,
} from './options';

export type {
  RegistryModelEntityProviderOptions,
  RegistryModelRefreshResult,
  RegistryModelSource,
} from './options';

type ArtifactKind = 'model' | 'dataset';

interface Source {
  name: string;
  /** The registry's `host[:port]`, read once (the client's is a URL getter). */
  host: string;
  prefix: string;
  datasetPrefix: string | false;
  client: OciDistributionClient;
  readers: Record<ArtifactKind, OciModelSummaryReader>;
}

interface Emitted {
  fingerprint: string;
  entity?: DeferredEntity;
}

/**
 * Ingests model repositories of OCI registries as `Model` entities and
 * dataset repositories as `Dataset` entities: one per repository under the
 * configured prefixes (`models/`, `datasets/`), versions from its tags.
 *
 * Reads only what the entity needs: per repository a tags/list, one
 * manifest per alias tag and the newest version's manifest unless
 * `production` carries everything the entity would take from it (see
 * `OciModelSummaryReader`); the Versions card reads the full version list
 * live. Incremental: a repository whose tags and alias digests are unchanged
 * since the last run is neither re-downloaded nor re-emitted (a tags/list
 * plus one HEAD per alias tag tells; version tags are treated as immutable).
 * The first successful run applies a full mutation; later runs apply deltas
 * with only what changed. A registry that fails keeps its entities.
 *
 * @public
 */
export class RegistryModelEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly sources: Source[];
  private readonly defaults: ModelEntityDefaults;
  private readonly datasetDefaults: DatasetEntityDefaults;
  /** Per `source/repository`: fingerprint of its tags and the entity emitted. */
  private readonly emitted = new Map<string, Emitted>();
  private fullDone = false;

  constructor(private readonly options: RegistryModelEntityProviderOptions) {
    this.sources = options.sources.map(s => {
      const client = new OciDistributionClient(s.endpoint, {
        maxSockets: 32,
        ...options.clientOptions,
      });
      return {
        name: s.endpoint.name,
        host: client.host,
        prefix: s.prefix,
        datasetPrefix: s.datasetPrefix ?? 'datasets/',
        client,
        // Version tags never move (ml-push and promotion refuse to): a new
        // repository costs a tags/list and each alias's manifest, plus the
        // newest version's when there is no `production` or it lacks an
        // annotation the entity would take from the newest; an unchanged one
        // a tags/list plus a HEAD per alias.
        readers: {
          model: new OciModelSummaryReader(client, {
            newestFallbackFor: MODEL_NEWEST_FALLBACK,
          }),
          dataset: new OciModelSummaryReader(client, {
            configMediaType: DATASET_CONFIG_MEDIA_TYPE,
            newestFallbackFor: DATASET_NEWEST_FALLBACK,
          }),
        },
      };
    });
    this.defaults = {
      namespace: options.namespace ?? 'default',
      defaultOwner: options.defaultOwner,
      defaultType: options.defaultType ?? 'model',
    };
    this.datasetDefaults = {
      ...this.defaults,
      defaultType: options.defaultDatasetType ?? 'table',
    };
  }

  getProviderName(): string {
    return 'ml-registry-models';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.taskRunner?.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        try {
          const r = await this.refresh();
          this.options.logger.info(
            `Registry Model provider: ${r.mutation} mutation, ${r.models} models, ${r.datasets} datasets, ${r.changed} changed, ${r.removed} removed, ${r.requests} requests`,
          );
        } catch (error) {
          this.options.logger.warn(
            `Registry Model provider: refresh failed: ${
              (error as Error).message
            }`,
          );
        }
      },
    });
  }

  /** Closes the registry connections. */
  close(): void {
    for (const s of this.sources) s.client.close();
  }

  async refresh(): Promise<RegistryModelRefreshResult> {
    if (!this.connection) {
      throw new Error('Registry Model provider: not connected');
    }
    const requestsBefore = this.requestCount();
    let described = new Set<string>();
    if (this.options.describedElsewhere) {
      try {
        described = await this.options.describedElsewhere();
      } catch (e) {
        this.options.logger.warn(
          `Registry Model provider: cannot ask the catalog which repositories are already described; skipping this refresh: ${
            (e as Error).message
          }`,
        );
        return {
          mutation: 'none',
          repositories: 0,
          changed: 0,
          upserted: 0,
          removed: 0,
          ...this.counts(),
          requests: 0,
          failed: [],
        };
      }
    }
    const failed: string[] = [];
    const upserted: DeferredEntity[] = [];
    const removed: DeferredEntity[] = [];
    let repositories = 0;
    let changed = 0;

    for (const source of this.sources) {
      const outcome = await this.refreshSource(source, described);
      if (!outcome) {
        failed.push(source.name);
        continue;
      }
      repositories += outcome.repositories;
      changed += outcome.changed;
      upserted.push(...outcome.upserted);
      removed.push(...outcome.removed);
    }

    const counts = this.counts();
    const { entities } = counts;
    const base = {
      repositories,
      changed,
      removed: 0,
      ...counts,
      failed,
      upserted: 0,
    };
    if (!this.fullDone) {
      if (failed.length > 0) {
        // A full mutation now would delete the entities of the failed
        // registries that the catalog still holds from before a restart.
        this.emitted.clear();
        return {
          ...base,
          mutation: 'none',
          requests: this.requestCount() - requestsBefore,
        };
      }
      await this.connection.applyMutation({
        type: 'full',
        entities: [...this.emitted.values()].flatMap(e =>
          e.entity ? [e.entity] : [],
        ),
      });
      this.fullDone = true;
      return {
        ...base,
        mutation: 'full',
        upserted: entities,
        requests: this.requestCount() - requestsBefore,
      };
    }
    if (upserted.length || removed.length) {
      await this.connection.applyMutation({
        type: 'delta',
        added: upserted,
        removed,
      });
    }
    return {
      ...base,
      mutation: 'delta',
      upserted: upserted.length,
      removed: removed.length,
      requests: this.requestCount() - requestsBefore,
    };
  }

  /** Reads one registry; undefined when it cannot be listed. */
  private async refreshSource(source: Source, described: Set<string>) {
    let repos: string[];
    try {
      repos = (await source.client.listRepositories()).filter(r =>
        artifactKind(source, r),
      );
    } catch (e) {
      this.options.logger.warn(
        `Registry Model provider: cannot list ${
          source.name
        }; keeping its entities: ${(e as Error).message}`,
      );
      return undefined;
    }
    const upserted: DeferredEntity[] = [];
    const removed: DeferredEntity[] = [];
    let changed = 0;
    const seen = new Set<string>();
    await mapLimit(repos, this.options.concurrency ?? 16, async repo => {
      const key = `${source.name}/${repo}`;
      seen.add(key);
      const outcome = described.has(`oci://${source.host}/${repo}`)
        ? { fingerprint: 'described elsewhere' }
        : await this.readRepository(source, repo, artifactKind(source, repo)!);
      if (!outcome) return; // failed: keep what was emitted before
      const previous = this.emitted.get(key);
      if (previous?.fingerprint === outcome.fingerprint) return;
      changed++;
      this.emitted.set(key, outcome);
      if (outcome.entity) upserted.push(outcome.entity);
      else if (previous?.entity) removed.push(previous.entity);
    });
    for (const [key, value] of this.emitted) {
      if (key.startsWith(`${source.name}/`) && !seen.has(key)) {
        this.emitted.delete(key);
        const repo = key.slice(source.name.length + 1);
        source.readers.model.forget(repo);
        source.readers.dataset.forget(repo);
        if (value.entity) removed.push(value.entity);
      }
    }
    return { repositories: repos.length, changed, upserted, removed };
  }

  private counts() {
    let models = 0;
    let datasets = 0;
    for (const { entity } of this.emitted.values()) {
      if (entity?.entity.kind === DATASET_KIND) datasets++;
      else if (entity) models++;
    }
    return { entities: models + datasets, models, datasets };
  }

  private requestCount(): number {
    return this.sources.reduce((sum, s) => sum + s.client.requestCount, 0);
  }

  private async readRepository(
    source: Source,
    repo: string,
    kind: ArtifactKind,
  ): Promise<Emitted | undefined> {
    try {
      const summary = await source.readers[kind].readRepositorySummary(repo);
      const { fingerprint } = summary;
      // Whole literals, not a spread of shared fields: this runs for every
      // repository of a first ingest.
      const entity =
        kind === 'dataset'
          ? toDatasetEntity({
              registryName: source.name,
              host: source.host,
              repository: repo,
              prefix: source.datasetPrefix as string,
              summary,
              defaults: this.datasetDefaults,
            })
          : toModelEntity({
              registryName: source.name,
              host: source.host,
              repository: repo,
              prefix: source.prefix,
              summary,
              defaults: this.defaults,
            });
      if ('skipped' in entity) {
        if (summary.current) {
          this.options.logger.warn(
            `Registry Model provider: skipped ${source.name}/${repo}: ${entity.skipped}`,
          );
        }
        return { fingerprint };
      }
      return {
        fingerprint,
        entity: {
          entity,
          locationKey: `${this.getProviderName()}:${source.name}`,
        },
      };
    } catch (e) {
      this.options.logger.warn(
        `Registry Model provider: cannot read ${
          source.name
        }/${repo}; keeping its ${kind}: ${(e as Error).message}`,
      );
      return undefined;
    }
  }
}

/**
 * Whether a repository holds models or datasets, by the longer of the
 * prefixes it is under; undefined when it is under neither.
 */
function artifactKind(source: Source, repo: string): ArtifactKind | undefined {
  const model = repo.startsWith(source.prefix) ? source.prefix.length : -1;
  const dataset =
    source.datasetPrefix !== false && repo.startsWith(source.datasetPrefix)
      ? source.datasetPrefix.length
      : -1;
  if (model < 0 && dataset < 0) return undefined;
  return dataset > model ? 'dataset' : 'model';
}
