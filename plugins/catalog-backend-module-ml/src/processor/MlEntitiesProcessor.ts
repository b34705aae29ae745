import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
} from '@backstage/plugin-catalog-node';
import {
  applyMlEntityDefaults,
  formatMlEntityIssues,
  isModelLike,
  MlKind,
  validateMlAnnotations,
  validateMlEntity,
} from '@mlplatform/plugin-ml-common';
import { classifyEntity } from './classify';
import { emitMlRelations, emitModelLikeRelations } from './relations';

function rejectMisdeclared(entity: Entity): void {
  throw new InputError(formatMlEntityIssues(entity, validateMlEntity(entity)));
}

/**
 * Teaches the catalog the ML kinds of `mlplatform.io/v1alpha1` (Model,
 * Dataset, Pipeline, GpuQuota): fills their defaults, validates them against
 * their JSON schemas and rules with messages that name the entity, the field
 * and the reason, and emits both directions of every relation their reference
 * fields imply. Red Hat Developer Hub `ai-model` Resources get their ML
 * annotations checked and a servedBy/serves relation; `model-server`
 * Components serve the ML Models in their `spec.dependsOn`.
 *
 * @public
 */
export class MlEntitiesProcessor implements CatalogProcessor {
  getProcessorName(): string {
    return 'MlEntitiesProcessor';
  }

  /**
   * Runs before the catalog's default priority (20). When the ML kinds are
   * also registered in the catalog model, the catalog's ModelProcessor checks
   * them too, and the first processor to throw decides the error the user
   * sees: it should be ours, which names the field and the fix.
   */
  getPriority(): number {
    return 10;
  }

  async preProcessEntity(entity: Entity): Promise<Entity> {
    const classification = classifyEntity(entity);
    // Fails before the model processor's preprocessing would, with a message
    // that says which apiVersion to write.
    if (classification === 'misdeclared') rejectMisdeclared(entity);
    return classification === 'ml' ? applyMlEntityDefaults(entity) : entity;
  }

  async validateEntityKind(entity: Entity): Promise<boolean> {
    const classification = classifyEntity(entity);
    if (classification === 'misdeclared') rejectMisdeclared(entity);
    if (classification === 'other') {
      if (isModelLike(entity)) {
        const issues = validateMlAnnotations(entity);
        if (issues.length) {
          throw new InputError(formatMlEntityIssues(entity, issues));
        }
      }
      // Not our kind: whoever owns it says whether it is valid.
      return false;
    }
    const issues = validateMlEntity(entity);
    if (issues.length) {
      throw new InputError(formatMlEntityIssues(entity, issues));
    }
    return true;
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (classifyEntity(entity) === 'ml') {
      emitMlRelations(entity, entity.kind as MlKind, emit);
    } else {
      emitModelLikeRelations(entity, emit);
    }
    return entity;
  }
}
