import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createGpuQuotaCheckAction } from './actions/gpuQuotaCheck';
import { createNotebookCreateAction } from './actions/notebookCreate';
import { createPublishLocalActions } from './actions/publishLocalActions';
import { createWriteEntitiesAction } from './actions/writeEntities';

/**
 * Adds the ML platform's actions to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleMl = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'ml',
  register({ registerInit }) {
    registerInit({
      deps: {
        scaffolderActions: scaffolderActionsExtensionPoint,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
      },
      async init({ scaffolderActions, discovery, auth, config, catalog }) {
        const registries = config.getOptionalConfigArray('ml.registries');
        scaffolderActions.addActions(
          createWriteEntitiesAction({
            registries: registries && {
              ociHosts: registries
                .filter(r => r.getString('type') === 'oci')
                .map(r => new URL(r.getString('url')).host.toLowerCase()),
              mlflow: registries.some(r => r.getString('type') === 'mlflow'),
            },
          }),
          createGpuQuotaCheckAction({ discovery, auth }),
          createNotebookCreateAction({ discovery, auth }),
          ...createPublishLocalActions({ config, catalog }),
        );
      },
    });
  },
});
