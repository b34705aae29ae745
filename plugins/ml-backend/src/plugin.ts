import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  MetricsProfile,
  MlAlertAction,
  ModelRegistryAdapter,
  mlAlertActionsExtensionPoint,
  mlMetricsProfilesExtensionPoint,
  mlRegistryAdaptersExtensionPoint,
} from '@mlplatform/plugin-ml-node';
import { readFileSync } from 'node:fs';
import { readMlConfig } from './config';
import { AuditStore } from './database/AuditStore';
import { createRouter } from './router';
import { IntegrationStatusService } from './services/IntegrationStatusService';

function packageVersion(): string {
  const path = resolvePackagePath(
    '@mlplatform/plugin-ml-backend',
    'package.json',
  );
  return JSON.parse(readFileSync(path, 'utf8')).version;
}

/**
 * The ML platform backend plugin, mounted at `/api/ml`.
 *
 * @public
 */
export const mlPlugin = createBackendPlugin({
  pluginId: 'ml',
  register(env) {
    const registryAdapters = new Map<string, ModelRegistryAdapter>();
    const metricsProfiles = new Map<string, MetricsProfile>();
    const alertActions = new Map<string, MlAlertAction>();

    env.registerExtensionPoint(mlRegistryAdaptersExtensionPoint, {
      addRegistryAdapter(...adapters) {
        for (const a of adapters) registryAdapters.set(a.scheme, a);
      },
    });
    env.registerExtensionPoint(mlMetricsProfilesExtensionPoint, {
      addMetricsProfile(...profiles) {
        for (const p of profiles) metricsProfiles.set(p.name, p);
      },
    });
    env.registerExtensionPoint(mlAlertActionsExtensionPoint, {
      addAlertAction(...actions) {
        for (const a of actions) alertActions.set(a.id, a);
      },
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        database: coreServices.database,
      },
      async init({ config, logger, httpRouter, httpAuth, database }) {
        const mlConfig = readMlConfig(config);
        const integrationStatus = IntegrationStatusService.create({
          config: mlConfig,
          logger,
          version: packageVersion(),
        });
        const auditStore = await AuditStore.create({ database });
        httpRouter.use(
          await createRouter({ httpAuth, integrationStatus, auditStore }),
        );
        // Load balancers and the portal's own status page probe this without a token.
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        logger.info(
          `ML backend: ${mlConfig.clusters.length} cluster(s), ${mlConfig.registries.length} registry(ies), ` +
            `prometheus ${mlConfig.prometheus ? 'on' : 'off'}, alertmanager ${
              mlConfig.alertmanager ? 'on' : 'off'
            }`,
        );
      },
    });
  },
});
