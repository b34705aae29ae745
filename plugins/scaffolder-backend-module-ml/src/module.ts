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
        scaffolderActions.addActions(
          createWriteEntitiesAction(),
          createGpuQuotaCheckAction({ discovery, auth }),
          createNotebookCreateAction({ discovery, auth }),
          ...createPublishLocalActions({ config, catalog }),
        );
      },
    });
  },
});
