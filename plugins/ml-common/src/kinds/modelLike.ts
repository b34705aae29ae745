import { Entity } from '@backstage/catalog-model';
import { ANNOTATION_REGISTRY_REF } from '../annotations';
import { isModelEntity } from './ModelEntityV1alpha1';

/**
 * Annotation in which Red Hat Developer Hub's model catalog bridge stores the
 * name a model server knows the model by.
 *
 * @public
 */
export const ANNOTATION_RHDH_MODEL_NAME = 'rhdh.modelcatalog.io/model-name';

/**
 * What kind of model-like entity something is:
 * - `model`: an ML platform Model.
 * - `rhdh-ai-model`: a `Resource` with `spec.type: ai-model`, as Red Hat
 *   Developer Hub's model catalog bridge emits for a model (version).
 * - `rhdh-model-server`: a `Component` with `spec.type: model-server`, the
 *   server (e.g. a KServe InferenceService) the bridge emits next to it.
 *
 * @public
 */
export type ModelLikeType = 'model' | 'rhdh-ai-model' | 'rhdh-model-server';

function specType(entity: Entity): string | undefined {
  const type = entity.spec?.type;
  return typeof type === 'string' ? type : undefined;
}

/**
 * Classifies an entity as model-like, or not.
 *
 * @public
 */
export function getModelLikeType(entity: Entity): ModelLikeType | undefined {
  if (isModelEntity(entity)) return 'model';
  const kind = entity.kind.toLocaleLowerCase('en-US');
  if (kind === 'resource' && specType(entity) === 'ai-model') {
    return 'rhdh-ai-model';
  }
  if (kind === 'component' && specType(entity) === 'model-server') {
    return 'rhdh-model-server';
  }
  return undefined;
}

/**
 * True for entities that get the model cards: ML Models and the shapes Red Hat
 * Developer Hub's model catalog emits (see {@link ModelLikeType}).
 *
 * @public
 */
export function isModelLike(entity: Entity): boolean {
  return getModelLikeType(entity) !== undefined;
}

/**
 * Model card data of a model-like entity, whatever shape it came in.
 *
 * @public
 */
export interface ModelCardInfo {
  type: ModelLikeType;
  intendedUse?: string;
  limitations?: string;
  /** License name (ML Models), when known. */
  license?: string;
  /** Link to the license text (RHDH entities carry one in `metadata.links`). */
  licenseUrl?: string;
  /** The full card: an http(s) URL or `techdocs:<page path>`. */
  modelCard?: string;
  /** Whether the entity has TechDocs (`backstage.io/techdocs-ref`), where RHDH puts model cards. */
  hasTechDocs: boolean;
  metrics?: Record<string, number>;
  framework?: string;
  task?: string;
  lifecycle?: string;
  /** Where the versions live (`mlplatform.io/registry-ref` or `spec.registry`). */
  registryRef?: string;
  /** Name the model server knows the model by (RHDH annotation). */
  servedModelName?: string;
}

function linkTo(entity: Entity, word: RegExp): string | undefined {
  return entity.metadata.links?.find(
    link => word.test(link.title ?? '') || word.test(link.type ?? ''),
  )?.url;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads the model card fields of any model-like entity. ML Models carry them
 * in `spec`; RHDH entities carry what the bridge knows in links, annotations
 * and TechDocs, so the card shows what the data allows.
 *
 * @returns the card data, or undefined when the entity is not model-like.
 * @public
 */
export function getModelCardInfo(entity: Entity): ModelCardInfo | undefined {
  const type = getModelLikeType(entity);
  if (!type) return undefined;
  const annotations = entity.metadata.annotations ?? {};
  const common = {
    type,
    hasTechDocs: Boolean(annotations['backstage.io/techdocs-ref']),
    lifecycle: optionalString(entity.spec?.lifecycle),
    registryRef: optionalString(annotations[ANNOTATION_REGISTRY_REF]),
    servedModelName: optionalString(annotations[ANNOTATION_RHDH_MODEL_NAME]),
    licenseUrl: linkTo(entity, /licen[cs]e/i),
  };
  if (isModelEntity(entity)) {
    const { spec } = entity;
    return {
      ...common,
      intendedUse: spec.intendedUse,
      limitations: spec.limitations,
      license: spec.license,
      modelCard: spec.modelCard,
      metrics: spec.metrics,
      framework: spec.framework,
      task: spec.task,
      registryRef: common.registryRef ?? spec.registry,
    };
  }
  return common;
}
