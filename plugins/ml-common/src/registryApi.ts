/**
 * The media type of the config blob of a model artifact in an OCI registry.
 * Only manifests whose `config.mediaType` is this one are model versions;
 * other artifacts (container images, signatures) in the same repository are
 * ignored. The blob is a JSON object with the same metadata as the manifest
 * annotations (see {@link MODEL_ANNOTATIONS}).
 *
 * @public
 */
export const MODEL_CONFIG_MEDIA_TYPE =
  'application/vnd.mlplatform.model.config.v1+json';

/**
 * The media type of a model file layer (weights, ONNX graph, ...). The file
 * name travels in the layer's `org.opencontainers.image.title` annotation.
 *
 * @public
 */
export const MODEL_FILE_MEDIA_TYPE = 'application/vnd.mlplatform.model.file.v1';

/**
 * The OCI image manifest media type, which model artifacts use.
 *
 * @public
 */
export const OCI_IMAGE_MANIFEST_MEDIA_TYPE =
  'application/vnd.oci.image.manifest.v1+json';

/**
 * Manifest annotation keys of a model artifact.
 *
 * - `created`: ISO 8601 time the version was pushed (OCI standard key).
 * - `framework`: e.g. `onnx`, `pytorch`.
 * - `metrics`: JSON object of metric name to number, e.g. `{"auc":0.97}`.
 * - `pipelineRun`: id or URL of the training run that produced it.
 * - `datasetDigests`: comma-separated digests of the data it was trained on.
 * - `owner`: entity ref of the owning group, used by the catalog provider.
 * - `pipeline`: entity ref of the Pipeline that trains it (lineage).
 * - `trainedOn`: comma-separated Dataset entity refs (lineage).
 * - `modelType`: the Model's `spec.type`, e.g. `classifier`.
 * - `version`: the version tag it was pushed as, so an alias tag pointing at
 *   the same manifest tells its version without further requests.
 *
 * @public
 */
export const MODEL_ANNOTATIONS = {
  created: 'org.opencontainers.image.created',
  title: 'org.opencontainers.image.title',
  framework: 'mlplatform.io/framework',
  metrics: 'mlplatform.io/metrics',
  pipelineRun: 'mlplatform.io/pipeline-run',
  datasetDigests: 'mlplatform.io/dataset-digests',
  owner: 'mlplatform.io/owner',
  pipeline: 'mlplatform.io/pipeline',
  trainedOn: 'mlplatform.io/trained-on',
  modelType: 'mlplatform.io/model-type',
  version: 'mlplatform.io/version',
} as const;

/**
 * The media type of the config blob of a dataset artifact in an OCI
 * registry. A dataset version is a small OCI artifact that describes data
 * living elsewhere (its `location`): the config blob says where and in which
 * format, optional layers carry documents such as the schema. Only manifests
 * with this config type are dataset versions. The manifest digest of a
 * dataset version is what a model's `mlplatform.io/dataset-digests` refers to.
 *
 * @public
 */
export const DATASET_CONFIG_MEDIA_TYPE =
  'application/vnd.mlplatform.dataset.config.v1+json';

/**
 * The media type of a file layer of a dataset artifact (a schema document, a
 * data card, a sample). The file name travels in the layer's
 * `org.opencontainers.image.title` annotation.
 *
 * @public
 */
export const DATASET_FILE_MEDIA_TYPE =
  'application/vnd.mlplatform.dataset.file.v1';

