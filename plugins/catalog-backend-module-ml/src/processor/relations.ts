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

/**
 * Gives Red Hat Developer Hub `ai-model` Resources the serving relation of ML
 * Models: the Components listed in `spec.dependencyOf` depend on the model,
 * which for the bridge's output means they serve it. Refs that do not parse
 * are skipped; Backstage's own processing reports them.
 */
export function emitModelLikeRelations(
  entity: Entity,
  emit: CatalogProcessorEmit,
) {
  if (getModelLikeType(entity) !== 'rhdh-ai-model') return;
  const self = getCompoundEntityRef(entity);
  const dependents = entity.spec?.dependencyOf;
  if (!Array.isArray(dependents)) return;
  for (const ref of dependents) {
    if (typeof ref !== 'string') continue;
    let target: CompoundEntityRef;
    try {
      target = parseEntityRef(ref, {
        defaultNamespace: entity.metadata.namespace ?? DEFAULT_NAMESPACE,
      });
    } catch {
      continue;
    }
    if (target.kind.toLocaleLowerCase('en-US') === 'component') {
      emitPair(emit, self, target, RELATION_SERVED_BY, RELATION_SERVES);
    }
  }
}
