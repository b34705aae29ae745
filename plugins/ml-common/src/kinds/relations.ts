import {
  DATASET_KIND,
  MODEL_KIND,
  PIPELINE_KIND,
  GPU_QUOTA_KIND,
} from './constants';

// Backstage defines ownedBy/ownerOf and partOf/hasPart; these pairs are the
// lineage vocabulary it lacks. Each forward type has exactly one reverse type,
// and the catalog processor always emits both directions.

/** A Model was trained on a Dataset. @public */
export const RELATION_TRAINED_ON = 'trainedOn';
/** Reverse of {@link RELATION_TRAINED_ON}. @public */
export const RELATION_TRAINING_DATA_OF = 'trainingDataOf';
/** A Model or Dataset was produced by a Pipeline. @public */
export const RELATION_PRODUCED_BY = 'producedBy';
/** Reverse of {@link RELATION_PRODUCED_BY}. @public */
export const RELATION_PRODUCES = 'produces';
/** A Pipeline reads a Dataset (or a Model, for evaluation and batch inference). @public */
export const RELATION_CONSUMES = 'consumes';
/** Reverse of {@link RELATION_CONSUMES}. @public */
export const RELATION_CONSUMED_BY = 'consumedBy';
/** A Dataset was derived from another Dataset. @public */
export const RELATION_DERIVED_FROM = 'derivedFrom';
/** Reverse of {@link RELATION_DERIVED_FROM}. @public */
export const RELATION_SOURCE_OF = 'sourceOf';
/** A Model is served by a Component (or exposed through an API). @public */
export const RELATION_SERVED_BY = 'servedBy';
/** Reverse of {@link RELATION_SERVED_BY}. @public */
export const RELATION_SERVES = 'serves';
/** A Pipeline runs on a GpuQuota. @public */
export const RELATION_USES_QUOTA = 'usesQuota';
/** Reverse of {@link RELATION_USES_QUOTA}. @public */
export const RELATION_QUOTA_OF = 'quotaOf';

/**
 * One relation pair of the ML entity model: the forward type is emitted from
 * the entity that holds the reference field, the reverse type from its target.
 *
 * @public
 */
export interface MlRelationPair {
  /** Kinds the forward relation starts from. */
  fromKind: string[];
  /** Kinds the forward relation points to. */
  toKind: string[];
  /** What the relation means, for catalog model descriptions and docs. */
  description: string;
  forward: { type: string; title: string };
  reverse: { type: string; title: string };
}

/**
 * The lineage relation pairs the ML kinds add to the catalog.
 *
 * @public
 */
export const ML_RELATION_PAIRS: readonly MlRelationPair[] = [
  {
    fromKind: [MODEL_KIND],
    toKind: [DATASET_KIND],
    description: 'A model was trained on a dataset.',
    forward: { type: RELATION_TRAINED_ON, title: 'trained on' },
    reverse: { type: RELATION_TRAINING_DATA_OF, title: 'training data of' },
  },
  {
    fromKind: [MODEL_KIND, DATASET_KIND],
    toKind: [PIPELINE_KIND],
    description: 'A model or dataset is the output of a pipeline.',
    forward: { type: RELATION_PRODUCED_BY, title: 'produced by' },
    reverse: { type: RELATION_PRODUCES, title: 'produces' },
  },
  {
    fromKind: [PIPELINE_KIND],
    toKind: [DATASET_KIND, MODEL_KIND],
    description:
      'A pipeline reads a dataset, or a model when it evaluates it or runs batch inference with it.',
    forward: { type: RELATION_CONSUMES, title: 'consumes' },
    reverse: { type: RELATION_CONSUMED_BY, title: 'consumed by' },
  },
  {
    fromKind: [DATASET_KIND],
    toKind: [DATASET_KIND],
    description: 'A dataset was derived from another dataset.',
    forward: { type: RELATION_DERIVED_FROM, title: 'derived from' },
    reverse: { type: RELATION_SOURCE_OF, title: 'source of' },
  },
  {
    // Resource: Red Hat Developer Hub's `ai-model` resources, see modelLike.ts.
    fromKind: [MODEL_KIND, 'Resource'],
    toKind: ['Component', 'API'],
    description:
      'A model is served by a component (its model server) or exposed through an API.',
    forward: { type: RELATION_SERVED_BY, title: 'served by' },
    reverse: { type: RELATION_SERVES, title: 'serves' },
  },
  {
    fromKind: [PIPELINE_KIND],
    toKind: [GPU_QUOTA_KIND],
    description: 'A pipeline runs its jobs on a GPU quota.',
    forward: { type: RELATION_USES_QUOTA, title: 'uses quota' },
    reverse: { type: RELATION_QUOTA_OF, title: 'quota of' },
  },
];
