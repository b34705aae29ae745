import {
  coreServices,
  createBackendPlugin,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { actionsRegistryServiceRef } from '@backstage/backend-plugin-api/alpha';
import {
  LogStoreAdapter,
  MetricsProfile,
  MlAlertAction,
  ModelRegistryAdapter,
  PipelineRunsAdapter,
  mlAlertActionsExtensionPoint,
  mlLogStoreExtensionPoint,
  mlMetricsProfilesExtensionPoint,
  mlPipelineRunsExtensionPoint,
  mlRegistryAdaptersExtensionPoint,
} from '@mlplatform/plugin-ml-node';
import { InputError } from '@backstage/errors';
import { readFileSync } from 'node:fs';
import { readMlConfig } from './config';
import { AuditStore } from './database/AuditStore';
import { registerMlPermissions } from './permissions/register';
import { registerMlActions } from './actions';
import { createRouter } from './router';
import { createKubernetesRouter } from './routes/kubernetes';
import { createNotebookProgressRouter } from './routes/notebookProgress';
import { createNotebookService } from './services/jupyterhub/createNotebookService';
import { readJupyterHubConfig } from './services/jupyterhub/jupyterhubConfig';
import {
  IntegrationStatusService,
  readFeastRegistryStatusConfig,
} from './services/IntegrationStatusService';
import { ClusterService } from './services/kubernetes/ClusterService';
import { QuotaService } from './services/kubernetes/QuotaService';
import { promisedOn } from './services/kubernetes/GpuReservations';
import { scheduleAbandonedCreationsSweep } from './services/kubernetes/AbandonedCreations';
import { NotebookStore } from './database/NotebookStore';
import { GpuReservationStore } from './database/GpuReservationStore';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createHealthRouter } from './routes/health';
import { createRegistryRouter } from './routes/registry';
import { createRegistryEventsRouter } from './routes/registryEvents';
import { RegistryEventService } from './services/registry/RegistryEventService';
import { RegistryService } from './services/registry/RegistryService';
import { PromotionService } from './services/registry/PromotionService';
import { ServingService } from './services/serving/ServingService';
import { createServingRouter } from './routes/serving';
import { MlAuditor } from './services/audit/MlAuditor';
import { AlertmanagerClient } from './services/monitoring/AlertmanagerClient';
import { ModelHealthService } from './services/monitoring/ModelHealthService';
import { PrometheusClient } from './services/monitoring/PrometheusClient';
import { builtInMetricsProfiles } from './services/monitoring/metricsProfiles';
import { AlertActionStore } from './database/AlertActionStore';
import { createAlertsRouter } from './routes/alerts';
import { createPipelinesRouter } from './routes/pipelines';
import { createExperimentsRouter } from './routes/experiments';
import { ExperimentsService } from './services/experiments/ExperimentsService';
import { createTensorBoardRouter } from './routes/tensorboard';
import { createRunTensorBoards } from './services/tensorboard/createRunTensorBoards';
import { TensorBoardService } from './services/tensorboard/TensorBoardService';
import { readTensorBoardConfig } from './services/tensorboard/tensorboardConfig';
import { AlertWebhookService } from './services/alerts/AlertWebhookService';
import { createRetrainAction } from './services/alerts/retrainAction';
import { createRollbackAction } from './services/alerts/rollbackAction';
import { AirflowRunsAdapter } from './services/pipelines/AirflowRunsAdapter';
import { ArgoRunsAdapter } from './services/pipelines/ArgoRunsAdapter';
import { KubeflowRunsAdapter } from './services/pipelines/KubeflowRunsAdapter';
import { KubernetesJobRunsAdapter } from './services/pipelines/KubernetesJobRunsAdapter';
import { PipelineRunsService } from './services/pipelines/PipelineRunsService';
import { createLogsRouter } from './routes/logs';
import { createOverviewRouter } from './routes/overview';
import { OverviewService } from './services/overview/OverviewService';
import { LogStoreService } from './services/logs/LogStoreService';
import { LokiLogStore } from './services/logs/LokiLogStore';
import { PodLogsService } from './services/logs/PodLogsService';
import { notificationService } from '@backstage/plugin-notifications-node';
import { createIdleNotebooksRouter } from './routes/idleNotebooks';
import { readIdleConfig } from './services/kubernetes/idleConfig';
import { IdleNotebooks } from './services/kubernetes/IdleNotebooks';
import { IdlePolicy, IdlePolicyOptOut } from './services/kubernetes/IdlePolicy';
import { setUpQueueInsights } from './services/queueWaits/setUpQueueInsights';
import { readQueueInsightsConfig } from './services/queueWaits/queueWaitsConfig';
import { createDatasetsRouter } from './routes/datasets';
import { DatasetFactsService } from './services/datasets/DatasetFactsService';
import { S3Prefixes } from './services/datasets/S3Prefixes';
import { readStorageConfig } from './services/datasets/storageConfig';
import { FeastRegistryClient } from '@mlplatform/plugin-ml-common';

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
    const pipelineRunsAdapters = new Map<string, PipelineRunsAdapter>();
    let logStoreAdapter: LogStoreAdapter | undefined;

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
    env.registerExtensionPoint(mlPipelineRunsExtensionPoint, {
      addPipelineRunsAdapter(...adapters) {
        for (const a of adapters) pipelineRunsAdapters.set(a.type, a);
      },
    });
    env.registerExtensionPoint(mlLogStoreExtensionPoint, {
      setLogStore(adapter) {
        logStoreAdapter = adapter;
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
        permissionsRegistry: coreServices.permissionsRegistry,
        auth: coreServices.auth,
        catalog: catalogServiceRef,
        actionsRegistry: actionsRegistryServiceRef,
        scheduler: coreServices.scheduler,
        notifications: notificationService,
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
        permissionsRegistry,
        auth,
        catalog,
        actionsRegistry,
        scheduler,
        notifications,
      }) {
        const mlConfig = readMlConfig(config);
        const idleConfig = readIdleConfig(config);
        const integrationStatus = IntegrationStatusService.create({
          config: mlConfig,
          logger,
          version: packageVersion(),
          feast: readFeastRegistryStatusConfig(config),
        });
        const auditStore = await AuditStore.create({ database });
        const audit = MlAuditor.create({ auditStore, auditor });
        const clusters = ClusterService.create({
          clusters: mlConfig.clusters,
          settings: mlConfig.kubernetes,
          logger,
        });
        lifecycle.addShutdownHook(() => clusters.close());
        // GPUs promised to notebooks and model deployments, shared with the
        // other replicas; GET /quotas shows them.
        const gpuReservations = await GpuReservationStore.create({ database });
        const quotaService = new QuotaService(clusters, logger, cluster =>
          promisedOn({ clusters, reservations: gpuReservations }, cluster),
        );
        registerMlPermissions({
          permissionsRegistry,
          quotas: quotaService,
          catalog,
          auth,
        });
        const notebookStore = await NotebookStore.create({ database });
        // Namespaces ml.jupyterhub serves get JupyterHub named servers.
        const notebookService = createNotebookService(
          {
            clusters,
            quotas: quotaService,
            store: notebookStore,
            reservations: gpuReservations,
            reservationTimes: {
              applySeconds: mlConfig.kubernetes.creationTimeoutSeconds,
            },
            audit,
            permissions,
            catalog,
            logger,
          },
          {
            jupyterhub: readJupyterHubConfig(
              config,
              mlConfig.clusters.map(c => c.name),
            ),
            audit,
          },
        );
        lifecycle.addShutdownHook(() => notebookService.close?.());
        // Creations whose replica died mid-apply: cleaned up by one replica.
        await scheduleAbandonedCreationsSweep({
          scheduler,
          reservations: gpuReservations,
          store: notebookStore,
          clusters,
          audit,
          logger,
          creationTimeoutSeconds: mlConfig.kubernetes.creationTimeoutSeconds,
        });
        const registryService = RegistryService.create({
          registries: mlConfig.registries,
          extraAdapters: [...registryAdapters.values()],
          logger,
        });
        lifecycle.addShutdownHook(() => registryService.close());
        // First: a registry webhook's signature covers the raw body, which
        // the JSON parsers of the routers below would consume.
        httpRouter.use(
          await createRegistryEventsRouter({
            registryEvents: RegistryEventService.create({
              registries: mlConfig.registries,
              registryService,
              catalog,
              auth,
              audit,
              logger,
            }),
          }),
        );
        // MLflow has no Backstage token: the delivery's signature authenticates it.
        httpRouter.addAuthPolicy({
          path: '/registry/webhooks',
          allow: 'unauthenticated',
        });
        httpRouter.use(
          await createRouter({
            httpAuth,
            integrationStatus,
            auditStore,
            permissions,
          }),
        );
        httpRouter.use(
          await createKubernetesRouter({
            httpAuth,
            userInfo,
            quotaService,
            notebookService,
          }),
        );
        httpRouter.use(
          await createNotebookProgressRouter({
            httpAuth,
            userInfo,
            notebookService,
          }),
        );
        const prometheus =
          mlConfig.prometheus &&
          PrometheusClient.create({ ...mlConfig.prometheus, logger });
        // Wait estimates and GPU-hours per team (docs/kubernetes.md).
        const queueInsights = await setUpQueueInsights({
          config,
          database,
          scheduler,
          httpRouter,
          httpAuth,
          clusters,
          quotaService,
          prometheus,
          logger,
        });
        // Idle GPUs in notebooks: one Prometheus query per cycle (docs/notebooks.md).
        const idleNotebooks = new IdleNotebooks({
          prometheus,
          store: notebookStore,
          clusters,
          auditStore,
          config: idleConfig,
          jupyterhub: notebookService.hubServers,
          logger,
        });
        httpRouter.use(
          await createIdleNotebooksRouter({
            httpAuth,
            userInfo,
            idle: idleNotebooks,
            optOut: new IdlePolicyOptOut({
              clusters,
              quotas: quotaService,
              store: notebookStore,
              audit,
              permissions,
              logger,
            }),
          }),
        );
        if (idleConfig.action && prometheus) {
          const policy = new IdlePolicy({
            idle: idleNotebooks,
            notebooks: notebookService,
            notifications,
            audit,
            auth,
            logger,
            link: '/ml/notebooks',
          });
          // Scheduled globally: one replica runs each cycle.
          await scheduler.scheduleTask({
            id: 'ml-idle-notebooks',
            frequency: { seconds: idleConfig.frequencySeconds },
            timeout: { minutes: 10 },
            initialDelay: {
              seconds: Math.min(60, idleConfig.frequencySeconds),
            },
            fn: async () => {
              await policy.run();
            },
          });
        }
        // Load balancers and the portal's own status page probe this without a token.
        const healthService = ModelHealthService.create({
          prometheus,
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
        // Live facts of Datasets: configured S3 buckets, PVCs, Feast (docs/datasets.md).
        const s3 = new S3Prefixes(readStorageConfig(config).s3Buckets);
        lifecycle.addShutdownHook(() => s3.close());
        const feastRegistry = readFeastRegistryStatusConfig(config);
        const datasetFacts = DatasetFactsService.create({
          s3,
          clusters,
          prometheus,
          clusterLabel: readQueueInsightsConfig(config).clusterLabel,
          feast:
            feastRegistry &&
            new FeastRegistryClient({
              url: feastRegistry.url,
              token: feastRegistry.token,
              timeoutMs: 10_000,
            }),
          logger,
        });
        httpRouter.use(
          await createDatasetsRouter({ httpAuth, catalog, datasetFacts }),
        );
        // One promotion service for the HTTP API and the MCP action.
        const promotion = PromotionService.create({
          catalog,
          registryService,
          permissions,
          userInfo,
          audit,
        });
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
            promotion,
          }),
        );
        // Where Models serve, and the governed rollout (HTTP API and MCP action).
        const serving = ServingService.create({
          clusters,
          catalog,
          registryService,
          permissions,
          userInfo,
          audit,
          health: healthService,
          // a deployment spends the quota the quota page and notebooks read,
          // promised under the same reservations
          quotas: quotaService,
          reservations: gpuReservations,
          reservationTimes: {
            applySeconds: mlConfig.kubernetes.creationTimeoutSeconds,
          },
          logger,
        });
        httpRouter.use(
          await createServingRouter({ httpAuth, catalog, serving }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });

        const { pipelines: pipelinesConfig } = mlConfig;
        const pipelineRuns = PipelineRunsService.create({
          // Adapters added by modules replace the built-in ones of the same type.
          adapters: [
            KubernetesJobRunsAdapter.create({
              clusters,
              logger,
              logsUrl: pipelinesConfig.kubernetesJob.logsUrl,
            }),
            ArgoRunsAdapter.create({
              clusters,
              logger,
              uiUrl: pipelinesConfig.argo.uiUrl,
            }),
            ...(pipelinesConfig.kubeflow
              ? [
                  KubeflowRunsAdapter.create({
                    ...pipelinesConfig.kubeflow,
                    logger,
                  }),
                ]
              : []),
            ...(pipelinesConfig.airflow
              ? [
                  AirflowRunsAdapter.create({
                    ...pipelinesConfig.airflow,
                    logger,
                  }),
                ]
              : []),
            ...pipelineRunsAdapters.values(),
          ],
          catalog,
          permissions,
          auditStore,
          auditor,
          logger,
        });
        lifecycle.addShutdownHook(() => pipelineRuns.close());
        httpRouter.use(await createPipelinesRouter({ httpAuth, pipelineRuns }));
        httpRouter.use(
          await createOverviewRouter({
            httpAuth,
            overview: OverviewService.create({
              catalog,
              healthService,
              pipelineRuns,
              quotaService,
              idleNotebooks,
              datasetFacts,
              logger,
            }),
          }),
        );
        // MLflow experiments of Models and Pipelines, from ml.registries (type mlflow).
        const experiments = ExperimentsService.create({
          registries: mlConfig.registries,
          catalog,
          logger,
        });
        lifecycle.addShutdownHook(() => experiments.close());
        httpRouter.use(
          await createExperimentsRouter({ httpAuth, experiments }),
        );
        // A run's TensorBoard scalars, from the one ml.tensorboard server.
        const tensorboardConfig = readTensorBoardConfig(
          config,
          mlConfig.clusters.map(c => c.name),
        );
        const tensorboard = TensorBoardService.create({
          config: tensorboardConfig,
          experiments,
          logger,
        });
        lifecycle.addShutdownHook(() => tensorboard.close());
        // A run's own TensorBoard: Kubeflow's, or a local process.
        const perRun = createRunTensorBoards({
          config: tensorboardConfig,
          experiments,
          clusters,
          quotas: quotaService,
          permissions,
          audit,
          locks: gpuReservations,
          logger,
        });
        lifecycle.addShutdownHook(() => perRun?.close?.());
        httpRouter.use(
          await createTensorBoardRouter({
            httpAuth,
            tensorboard,
            userInfo,
            perRun,
          }),
        );
        // Pod logs through the clusters' API, the central log store through
        // a module's adapter or the built-in Loki one (docs/logs.md).
        const podLogs = PodLogsService.create({
          clusters,
          catalog,
          permissions,
          maxTailLines: mlConfig.logs.maxTailLines,
          logger,
        });
        const { loki } = mlConfig.logs;
        const logStore = LogStoreService.create({
          adapter:
            logStoreAdapter ??
            (loki && LokiLogStore.create({ config: loki, logger })),
          maxWindowSeconds: loki?.maxWindowSeconds ?? 86400,
          clusterNames: () => clusters.names(),
          catalog,
          permissions,
        });
        httpRouter.use(await createLogsRouter({ httpAuth, podLogs, logStore }));
        // The same operations for AI assistants (MCP), on the same services.
        registerMlActions({
          actionsRegistry,
          catalog,
          userInfo,
          healthService,
          registryService,
          promotion,
          serving,
          quotaService,
          notebookService,
          idleNotebooks,
          pipelineRuns,
          experiments,
          podLogs,
          logStore,
          queueInsights,
        });

        // Modules may replace the built-in retrain and rollback actions.
        const actions = new Map<string, MlAlertAction>([
          ['retrain', createRetrainAction({ pipelineRuns, catalog, auth })],
          ['rollback', createRollbackAction({ serving, auth })],
          ...alertActions,
        ]);
        mlConfig.alerts.rules.forEach((rule, index) => {
          if (!actions.has(rule.action)) {
            throw new InputError(
              `ml config: ml.alerts.rules[${index}].action "${
                rule.action
              }" is not an installed alert action; known: ${[
                ...actions.keys(),
              ].join(', ')}`,
            );
          }
        });
        const alertWebhook = AlertWebhookService.create({
          config: mlConfig.alerts,
          store: await AlertActionStore.create({ database }),
          actions,
          catalog,
          auth,
          auditStore,
          auditor,
          logger,
        });
        httpRouter.use(
          await createAlertsRouter({ httpAuth, catalog, alertWebhook }),
        );
        // Alertmanager has no Backstage token: the shared secret authenticates it.
        httpRouter.addAuthPolicy({
          path: '/alerts/webhook',
          allow: 'unauthenticated',
        });
        logger.info(
          `ML backend: ${mlConfig.clusters.length} cluster(s), ${mlConfig.registries.length} registry(ies), ` +
            `prometheus ${mlConfig.prometheus ? 'on' : 'off'}, alertmanager ${
              mlConfig.alertmanager ? 'on' : 'off'
            }, orchestrators ${pipelineRuns
              .types()
              .join(', ')}, alert webhook ${
              alertWebhook.enabled ? 'on' : 'off'
            }`,
        );
      },
    });
  },
});
