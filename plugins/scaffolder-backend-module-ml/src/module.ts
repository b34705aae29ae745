import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { mlServiceRef } from '@mlplatform/plugin-ml-node';
import { createGpuQuotaCheckAction } from './actions/gpuQuotaCheck';
import { createModelDeployAction } from './actions/modelDeploy';
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
        config: coreServices.rootConfig,
        catalog: catalogServiceRef,
        ml: mlServiceRef,
      },
      async init({ scaffolderActions, config, catalog, ml }) {
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
          createGpuQuotaCheckAction({ ml }),
          createNotebookCreateAction({ ml }),
          createModelDeployAction({ ml }),
          ...createPublishLocalActions({ config, catalog }),
        );
      },
    });
  },
});
