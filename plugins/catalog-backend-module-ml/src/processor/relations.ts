import {
  CompoundEntityRef,
  DEFAULT_NAMESPACE,
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
} from '@backstage/catalog-model';
import {
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  getModelLikeType,
  ML_REFERENCE_FIELDS,
  MlKind,
  RELATION_SERVED_BY,
  RELATION_SERVES,
} from '@mlplatform/plugin-ml-common';

function emitPair(
  emit: CatalogProcessorEmit,
  self: CompoundEntityRef,
  target: CompoundEntityRef,
  relation: string,
  reverseRelation: string,
) {
  emit(processingResult.relation({ source: self, type: relation, target }));
  emit(
    processingResult.relation({
      source: target,
      type: reverseRelation,
      target: self,
    }),
  );
}

/**
 * Emits both directions of every relation of a validated ML entity, one pair
 * per reference in each field of {@link ML_REFERENCE_FIELDS}.
 */
export function emitMlRelations(
  entity: Entity,
  kind: MlKind,
  emit: CatalogProcessorEmit,
) {
  const self = getCompoundEntityRef(entity);
  for (const field of ML_REFERENCE_FIELDS[kind]) {
    const value = entity.spec?.[field.field];
    const refs = Array.isArray(value) ? value : [value];
    for (const ref of refs) {
      if (typeof ref !== 'string') continue;
      const target = parseEntityRef(ref, {
        defaultKind: field.defaultKind,
        defaultNamespace: self.namespace,
      });
      emitPair(emit, self, target, field.relation, field.reverseRelation);
    }
  }
}

/** The refs of a list field naming entities of `kind`; refs that do not parse are Backstage's to report. */
function refsOfKind(
  entity: Entity,
  field: 'dependsOn' | 'dependencyOf',
  kind: string,
): CompoundEntityRef[] {
  const refs = entity.spec?.[field];
  if (!Array.isArray(refs)) return [];
  return refs.flatMap(ref => {
    if (typeof ref !== 'string') return [];
    try {
      const target = parseEntityRef(ref, {
        defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
      });
      return target.kind.toLocaleLowerCase('en-US') === kind ? [target] : [];
    } catch {
      return [];
    }
  });
}

/**
 * The serving relations of model-like entities of Backstage's own kinds:
 *
 * - a Red Hat Developer Hub `ai-model` Resource is served by the Components
 *   in its `spec.dependencyOf` (the bridge's output means that);
 * - a `model-server` Component (the "Deploy a model" template's, or any)
 *   serves the ML Models in its `spec.dependsOn` (`model:<ns>/<name>`).
 *
 * Both emit `servedBy` from the model and `serves` from the Component.
 */
export function emitModelLikeRelations(
  entity: Entity,
  emit: CatalogProcessorEmit,
) {
  const type = getModelLikeType(entity);
  const self = getCompoundEntityRef(entity);
  if (type === 'rhdh-ai-model') {
    for (const server of refsOfKind(entity, 'dependencyOf', 'component')) {
      emitPair(emit, self, server, RELATION_SERVED_BY, RELATION_SERVES);
    }
  } else if (type === 'rhdh-model-server') {
    for (const model of refsOfKind(entity, 'dependsOn', 'model')) {
      emitPair(emit, model, self, RELATION_SERVED_BY, RELATION_SERVES);
    }
  }
}
