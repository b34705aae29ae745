import { RootConfigService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createPublishLocalAction } from './publishLocal';
import { createRegisterFileAction } from './publishLocalRegister';

/**
 * The actions that publish a new project without a git host:
 * `ml:publish:local` and `ml:catalog:register-file`.
 *
 * @public
 */
export function createPublishLocalActions(options: {
  config: RootConfigService;
  catalog: CatalogService;
}) {
  return [createPublishLocalAction(options), createRegisterFileAction(options)];
}
