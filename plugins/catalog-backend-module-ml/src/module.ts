import { createBackendModule } from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { MlEntitiesProcessor } from './processor/MlEntitiesProcessor';

/**
 * Adds the ML entity kinds to the catalog.
 *
 * @public
 */
export const catalogModuleMlEntityModel = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ml-entity-model',
  register(reg) {
    reg.registerInit({
      deps: { catalog: catalogProcessingExtensionPoint },
      async init({ catalog }) {
        catalog.addProcessor(new MlEntitiesProcessor());
      },
    });
  },
});
