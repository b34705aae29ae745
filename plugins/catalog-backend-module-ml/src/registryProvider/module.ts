import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { ANNOTATION_LOCATION } from '@backstage/catalog-model';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { InputError } from '@backstage/errors';
import {
  catalogProcessingExtensionPoint,
  catalogServiceRef,
} from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_REGISTRY_REF,
  DATASET_KIND,
  MODEL_KIND,
} from '@mlplatform/plugin-ml-common';
import { readOciRegistryEndpoints } from '@mlplatform/plugin-ml-oci';
import { readDefaultOwner, readProviderSchedule } from '../providerConfig';
import {
  RegistryModelEntityProvider,
  RegistryModelSource,
} from './RegistryModelEntityProvider';

const CONFIG_KEY = 'catalog.providers.mlRegistryModels';

/**
 * Ingests the model repositories of the OCI registries under
 * `ml.registries` as `Model` entities, and their dataset repositories as
 * `Dataset` entities. Active when
 * `catalog.providers.mlRegistryModels` is configured.
 *
 * @public
 */
export const catalogModuleMlRegistryModels = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'ml-registry-models',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
        catalog: catalogProcessingExtensionPoint,
        catalogApi: catalogServiceRef,
        auth: coreServices.auth,
      },
      async init({ config, logger, scheduler, catalog, catalogApi, auth }) {
        const providerConfig = config.getOptionalConfig(CONFIG_KEY);
        if (!providerConfig) {
          logger.info(
            `Registry Model provider off: ${CONFIG_KEY} is not configured`,
          );
          return;
        }
        const endpoints = readOciRegistryEndpoints(config);
        const selected = providerConfig.getOptionalConfigArray('registries');
        const sources: RegistryModelSource[] = selected
          ? selected.map((s, i) => {
              const name = s.getString('name');
              const endpoint = endpoints.find(e => e.name === name);
              if (!endpoint) {
                throw new InputError(
                  `${CONFIG_KEY}.registries[${i}].name "${name}" is not an OCI registry under ml.registries`,
                );
              }
              const prefix = s.getOptionalString('prefix') ?? 'models/';
              const datasetPrefix = readDatasetPrefix(s, i);
              if (datasetPrefix === prefix) {
                throw new InputError(
                  `${CONFIG_KEY}.registries[${i}].datasetPrefix must differ from prefix ("${prefix}"), or be false for no datasets`,
                );
              }
              return { endpoint, prefix, datasetPrefix };
            })
          : endpoints.map(endpoint => ({
              endpoint,
              prefix: 'models/',
              datasetPrefix: 'datasets/',
            }));
        const defaultOwner = readDefaultOwner(providerConfig, CONFIG_KEY);
        const schedule = readProviderSchedule(providerConfig, {
          frequency: { minutes: 5 },
          timeout: { minutes: 10 },
          initialDelay: { seconds: 10 },
        });
        catalog.addEntityProvider(
          new RegistryModelEntityProvider({
            sources,
            logger,
            defaultOwner,
            namespace: providerConfig.getOptionalString('namespace'),
            defaultType: providerConfig.getOptionalString('defaultType'),
            defaultDatasetType:
              providerConfig.getOptionalString('defaultDatasetType'),
            taskRunner: scheduler.createScheduledTaskRunner(schedule),
            // Hand-written Models and Datasets pointing at a repository win
            // over ours.
            describedElsewhere: async () => {
              const { items } = await catalogApi.getEntities(
                {
                  filter: {
                    kind: [MODEL_KIND, DATASET_KIND],
                    [`metadata.annotations.${ANNOTATION_REGISTRY_REF}`]:
                      CATALOG_FILTER_EXISTS,
                  },
                  fields: ['metadata.annotations'],
                },
                { credentials: await auth.getOwnServiceCredentials() },
              );
              return new Set(
                items
                  .filter(
                    e =>
                      !e.metadata.annotations?.[
                        ANNOTATION_LOCATION
                      ]?.startsWith('ml-registry:'),
                  )
                  .map(e => e.metadata.annotations![ANNOTATION_REGISTRY_REF]),
              );
            },
          }),
        );
        logger.info(
          `Registry Model provider: ${sources
            .map(
              s =>
                `${s.endpoint.name} (models: ${s.prefix || 'all'}, datasets: ${
                  s.datasetPrefix === false ? 'off' : s.datasetPrefix || 'all'
                })`,
            )
            .join(', ')}`,
        );
      },
    });
  },
});

function readDatasetPrefix(
  registry: { getOptional(key: string): unknown },
  index: number,
): string | false {
  const value = registry.getOptional('datasetPrefix');
  if (value === undefined || value === true) return 'datasets/';
  if (value === false || typeof value === 'string') return value;
  throw new InputError(
    `${CONFIG_KEY}.registries[${index}].datasetPrefix must be a repository prefix such as datasets/, or false`,
  );
}
