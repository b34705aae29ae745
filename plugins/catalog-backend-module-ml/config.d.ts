import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  catalog?: {
    providers?: {
      /**
       * Keeps GpuQuota entities in step with the GPU quotas of the clusters
       * under `ml.kubernetes.clusters` (read through the ML backend).
       * The provider runs when this key is present.
       */
      mlGpuQuotas?: {
        /** How often to refresh; default every 60 seconds. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /**
         * Owner of quotas whose namespace carries no team label or
         * annotation; such quotas are skipped when this is absent.
         */
        defaultOwner?: string;
      };
      /**
       * Ingests a Feast registry through its REST registry server (`feast
       * serve_registry --rest-api`): feature services and feature views
       * become Dataset entities of `type: features`, their data sources
       * Datasets of `type: table` (docs/datasets.md). The provider runs when
       * this key is present.
       */
      mlFeast?: {
        /** Base URL of the registry REST server, e.g. `http://feast-registry:6572`. */
        url: string;
        /** Name of the registry in logs and location keys; default `feast`. */
        name?: string;
        /**
         * Bearer token for a registry server with authentication.
         * @visibility secret
         */
        token?: string;
        /** Feast projects to read; default every project of the registry. */
        projects?: string[];
        /** How often to refresh; default every 5 minutes. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /**
         * Owner of objects without an `owner` tag (and no Feast `owner` that
         * is an entity ref); such objects are skipped when this is absent.
         */
        defaultOwner?: string;
        /** Entity namespace of the provided Datasets; default `default`. */
        namespace?: string;
      };
      /**
       * Ingests the model repositories of the OCI registries under
       * `ml.registries` as Model entities (one per repository, versions
       * from its tags). The provider runs when this key is present.
       */
      mlRegistryModels?: {
        /** How often to refresh; default every 5 minutes. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        /**
         * Which registries to read, by their `ml.registries` name, and the
         * repository prefixes models (default `models/`) and datasets
         * (default `datasets/`) live under. Default: every OCI registry,
         * prefixes `models/` and `datasets/`.
         */
        registries?: Array<{
          /** Name of an OCI registry under `ml.registries`. */
          name: string;
          /** Repository path prefix of models; `''` for every repository. */
          prefix?: string;
          /**
           * Repository path prefix of datasets, ingested as `Dataset`
           * entities; default `datasets/`, `false` for no datasets. Must
           * differ from `prefix`; a repository under both belongs to the
           * longer prefix.
           */
          datasetPrefix?: string | false;
        }>;
        /**
         * Owner of models and datasets none of whose versions carries the
         * `mlplatform.io/owner` annotation; such repositories are skipped
         * when this is absent.
         */
        defaultOwner?: string;
        /** Entity namespace of the provided Models and Datasets; default `default`. */
        namespace?: string;
        /**
         * `spec.type` of models none of whose versions carries
         * `mlplatform.io/model-type`; default `model`.
         */
        defaultType?: string;
        /**
         * `spec.type` of datasets none of whose versions carries
         * `mlplatform.io/dataset-type`; default `table`.
         */
        defaultDatasetType?: string;
      };
    };
    /** Configuration of the ML entity kinds in the catalog. */
    ml?: {
      /**
       * Also register the ML kinds, relations and annotations as a catalog
       * model layer (the catalog's newer, alpha way of declaring kinds), so
       * that the catalog's model description (e.g. the
       * `get-catalog-model-description` action for MCP clients) includes
       * them. Registering any model layer makes the catalog validate all
       * kinds, built-in ones included, through its model. Validation,
       * defaults and relations of the ML kinds come from the ML processor
       * either way. Default: true.
       */
      registerCatalogModel?: boolean;
      /**
       * Allow `file` locations to be registered through the catalog API (in
       * addition to `url`), so the ML project template can register the
       * project it published with `ml:publish:local`. Demo and tests only:
       * anyone allowed to create locations could register any file the
       * backend can read. Default: false.
       */
      allowFileLocations?: boolean;
    };
  };
}
