import { InputError } from '@backstage/errors';
import {
  DATASET_ANNOTATIONS,
  DATASET_CONFIG_MEDIA_TYPE,
  DATASET_FILE_MEDIA_TYPE,
  DatasetClassification,
} from '@mlplatform/plugin-ml-common';
import {
  PushArtifactFile,
  pushArtifact,
  PushArtifactOptions,
  PushArtifactResult,
  validateArtifactOptions,
} from './pushArtifact';

/**
 * A dataset version to push: where the data lives and how to describe it.
 * The data itself stays where it is; the artifact records it.
 *
 * @public
 */
export interface PushDatasetOptions extends PushArtifactOptions {
  /** URI of the data, e.g. `s3://ml-data/fraud/features/2026-11-23/`. */
  location: string;
  /** Storage format, e.g. `parquet`, `csv`, `jsonl`. */
  format?: string;
  /** The Dataset's spec.type, e.g. `table`, `images`, `features`. */
  datasetType?: string;
  /** Number of records. */
  rows?: number;
  classification?: DatasetClassification;
  /** Owner entity ref, e.g. `group:default/fraud-team`. */
  owner?: string;
  /** Pipeline entity ref that produced it (lineage). */
  producedBy?: string;
  /** Id or URL of the run that produced this version. */
  pipelineRun?: string;
  /** Dataset entity refs it was derived from (lineage). */
  derivedFrom?: string[];
  /** Digest of the record schema, e.g. `sha256:<hex>`. */
  schemaDigest?: string;
  /** URI of the authoritative schema document. */
  schemaRef?: string;
  /** Documents to attach as layers (schema, data card, sample); none by default. */
  files?: PushArtifactFile[];
}

/** @public */
export type PushDatasetResult = PushArtifactResult;

// The same grammars as the Dataset kind's JSON schema, so that what is pushed
// becomes a valid entity.
const ENTITY_REF =
  /^(?:[A-Za-z][A-Za-z0-9]*:)?(?:[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*\/)?[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;
const LOCATION_URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;
const SCHEMA_URI = /^[a-z][a-z0-9+.-]*:\S+$/;
const DATASET_TYPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const CLASSIFICATIONS: DatasetClassification[] = [
  'public',
  'internal',
  'confidential',
  'restricted',
];

function validate(options: PushDatasetOptions) {
  validateArtifactOptions(options);
  if (!options.location || !LOCATION_URI.test(options.location)) {
    throw new InputError(
      `location "${
        options.location ?? ''
      }" must be a URI with a scheme, like s3://bucket/path or pvc://claim/path`,
    );
  }
  if (options.datasetType && !DATASET_TYPE.test(options.datasetType)) {
    throw new InputError(
      `dataset type "${options.datasetType}" must be lower-case words joined by dashes, like table or time-series`,
    );
  }
  if (
    options.rows !== undefined &&
    !(Number.isSafeInteger(options.rows) && options.rows >= 0)
  ) {
    throw new InputError(
      `rows "${options.rows}" must be a whole number, 0 or more`,
    );
  }
  if (
    options.classification &&
    !CLASSIFICATIONS.includes(options.classification)
  ) {
    throw new InputError(
      `classification "${
        options.classification
      }" must be one of ${CLASSIFICATIONS.join(', ')}`,
    );
  }
  const refs: Array<[string, string | undefined]> = [
    ['owner', options.owner],
    ['producedBy', options.producedBy],
    ...(options.derivedFrom ?? []).map((r): [string, string] => [
      'derivedFrom',
      r,
    ]),
  ];
  for (const [field, ref] of refs) {
    if (ref !== undefined && !ENTITY_REF.test(ref)) {
      throw new InputError(
        `${field} "${ref}" must be an entity reference like group:default/fraud-team or pipeline:fraud-features`,
      );
    }
  }
  if (options.schemaDigest && !DIGEST.test(options.schemaDigest)) {
    throw new InputError(
      `schema digest "${options.schemaDigest}" must look like sha256:<hex>`,
    );
  }
  if (options.schemaRef && !SCHEMA_URI.test(options.schemaRef)) {
    throw new InputError(
      `schema ref "${options.schemaRef}" must be a URI, like https://host/schema.json`,
    );
  }
}

/**
 * Pushes a dataset version as an OCI artifact, the way a data pipeline
 * records what it produced: a JSON config blob of media type
 * `application/vnd.mlplatform.dataset.config.v1+json` (location, format,
 * type, rows), any attached documents as layers, and the metadata as manifest
 * annotations (`DATASET_ANNOTATIONS`). Tags it with the version and any
 * aliases; refuses to move an existing version tag unless `force` is set.
 * Everything is checked before the first request, so bad input pushes
 * nothing.
 *
 * @public
 */
export async function pushDataset(
  options: PushDatasetOptions,
): Promise<PushDatasetResult> {
  validate(options);
  return pushArtifact(options, {
    configMediaType: DATASET_CONFIG_MEDIA_TYPE,
    config: {
      location: options.location,
      format: options.format,
      datasetType: options.datasetType,
      rows: options.rows,
    },
    fileMediaType: DATASET_FILE_MEDIA_TYPE,
    files: options.files ?? [],
    annotations: {
      [DATASET_ANNOTATIONS.owner]: options.owner,
      [DATASET_ANNOTATIONS.datasetType]: options.datasetType,
      [DATASET_ANNOTATIONS.format]: options.format,
      [DATASET_ANNOTATIONS.location]: options.location,
      [DATASET_ANNOTATIONS.rows]:
        options.rows === undefined ? undefined : String(options.rows),
      [DATASET_ANNOTATIONS.classification]: options.classification,
      [DATASET_ANNOTATIONS.producedBy]: options.producedBy,
      [DATASET_ANNOTATIONS.pipelineRun]: options.pipelineRun,
      [DATASET_ANNOTATIONS.derivedFrom]: options.derivedFrom?.join(','),
      [DATASET_ANNOTATIONS.schemaDigest]: options.schemaDigest,
      [DATASET_ANNOTATIONS.schemaRef]: options.schemaRef,
    },
  });
}