/**
 * Manifest annotation keys of a dataset artifact. Keys shared with models
 * (`created`, `owner`, `pipeline`, `pipelineRun`, `version`) have the same
 * names and meaning as in {@link MODEL_ANNOTATIONS}.
 *
 * - `created`: ISO 8601 time the version was pushed (OCI standard key).
 * - `owner`: entity ref of the owning group (the Dataset's `spec.owner`).
 * - `datasetType`: the Dataset's `spec.type`, e.g. `table`, `images`.
 * - `format`: storage format, e.g. `parquet`, `csv`, `jsonl`.
 * - `location`: URI of the data itself, e.g. `s3://bucket/path/`.
 * - `rows`: number of records, a non-negative integer.
 * - `classification`: `public`, `internal`, `confidential` or `restricted`.
 * - `producedBy`: entity ref of the Pipeline that produced it (lineage).
 * - `pipelineRun`: id or URL of the run that produced this version.
 * - `derivedFrom`: comma-separated Dataset entity refs it was derived from.
 * - `schemaDigest`: digest of the record schema (`sha256:<hex>`), so that a
 *   schema change between versions shows.
 * - `schemaRef`: URI of the authoritative schema document.
 * - `version`: the version tag it was pushed as (see {@link MODEL_ANNOTATIONS}).
 *
 * @public
 */
export const DATASET_ANNOTATIONS = {
  created: MODEL_ANNOTATIONS.created,
  title: MODEL_ANNOTATIONS.title,
  owner: MODEL_ANNOTATIONS.owner,
  datasetType: 'mlplatform.io/dataset-type',
  format: 'mlplatform.io/format',
  location: 'mlplatform.io/location',
  rows: 'mlplatform.io/rows',
  classification: 'mlplatform.io/classification',
  producedBy: MODEL_ANNOTATIONS.pipeline,
  pipelineRun: MODEL_ANNOTATIONS.pipelineRun,
  derivedFrom: 'mlplatform.io/derived-from',
  schemaDigest: 'mlplatform.io/schema-digest',
  schemaRef: 'mlplatform.io/schema-ref',
  version: MODEL_ANNOTATIONS.version,
} as const;

/**
 * An alias name: a registry tag or MLflow alias that moves between versions,
 * such as `production` or `staging`. Same grammar as an OCI tag.
 *
 * @public
 */
export const MODEL_ALIAS_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * Tags that name a version rather than an alias: `v3`, `1.2.0`, `2024-05-01`,
 * `v1.0.0-rc.1`. Aliases may not look like this, so that promoting can never
 * overwrite a version.
 *
 * @public
 */
export const MODEL_VERSION_TAG_PATTERN =
  /^v?[0-9]+(?:[._-][0-9]+)*(?:[-+][0-9A-Za-z][0-9A-Za-z._-]*)?$/;

/**
 * The training run that produced a version.
 *
 * @public
 */
export interface ModelSourceRun {
  /** Run id or URL as the registry recorded it. */
  id: string;
  /** A link to the run in its tracking UI, when one can be built. */
  url?: string;
}

/**
 * One version of a model, as `GET /api/ml/models/:namespace/:name/versions`
 * returns it.
 *
 * @public
 */
export interface ModelVersion {
  /** The version name: an OCI version tag (`v3`) or an MLflow version (`3`). */
  version: string;
  /** Content digest of the OCI manifest; absent for MLflow. */
  digest?: string;
  /** ISO 8601 creation time, when known. */
  created?: string;
  /** Aliases pointing at this version, e.g. `["production"]`. */
  aliases: string[];
  /** Evaluation metrics recorded with the version. */
  metrics: Record<string, number>;
  framework?: string;
  sourceRun?: ModelSourceRun;
  /** Digests of the datasets it was trained on. */
  datasetDigests: string[];
  /** Total artifact size in bytes, when known. */
  sizeBytes?: number;
}

/**
 * Response of `GET /api/ml/models/:namespace/:name/versions`.
 *
 * @public
 */
export interface ModelVersionsResponse {
  /** The Model entity ref, e.g. `model:default/fraud-detector`. */
  entityRef: string;
  /** The registry ref the versions were read from. */
  registryRef: string;
  /** Name of the configured registry (from `ml.registries`). */
  registry: string;
  /** Newest first. */
  versions: ModelVersion[];
}

/**
 * Response of `POST /api/ml/models/:namespace/:name/aliases`.
 *
 * @public
 */
export interface PromoteModelResponse {
  entityRef: string;
  alias: string;
  version: string;
  /** The version the alias pointed at before, if any. */
  previousVersion?: string;
  /** OCI manifest digest the alias now points at. */
  digest?: string;
}

export * from './registriesConfig';
