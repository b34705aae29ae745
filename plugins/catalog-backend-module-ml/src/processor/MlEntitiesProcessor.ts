import {
  Entity,
  getCompoundEntityRef,
  parseEntityRef,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import { ML_API_VERSION, isMlKind } from '@mlplatform/plugin-ml-common';

function isMlEntity(entity: Entity): boolean {
  return entity.apiVersion === ML_API_VERSION && isMlKind(entity.kind);
}

function requireString(entity: Entity, field: string): string {
  const value = (entity.spec as Record<string, unknown> | undefined)?.[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(
      `${entity.kind} "${entity.metadata.name}": spec.${field} must be a non-empty string`,
    );
  }
  return value;
}

/**
 * Teaches the catalog the ML kinds of `mlplatform.io/v1alpha1`: accepts them
 * as known kinds, checks their required fields and emits their relations.
 *
 * @public
 */
export class MlEntitiesProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'MlEntitiesProcessor';
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    if (!isMlEntity(entity)) {
      if (
        entity.apiVersion?.startsWith('mlplatform.io/') &&
        isMlKind(entity.kind)
      ) {
        throw new InputError(
          `${entity.kind} "${entity.metadata?.name}": apiVersion ${entity.apiVersion} is not supported; use ${ML_API_VERSION}`,
        );
      }
      return false;
    }
    requireString(entity, 'owner');
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (!isMlEntity(entity)) return entity;
    const self = getCompoundEntityRef(entity);
    const owner = parseEntityRef(requireString(entity, 'owner'), {
      defaultKind: 'Group',
      defaultNamespace: self.namespace,
    });
    emit(
      processingResult.relation({
        source: self,
        type: RELATION_OWNED_BY,
        target: owner,
      }),
    );
    emit(
      processingResult.relation({
        source: owner,
        type: RELATION_OWNER_OF,
        target: self,
      }),
    );
    return entity;
  }
}
