import { Entity, KindValidator } from '@backstage/catalog-model';
import { DATASET_KIND, ML_API_VERSION } from './constants';
import { createMlKindValidator } from './validation/validateMlEntity';

/**
 * How sensitive a dataset is; `internal` when not stated.
 *
 * @public
 */
export type DatasetClassification =
  | 'public'
  | 'internal'
  | 'confidential'
  | 'restricted';

/**
 * The shape of a dataset's records.
 *
 * @public
 */
export type DatasetSchema = {
  /** URI of the authoritative schema (Avro, JSON Schema, feature view, ...). */
  ref?: string;
  fields?: Array<{ name: string; type: string; description?: string }>;
};

/**
 * A dataset (`kind: Dataset`). See docs/entities.md for every field.
 *
 * @public
 */
export interface DatasetEntityV1alpha1 extends Entity {
  apiVersion: typeof ML_API_VERSION;
  kind: typeof DATASET_KIND;
  spec: {
    /** table, images, text, audio, features, ... (open set). */
    type: string;
    lifecycle: string;
    /** Entity ref; a plain name means a Group. */
    owner: string;
    /** Entity ref; a plain name means a System. */
    system?: string;
    /** A URI: s3://, gs://, pvc://, nfs://, feast://, ... */
    location: string;
    format?: string;
    schema?: DatasetSchema;
    /** Filled with `internal` by the catalog processor when absent. */
    classification?: DatasetClassification;
    /**
     * The freshness objective: `maxAge` is how long ago the data may have
     * last changed (`24h`, `7d`) before the Dataset page calls it stale.
     */
    freshness?: { maxAge: string };
    /** Dataset refs. */
    derivedFrom?: string[];
    /** Pipeline ref. */
    producedBy?: string;
  };
}

/**
 * Validates {@link DatasetEntityV1alpha1} entities.
 *
 * @public
 */
export const datasetEntityV1alpha1Validator: KindValidator =
  createMlKindValidator(DATASET_KIND);

/**
 * True for entities of kind Dataset in the ML platform's apiVersion.
 *
 * @public
 */
export function isDatasetEntity(
  entity: Entity,
): entity is DatasetEntityV1alpha1 {
  return (
    entity.apiVersion === ML_API_VERSION &&
    entity.kind.toLocaleLowerCase('en-US') === 'dataset'
  );
}
