import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';

/**
 * An entity provider connection for tests: applies mutations the way the
 * catalog does, keyed by entity ref, and refuses a full mutation that holds
 * the same entity twice.
 */
export class CollectingConnection implements EntityProviderConnection {
  readonly mutations: EntityProviderMutation[] = [];
  readonly entities = new Map<string, Entity>();

  async applyMutation(mutation: EntityProviderMutation) {
    this.mutations.push(mutation);
    if (mutation.type === 'full') {
      this.entities.clear();
      for (const d of mutation.entities) {
        if (this.entities.has(stringifyEntityRef(d.entity))) {
          throw new Error(`duplicate ${stringifyEntityRef(d.entity)}`);
        }
        this.entities.set(stringifyEntityRef(d.entity), d.entity);
      }
    } else {
      for (const d of mutation.removed) {
        this.entities.delete(
          'entity' in d ? stringifyEntityRef(d.entity) : d.entityRef,
        );
      }
      for (const d of mutation.added) {
        this.entities.set(stringifyEntityRef(d.entity), d.entity);
      }
    }
  }

  async refresh() {}
}
