import { createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
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
      deps: { scaffolderActions: scaffolderActionsExtensionPoint },
      async init({ scaffolderActions }) {
        scaffolderActions.addActions(createWriteEntitiesAction());
      },
    });
  },
});
