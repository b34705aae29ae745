import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { CatalogModelSources } from '@backstage/catalog-model/alpha';
import {
  catalogLocationsExtensionPoint,
  catalogProcessingExtensionPoint,
} from '@backstage/plugin-catalog-node';
import { catalogModelExtensionPoint } from '@backstage/plugin-catalog-node/alpha';
import { mlCatalogModelLayer } from './model/mlCatalogModelLayer';
import { MlEntitiesProcessor } from './processor/MlEntitiesProcessor';

/**
 * Adds the ML entity kinds to the catalog: the {@link MlEntitiesProcessor}
 * (validation, defaults, relations) and, unless
 * `catalog.ml.registerCatalogModel` is false, the ML kinds' catalog model
 * layer.
 *
 * @public
 */
export const catalogModuleMlEntityModel = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ml-entity-model',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        processing: catalogProcessingExtensionPoint,
        model: catalogModelExtensionPoint,
        locations: catalogLocationsExtensionPoint,
      },
      async init({ config, processing, model, locations }) {
        if (config.getOptionalBoolean('catalog.ml.allowFileLocations')) {
          // Lets the ML project template register what it published to a
          // local directory (ml:publish:local). Demo only: anyone allowed to
          // create locations could then register files of the backend host.
          locations.setAllowedLocationTypes(['url', 'file']);
        }
        processing.addProcessor(new MlEntitiesProcessor());
        if (
          config.getOptionalBoolean('catalog.ml.registerCatalogModel') ??
          true
        ) {
          // static() adds Backstage's default layer, which the catalog
          // deduplicates by ID when other modules add it as well.
          model.addModelSource(
            CatalogModelSources.static([mlCatalogModelLayer]),
          );
        }
      },
    });
  },
});
