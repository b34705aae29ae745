import type {
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import type { GpuReservationStore } from '../../database/GpuReservationStore';
import type { MlAuditor } from '../audit/MlAuditor';
import type { ExperimentsService } from '../experiments/ExperimentsService';
import type { ClusterService } from '../kubernetes/ClusterService';
import type { QuotaService } from '../kubernetes/QuotaService';
import { KubeflowTensorBoards } from './KubeflowTensorBoards';
import { LocalTensorBoards } from './LocalTensorBoards';
import type { TensorBoardConfig } from './tensorboardConfig';

/** Starts and stops a run's own TensorBoard. @internal */
export type RunTensorBoards = Pick<KubeflowTensorBoards, 'start' | 'stop'> & {
  close?(): Promise<void>;
};

/**
 * A run's own TensorBoard where `ml.tensorboard` says: a Kubeflow
 * `Tensorboard` (`kubeflow`) or a process of the backend (`local`); none
 * otherwise. Both hold the per-user cap under the GPU reservations' lock.
 *
 * @internal
 */
export function createRunTensorBoards(deps: {
  config?: TensorBoardConfig;
  experiments: ExperimentsService;
  clusters: ClusterService;
  quotas: QuotaService;
  permissions: PermissionsService;
  audit: MlAuditor;
  locks: Pick<GpuReservationStore, 'withClusterLock'>;
  logger: LoggerService;
}): RunTensorBoards | undefined {
  const { config } = deps;
  if (config?.kubeflow) {
    return new KubeflowTensorBoards({
      ...deps,
      config: config.kubeflow,
      logRoots: config.logRoots,
    });
  }
  if (config?.local) {
    return new LocalTensorBoards({
      ...deps,
      config: config.local,
      logRoots: config.logRoots,
    });
  }
  return undefined;
}
