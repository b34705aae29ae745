import {
  DatabaseService,
  HttpAuthService,
  HttpRouterService,
  LoggerService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { QueueAdmissionStore } from '../../database/QueueAdmissionStore';
import { createQueueHistoryRouter } from '../../routes/queueHistory';
import { createQueueWaitsRouter } from '../../routes/queueWaits';
import { ClusterService } from '../kubernetes/ClusterService';
import { QuotaService } from '../kubernetes/QuotaService';
import { PrometheusClient } from '../monitoring/PrometheusClient';
import { AdmissionObserver } from './admissions';
import { GpuHoursService } from './GpuHoursService';
import { QueueHistoryService } from './QueueHistoryService';
import { readQueueInsightsConfig } from './queueWaitsConfig';
import { WaitEstimateService } from './WaitEstimateService';

/**
 * Wait estimates, GPU-hours and queue history (docs/kubernetes.md): the admissions store,
 * the scheduled observer that fills it (one replica per cycle), the two
 * services and their routes. Returns the services for the MCP actions.
 *
 * @internal
 */
export async function setUpQueueInsights(deps: {
  config: RootConfigService;
  database: DatabaseService;
  scheduler: SchedulerService;
  httpRouter: HttpRouterService;
  httpAuth: HttpAuthService;
  clusters: ClusterService;
  quotaService: QuotaService;
  prometheus?: PrometheusClient;
  logger: LoggerService;
}): Promise<{
  waits: WaitEstimateService;
  gpuHours: GpuHoursService;
  history: QueueHistoryService;
}> {
  const { clusters, quotaService, prometheus, logger } = deps;
  const settings = readQueueInsightsConfig(deps.config);
  const store = await QueueAdmissionStore.create({ database: deps.database });
  const waits = new WaitEstimateService({
    store,
    quotas: quotaService,
    clusters,
    prometheus,
    minSamples: settings.queueWaits.minSamples,
    historyDays: settings.queueWaits.historyDays,
    clusterLabel: settings.clusterLabel,
    logger,
  });
  const gpuHours = new GpuHoursService({
    prometheus,
    clusters,
    quotas: quotaService,
    maxDays: settings.gpuHours.maxDays,
    clusterLabel: settings.clusterLabel,
  });
  deps.httpRouter.use(
    await createQueueWaitsRouter({ httpAuth: deps.httpAuth, waits, gpuHours }),
  );
  const history = new QueueHistoryService({
    prometheus,
    clusters,
    quotas: quotaService,
    clusterLabel: settings.clusterLabel,
    recorded: store,
  });
  deps.httpRouter.use(
    await createQueueHistoryRouter({ httpAuth: deps.httpAuth, history }),
  );
  if (clusters.names().length) {
    const observer = new AdmissionObserver({
      clusters,
      store,
      historyDays: settings.queueWaits.historyDays,
      logger,
    });
    await deps.scheduler.scheduleTask({
      id: 'ml-queue-admissions',
      frequency: { seconds: settings.queueWaits.observeSeconds },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 5 },
      fn: async () => {
        await observer.run();
      },
    });
  }
  return { waits, gpuHours, history };
}
