import {
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  OciDistributionClientOptions,
  OciRegistryEndpoint,
} from '@mlplatform/plugin-ml-oci';

// What a RegistryModelEntityProvider is given and what a refresh reports,
// apart from how it ingests (RegistryModelEntityProvider.ts).

/**
 * One registry to ingest, and the repository prefixes models and datasets
 * live under.
 *
 * @public
 */
export interface RegistryModelSource {
  endpoint: OciRegistryEndpoint;
  /** Repository path prefix of models, e.g. `models/`; `''` for every repository. */
  prefix: string;
  /**
   * Repository path prefix of datasets; default `datasets/`, `false` for no
   * datasets. A repository under both prefixes belongs to the longer one.
   */
  datasetPrefix?: string | false;
}

/** @public */
export interface RegistryModelEntityProviderOptions {
  sources: RegistryModelSource[];
  logger: LoggerService;
  /** Runs the refresh on a schedule; without it, call `refresh()` yourself. */
  taskRunner?: SchedulerServiceTaskRunner;
  /** Entity namespace of provided Models; default `default`. */
  namespace?: string;
  /** Owner when no version says `mlplatform.io/owner`; such repositories are skipped without it. */
  defaultOwner?: string;
  /** `spec.type` when no version says `mlplatform.io/model-type`; default `model`. */
  defaultType?: string;
  /** Dataset `spec.type` when no version says `mlplatform.io/dataset-type`; default `table`. */
  defaultDatasetType?: string;
  /** Repositories read in parallel per registry; default 16. */
  concurrency?: number;
  /** Passed to the registry clients, e.g. to count requests. */
  clientOptions?: OciDistributionClientOptions;
  /**
   * Registry refs (`oci://host/repository`) that other catalog entities
   * already describe, e.g. hand-written Models or Datasets with an
   * `mlplatform.io/registry-ref` annotation. Such repositories get no
   * entity from this provider (it would clash with theirs). A throw skips
   * the refresh, so nothing clashes while the catalog cannot answer.
   */
  describedElsewhere?: () => Promise<Set<string>>;
}

/** What one refresh did. @public */
export interface RegistryModelRefreshResult {
  /** `full` on the first successful run, `delta` afterwards, `none` when skipped. */
  mutation: 'full' | 'delta' | 'none';
  repositories: number;
  /** Repositories whose tags or digests changed and were re-read. */
  changed: number;
  /** Entities added or updated by this refresh. */
  upserted: number;
  removed: number;
  /** Entities currently provided, Models and Datasets. */
  entities: number;
  /** Models currently provided. */
  models: number;
  /** Datasets currently provided. */
  datasets: number;
  /** HTTP requests sent to the registries during this refresh. */
  requests: number;
  /** Registries that could not be listed. */
  failed: string[];
}
