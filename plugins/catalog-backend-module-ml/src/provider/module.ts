import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { mlServiceRef } from '@mlplatform/plugin-ml-node';
import { readDefaultOwner, readProviderSchedule } from '../providerConfig';
import { GpuQuotaEntityProvider } from './GpuQuotaEntityProvider';

const CONFIG_KEY = 'catalog.providers.mlGpuQuotas';

/**
 * Keeps `GpuQuota` entities in the catalog in step with the clusters' GPU
 * quotas, as read by the ML backend. Active when
 * `catalog.providers.mlGpuQuotas` is configured.
 *
 * @public
 */
export const catalogModuleMlGpuQuotas = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ml-gpu-quotas',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        ml: mlServiceRef,
        scheduler: coreServices.scheduler,
        catalog: catalogProcessingExtensionPoint,
      },
      async init({ config, logger, auth, ml, scheduler, catalog }) {
        const providerConfig = config.getOptionalConfig(CONFIG_KEY);
        if (!providerConfig) {
          logger.info(
            `GPU quota provider off: ${CONFIG_KEY} is not configured`,
          );
          return;
        }
        const schedule = readProviderSchedule(providerConfig, {
          frequency: { seconds: 60 },
          timeout: { minutes: 2 },
          initialDelay: { seconds: 5 },
        });
        const defaultOwner = readDefaultOwner(providerConfig, CONFIG_KEY);
        catalog.addEntityProvider(
          new GpuQuotaEntityProvider({
            ml,
            auth,
            logger,
            defaultOwner,
            taskRunner: scheduler.createScheduledTaskRunner(schedule),
          }),
        );
      },
    });
  },
});
