import {
  RELATION_HAS_PART,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  RELATION_PART_OF,
} from '@backstage/catalog-model';
import {
  DATASET_KIND,
  GPU_QUOTA_KIND,
  MODEL_KIND,
  MlKind,
  PIPELINE_KIND,
} from './constants';
import {
  RELATION_CONSUMED_BY,
  RELATION_CONSUMES,
  RELATION_DERIVED_FROM,
  RELATION_PRODUCED_BY,
  RELATION_PRODUCES,
  RELATION_QUOTA_OF,
  RELATION_SERVED_BY,
  RELATION_SERVES,
  RELATION_SOURCE_OF,
  RELATION_TRAINED_ON,
  RELATION_TRAINING_DATA_OF,
  RELATION_USES_QUOTA,
} from './relations';

/**
 * A `spec` field of an ML kind that holds entity references, and the relation
 * pair each reference becomes.
 *
 * @public
 */
export interface MlReferenceField {
  /** Name of the field under `spec`. */
  field: string;
  /** True when the field is a list of references. */
  multiple: boolean;
  /** Relation emitted from the entity to the referenced one. */
  relation: string;
  /** Relation emitted from the referenced entity back to the entity. */
  reverseRelation: string;
  /**
   * Kind assumed when a reference has no `kind:` prefix. Absent when the
   * prefix is required because the field accepts several kinds equally.
   */
  defaultKind?: string;
  /** Kinds the field may point to (compared case-insensitively). */
  allowedKinds: string[];
}

const owner = (allowedKinds: string[]): MlReferenceField => ({
  field: 'owner',
  multiple: false,
  relation: RELATION_OWNED_BY,
  reverseRelation: RELATION_OWNER_OF,
  defaultKind: 'Group',
  allowedKinds,
});

const system: MlReferenceField = {
  field: 'system',
  multiple: false,
  relation: RELATION_PART_OF,
  reverseRelation: RELATION_HAS_PART,
  defaultKind: 'System',
  allowedKinds: ['System'],
};

const producedBy: MlReferenceField = {
  field: 'producedBy',
  multiple: false,
  relation: RELATION_PRODUCED_BY,
  reverseRelation: RELATION_PRODUCES,
  defaultKind: PIPELINE_KIND,
  allowedKinds: [PIPELINE_KIND],
};

/**
 * Every reference field of every ML kind. The catalog processor validates and
 * emits relations from this table, so a field missing here would silently
 * drop lineage; the frontend reads it to follow references without relations.
 *
 * @public
 */
export const ML_REFERENCE_FIELDS: Readonly<
  Record<MlKind, readonly MlReferenceField[]>
> = {
  [MODEL_KIND]: [
    owner(['Group', 'User']),
    system,
    {
      field: 'trainedOn',
      multiple: true,
      relation: RELATION_TRAINED_ON,
      reverseRelation: RELATION_TRAINING_DATA_OF,
      defaultKind: DATASET_KIND,
      allowedKinds: [DATASET_KIND],
    },
    producedBy,
    {
      field: 'servedBy',
      multiple: true,
      relation: RELATION_SERVED_BY,
      reverseRelation: RELATION_SERVES,
      defaultKind: 'Component',
      allowedKinds: ['Component', 'API'],
    },
  ],
  [DATASET_KIND]: [
    owner(['Group', 'User']),
    system,
    {
      field: 'derivedFrom',
      multiple: true,
      relation: RELATION_DERIVED_FROM,
      reverseRelation: RELATION_SOURCE_OF,
      defaultKind: DATASET_KIND,
      allowedKinds: [DATASET_KIND],
    },
    producedBy,
  ],
  [PIPELINE_KIND]: [
    owner(['Group', 'User']),
    system,
    {
      field: 'consumes',
      multiple: true,
      relation: RELATION_CONSUMES,
      reverseRelation: RELATION_CONSUMED_BY,
      defaultKind: DATASET_KIND,
      // Evaluation and batch-inference pipelines read a model as well.
      allowedKinds: [DATASET_KIND, MODEL_KIND],
    },
    {
      field: 'produces',
      multiple: true,
      relation: RELATION_PRODUCES,
      reverseRelation: RELATION_PRODUCED_BY,
      // No default: guessing Model or Dataset would silently link lineage to
      // an entity that does not exist.
      allowedKinds: [MODEL_KIND, DATASET_KIND],
    },
    {
      field: 'gpuQuota',
      multiple: false,
      relation: RELATION_USES_QUOTA,
      reverseRelation: RELATION_QUOTA_OF,
      defaultKind: GPU_QUOTA_KIND,
      allowedKinds: [GPU_QUOTA_KIND],
    },
  ],
  // A quota's budget belongs to a team, never to one person.
  [GPU_QUOTA_KIND]: [owner(['Group'])],
};
