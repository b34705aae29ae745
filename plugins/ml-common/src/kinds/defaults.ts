import { Entity } from '@backstage/catalog-model';
import { ANNOTATION_REGISTRY_REF } from '../annotations';
import { DATASET_KIND, ML_API_VERSION, MODEL_KIND } from './constants';
import { REGISTRY_REF_PATTERN } from './validation/patterns';

const registryRef = new RegExp(REGISTRY_REF_PATTERN);

/**
 * The classification of a Dataset that does not state one. Data is treated
 * as internal unless someone says otherwise: never public by accident.
 *
 * @public
 */
export const DEFAULT_DATASET_CLASSIFICATION = 'internal';

/**
 * Fills the defaults of the ML kinds, without changing anything that is set:
 *
 * - Dataset `spec.classification`: {@link DEFAULT_DATASET_CLASSIFICATION}.
 * - Model `metadata.annotations["mlplatform.io/registry-ref"]`: copied from
 *   `spec.registry`, so the ML backend finds versions of Models and of
 *   annotation-only entities (Red Hat Developer Hub's ai-model Resources) in
 *   the same place.
 *
 * Values of the wrong type or format are left alone for validation to report
 * once, at the field the author wrote.
 *
 * @returns a new entity when something was filled, else the same one.
 * @public
 */
export function applyMlEntityDefaults(entity: Entity): Entity {
  if (entity.apiVersion !== ML_API_VERSION) return entity;
  const spec = entity.spec;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    return entity;
  }
  if (entity.kind === DATASET_KIND && spec.classification === undefined) {
    return {
      ...entity,
      spec: { ...spec, classification: DEFAULT_DATASET_CLASSIFICATION },
    };
  }
  const annotations = entity.metadata.annotations ?? {};
  // The annotation is checked first: entities from the registry provider
  // carry it, and then the registry ref need not be matched again.
  if (
    entity.kind === MODEL_KIND &&
    annotations[ANNOTATION_REGISTRY_REF] === undefined &&
    typeof spec.registry === 'string' &&
    registryRef.test(spec.registry)
  ) {
    return {
      ...entity,
      metadata: {
        ...entity.metadata,
        annotations: {
          ...annotations,
          [ANNOTATION_REGISTRY_REF]: spec.registry,
        },
      },
    };
  }
  return entity;
}
