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
import { createKubernetesRouter } from './routes/kubernetes';
import { IntegrationStatusService } from './services/IntegrationStatusService';
import { ClusterService } from './services/kubernetes/ClusterService';
import { QuotaService } from './services/kubernetes/QuotaService';
import { NotebookService } from './services/kubernetes/NotebookService';
import { NotebookStore } from './database/NotebookStore';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createHealthRouter } from './routes/health';
import { createRegistryRouter } from './routes/registry';
import { RegistryService } from './services/registry/RegistryService';
import { AlertmanagerClient } from './services/monitoring/AlertmanagerClient';
import { ModelHealthService } from './services/monitoring/ModelHealthService';
import { PrometheusClient } from './services/monitoring/PrometheusClient';
import { builtInMetricsProfiles } from './services/monitoring/metricsProfiles';

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
        lifecycle: coreServices.lifecycle,
        userInfo: coreServices.userInfo,
        auditor: coreServices.auditor,
        permissions: coreServices.permissions,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        httpRouter,
        httpAuth,
        database,
        lifecycle,
        userInfo,
        auditor,
        permissions,
        catalog,
      }) {
        const mlConfig = readMlConfig(config);
        const integrationStatus = IntegrationStatusService.create({
          config: mlConfig,
          logger,
          version: packageVersion(),
        });
        const auditStore = await AuditStore.create({ database });
        const clusters = ClusterService.create({
          clusters: mlConfig.clusters,
          settings: mlConfig.kubernetes,
          logger,
        });
        lifecycle.addShutdownHook(() => clusters.close());
        const quotaService = new QuotaService(clusters, logger);
        const notebookService = new NotebookService({
          clusters,
          quotas: quotaService,
          store: await NotebookStore.create({ database }),
          auditStore,
          auditor,
          catalog,
          logger,
        });
        httpRouter.use(
          await createRouter({ httpAuth, integrationStatus, auditStore }),
        );
        httpRouter.use(
          await createKubernetesRouter({
            httpAuth,
            userInfo,
            quotaService,
            notebookService,
          }),
        );
        // Load balancers and the portal's own status page probe this without a token.
        const healthService = ModelHealthService.create({
          prometheus:
            mlConfig.prometheus &&
            PrometheusClient.create({ ...mlConfig.prometheus, logger }),
          alertmanager:
            mlConfig.alertmanager &&
            AlertmanagerClient.create({ ...mlConfig.alertmanager, logger }),
          // Profiles added by modules override the built-in ones of the same name.
          profiles: new Map([
            ...Object.entries(builtInMetricsProfiles),
            ...metricsProfiles,
          ]),
          logger,
        });
        httpRouter.use(
          await createHealthRouter({ httpAuth, catalog, healthService }),
        );
        const registryService = RegistryService.create({
          registries: mlConfig.registries,
          extraAdapters: [...registryAdapters.values()],
          logger,
        });
        lifecycle.addShutdownHook(() => registryService.close());
        httpRouter.use(
          await createRegistryRouter({
            httpAuth,
            catalog,
            registryService,
            auditStore,
            permissions,
            userInfo,
            auditor,
            logger,
          }),
        );
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
