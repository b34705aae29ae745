import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import { AuditStore } from '../database/AuditStore';
import { GpuReservationStore } from '../database/GpuReservationStore';

/**
 * The fraud team's production Model `name` whose versions are the
 * repository `models/<name>` of the OCI registry at `registryHost`.
 */
export function registryModel(
  registryHost: string,
  name = 'fraud-detector',
): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'mlplatform.io/registry-ref': `oci://${registryHost}/models/${name}`,
      },
    },
    spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
  };
}

/** The audit and GPU reservation stores on one test database, migrated. */
export async function mlStores(knex: Knex) {
  const database = {
    getClient: async () => knex,
    migrations: { skip: false },
  };
  // one after the other: both run the plugin's migrations
  const auditStore = await AuditStore.create({ database });
  const reservations = await GpuReservationStore.create({ database });
  return { auditStore, reservations };
}
