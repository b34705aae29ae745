import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { readDefaultOwner, readProviderSchedule } from '../providerConfig';
import { FeastEntityProvider } from './FeastEntityProvider';

const CONFIG_KEY = 'catalog.providers.mlFeast';

/**
 * Ingests a Feast registry's feature services, feature views and data
 * sources as `Dataset` entities (docs/datasets.md). Active when
 * `catalog.providers.mlFeast` is configured.
 *
 * @public
 */
export const catalogModuleMlFeast = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ml-feast',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ config, logger, scheduler, catalog }) {
        const providerConfig = config.getOptionalConfig(CONFIG_KEY);
        if (!providerConfig) {
          logger.info(`Feast provider off: ${CONFIG_KEY} is not configured`);
          return;
        }
        const url = providerConfig.getString('url');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new InputError(`${CONFIG_KEY}.url is not a URL: "${url}"`);
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
          throw new InputError(
            `${CONFIG_KEY}.url must be an http(s) URL, got "${url}"`,
          );
        }
        const name = providerConfig.getOptionalString('name') ?? 'feast';
        if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
          throw new InputError(
            `${CONFIG_KEY}.name must be lower-case letters, digits and -, got "${name}"`,
          );
        }
        const schedule = readProviderSchedule(providerConfig, {
          frequency: { minutes: 5 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 10 },
        });
        const provider = new FeastEntityProvider({
          registry: {
            name,
            url,
            token: providerConfig.getOptionalString('token'),
            projects: providerConfig.getOptionalStringArray('projects'),
          },
          logger,
          namespace: providerConfig.getOptionalString('namespace'),
          defaultOwner: readDefaultOwner(providerConfig, CONFIG_KEY),
          taskRunner: scheduler.createScheduledTaskRunner(schedule),
        });
        catalog.addEntityProvider(provider);
        logger.info(
          `Feast provider ${name}: ${parsed.origin}, projects ${
            providerConfig.getOptionalStringArray('projects')?.join(', ') ??
            'all'
          }`,
        );
      },
    });
  },
});
