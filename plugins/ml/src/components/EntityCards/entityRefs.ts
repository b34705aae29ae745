import {
  CompoundEntityRef,
  DEFAULT_NAMESPACE,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';
import { ML_REFERENCE_FIELDS, MlKind } from '@mlplatform/plugin-ml-common';

function referenceField(entity: Entity, field: string) {
  const fields = ML_REFERENCE_FIELDS[entity.kind as MlKind] ?? [];
  return fields.find(f => f.field === field);
}

/**
 * The entity refs written in `spec[field]` of an ML entity, resolved with the
 * field's default kind the same way the catalog processor resolves them, so
 * the cards link to exactly what the relations point at.
 */
export function specRefs(entity: Entity, field: string): CompoundEntityRef[] {
  const raw = entity.spec?.[field];
  const values = (Array.isArray(raw) ? raw : [raw]).filter(
    (value): value is string => typeof value === 'string' && value !== '',
  );
  const defaultKind = referenceField(entity, field)?.defaultKind;
  const defaultNamespace = entity.metadata.namespace ?? DEFAULT_NAMESPACE;
  return values.flatMap(value => {
    try {
      return [parseEntityRef(value, { defaultKind, defaultNamespace })];
    } catch {
      // The processor rejects such entities; a stale copy must not crash the page.
      return [];
    }
  });
}

/** Target refs of the entity's relations of one type. */
export function relationTargets(entity: Entity, type: string): string[] {
  return (entity.relations ?? [])
    .filter(relation => relation.type === type)
    .map(relation => relation.targetRef);
}

/**
 * Where a reference field points: the catalog's resolved relations when it
 * has emitted them, else the refs written in the spec (e.g. an entity shown
 * before its first processing round).
 */
export function refsOf(
  entity: Entity,
  relationType: string,
  field: string,
): Array<string | CompoundEntityRef> {
  const targets = relationTargets(entity, relationType);
  return targets.length > 0 ? targets : specRefs(entity, field);
}
