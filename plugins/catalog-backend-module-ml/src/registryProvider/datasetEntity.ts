import {
  DATASET_ANNOTATIONS,
  DATASET_KIND,
  DatasetClassification,
  DatasetEntityV1alpha1,
  ML_API_VERSION,
} from '@mlplatform/plugin-ml-common';
import { OciModelRepositorySummary } from '@mlplatform/plugin-ml-oci';
import {
  ENTITY_REF,
  ENTITY_TYPE,
  entityNameFor,
  entityRefs,
  ownerOf,
  registryAnnotations,
} from './registryEntity';

/** Annotation with the current version's record count. */
export const ANNOTATION_DATASET_ROWS = DATASET_ANNOTATIONS.rows;
/** Annotation with the current version's schema digest. */
export const ANNOTATION_DATASET_SCHEMA_DIGEST =
  DATASET_ANNOTATIONS.schemaDigest;

// Same grammars as the Dataset kind's JSON schema: an annotation that would
// make the entity invalid is left out rather than failing the entity.
const LOCATION_URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;
const SCHEMA_URI = /^[a-z][a-z0-9+.-]*:\S+$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ROW_COUNT = /^[0-9]{1,15}$/;
// Read once, not per entity (ml-common's exports can be getters; see
// registryEntity.ts).
const {
  owner: OWNER,
  location: LOCATION,
  datasetType: DATASET_TYPE,
  format: FORMAT,
  classification: CLASSIFICATION,
  producedBy: PRODUCED_BY,
  derivedFrom: DERIVED_FROM,
  schemaRef: SCHEMA_REF,
  rows: ROWS,
  schemaDigest: SCHEMA_DIGEST,
} = DATASET_ANNOTATIONS;
const API_VERSION = ML_API_VERSION;
const KIND = DATASET_KIND;

/**
 * The annotations {@link toDatasetEntity} takes from the newest version when
 * the current one lacks them; the provider reads the newest version only
 * then.
 */
export const DATASET_NEWEST_FALLBACK: readonly string[] = [
  OWNER,
  DATASET_TYPE,
  CLASSIFICATION,
  PRODUCED_BY,
];
const CLASSIFICATIONS = new Set<string>([
  'public',
  'internal',
  'confidential',
  'restricted',
]);

/** How registry repositories become Dataset entities. */
export interface DatasetEntityDefaults {
  /** Entity namespace of provided Datasets. */
  namespace: string;
  /** Owner when no version carries `mlplatform.io/owner`. */
  defaultOwner?: string;
  /** `spec.type` when no version carries `mlplatform.io/dataset-type`. */
  defaultType: string;
}

/**
 * Builds the Dataset entity of one dataset repository from its summary, the
 * same way as Models: the current version (`production`, else the newest)
 * gives owner, location, format, classification and lineage (`producedBy`,
 * `derivedFrom`); rows and schema digest become annotations. Returns the
 * reason instead when the repository cannot become an entity.
 */
export function toDatasetEntity(options: {
  registryName: string;
  host: string;
  repository: string;
  prefix: string;
  summary: OciModelRepositorySummary;
  defaults: DatasetEntityDefaults;
}): DatasetEntityV1alpha1 | { skipped: string } {
  const { registryName, host, repository, prefix, summary, defaults } = options;
  const name = entityNameFor(repository, prefix);
  if (!name) {
    return { skipped: `"${repository}" does not map to a valid entity name` };
  }
  const { current, newest } = summary;
  if (!current) return { skipped: 'it holds no dataset versions' };
  const own = current.annotations;
  const fallback = newest?.annotations;

  const ownership = ownerOf(
    own[OWNER] ?? fallback?.[OWNER],
    OWNER,
    defaults.defaultOwner,
  );
  if ('skipped' in ownership) return ownership;
  const { owner } = ownership;
  // Where the data is belongs to the version itself, never to another one.
  const location = own[LOCATION];
  if (!location || !LOCATION_URI.test(location)) {
    return {
      skipped: location
        ? `version ${current.version} has location "${location}", which is not a URI`
        : `version ${current.version} has no ${LOCATION} annotation`,
    };
  }
  const type = own[DATASET_TYPE] ?? fallback?.[DATASET_TYPE];
  const format = own[FORMAT];
  const classification = own[CLASSIFICATION] ?? fallback?.[CLASSIFICATION];
  const producedBy = own[PRODUCED_BY] ?? fallback?.[PRODUCED_BY];
  const derivedFrom = entityRefs(own[DERIVED_FROM]);
  const schemaRef = own[SCHEMA_REF];
  const rows = own[ROWS];
  const schemaDigest = own[SCHEMA_DIGEST];
  const versionCount = Math.max(summary.versionNames.length, 1);
  const registryRef = `oci://${host}/${repository}`;

  // Optional fields are assigned, not spread in (see toModelEntity).
  const annotations = registryAnnotations(
    registryRef,
    summary,
    current.version,
  );
  if (rows && ROW_COUNT.test(rows)) {
    annotations[ROWS] = rows;
  }
  if (schemaDigest && DIGEST.test(schemaDigest)) {
    annotations[SCHEMA_DIGEST] = schemaDigest;
  }
  const spec: DatasetEntityV1alpha1['spec'] = {
    type: type && ENTITY_TYPE.test(type) ? type : defaults.defaultType,
    lifecycle: 'production' in summary.aliases ? 'production' : 'experimental',
    owner,
    location,
  };
  if (format) spec.format = format;
  if (schemaRef && SCHEMA_URI.test(schemaRef)) {
    spec.schema = { ref: schemaRef };
  }
  if (classification && CLASSIFICATIONS.has(classification)) {
    spec.classification = classification as DatasetClassification;
  }
  if (derivedFrom.length) spec.derivedFrom = derivedFrom;
  if (producedBy && ENTITY_REF.test(producedBy)) spec.producedBy = producedBy;
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace: defaults.namespace,
      description: `Dataset versions in registry "${registryName}": ${versionCount}, current ${current.version}`,
      annotations,
    },
    spec,
  };
}
