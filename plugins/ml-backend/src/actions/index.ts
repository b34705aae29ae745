import { UserInfoService } from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { ExperimentsService } from '../services/experiments/ExperimentsService';
import { IdleNotebooks } from '../services/kubernetes/IdleNotebooks';
import { NotebookService } from '../services/kubernetes/NotebookService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';
import { PipelineRunsService } from '../services/pipelines/PipelineRunsService';
import { LogStoreService } from '../services/logs/LogStoreService';
import { PodLogsService } from '../services/logs/PodLogsService';
import { PromotionService } from '../services/registry/PromotionService';
import { RegistryService } from '../services/registry/RegistryService';
import { ServingService } from '../services/serving/ServingService';
import { registerExperimentActions } from './experimentActions';
import { registerIdleNotebookActions } from './idleNotebookActions';
import { registerKubernetesActions } from './kubernetesActions';
import { registerLogActions } from './logActions';
import { registerModelActions } from './modelActions';
import { registerPipelineActions } from './pipelineActions';
import { registerQueueHistoryAction } from './queueHistoryActions';
import { registerQueueWaitActions } from './queueWaitActions';
import { registerServingActions } from './servingActions';
import { GpuHoursService } from '../services/queueWaits/GpuHoursService';
import { QueueHistoryService } from '../services/queueWaits/QueueHistoryService';
import { WaitEstimateService } from '../services/queueWaits/WaitEstimateService';

/** @internal */
export interface MlActionsOptions {
  actionsRegistry: ActionsRegistryService;
  catalog: CatalogService;
  userInfo: UserInfoService;
  healthService: ModelHealthService;
  registryService: RegistryService;
  promotion: PromotionService;
  /** Serving places and rollouts (`get-model-serving`, `rollout-model`), when set up. */
  serving?: ServingService;
  quotaService: QuotaService;
  notebookService: NotebookService;
  /** Idle GPU detection (`get-idle-notebooks`). */
  idleNotebooks: IdleNotebooks;
  pipelineRuns: PipelineRunsService;
  experiments: ExperimentsService;
  podLogs: PodLogsService;
  logStore: LogStoreService;
  /**
   * Wait estimates, GPU-hours and queue history (`estimate-queue-wait`,
   * `gpu-hours`, `get-queue-history`), when set up.
   */
  queueInsights?: {
    waits: WaitEstimateService;
    gpuHours: GpuHoursService;
    history?: QueueHistoryService;
  };
}

/**
 * Registers the ML operations as Backstage actions (`ml:get-model-health`,
 * `ml:list-model-versions`, `ml:promote-model-version`, `ml:get-gpu-quota`,
 * `ml:explain-pending-workload`, `ml:create-notebook`, `ml:get-idle-notebooks`,
 * `ml:start-pipeline-run`, `ml:compare-runs`, `ml:get-logs`,
 * `ml:estimate-queue-wait`, `ml:gpu-hours`, `ml:get-queue-history`,
 * `ml:get-model-serving`,
 * `ml:rollout-model`, `ml:deploy-model`), which the MCP actions
 * backend serves to AI assistants. Each runs with the caller's credentials
 * through the services behind the HTTP API, so the catalog's and this
 * plugin's permissions, the quota checks and the audit trail apply as in
 * the UI.
 *
 * @internal
 */
export function registerMlActions(options: MlActionsOptions): void {
  registerModelActions(options);
  registerKubernetesActions({
    ...options,
    waits: options.queueInsights?.waits,
  });
  registerIdleNotebookActions({
    actionsRegistry: options.actionsRegistry,
    idle: options.idleNotebooks,
  });
  registerPipelineActions(options);
  registerExperimentActions(options);
  registerLogActions(options);
  if (options.serving) {
    registerServingActions({
      actionsRegistry: options.actionsRegistry,
      catalog: options.catalog,
      serving: options.serving,
    });
  }
  if (options.queueInsights) {
    registerQueueWaitActions({
      actionsRegistry: options.actionsRegistry,
      ...options.queueInsights,
    });
    if (options.queueInsights.history) {
      registerQueueHistoryAction({
        actionsRegistry: options.actionsRegistry,
        history: options.queueInsights.history,
      });
    }
  }
}
