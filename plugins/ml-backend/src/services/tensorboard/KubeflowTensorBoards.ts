import { ConflictError, InputError } from '@backstage/errors';
import type { PermissionsService } from '@backstage/backend-plugin-api';
import {
  ExperimentEntityRef,
  mlNotebookCreatePermission,
  RunTensorBoardLaunch,
  TENSORBOARD_LOGDIR_TAG,
} from '@mlplatform/plugin-ml-common';
import path from 'node:path';
import type { MlAuditor } from '../audit/MlAuditor';
import type { ExperimentsService } from '../experiments/ExperimentsService';
import type { ClusterService } from '../kubernetes/ClusterService';
import { KubeApiError } from '../kubernetes/KubeClient';
import { labelValue, LABEL_CREATED_BY } from '../kubernetes/manifests';
import { notebookRefusal } from '../kubernetes/notebookAccess';
import { NotebookPlacement } from '../kubernetes/NotebookPlacement';
import type { NotebookCaller } from '../kubernetes/NotebookService';
import type { QuotaService } from '../kubernetes/QuotaService';
import { checkLogDir, KubeflowTensorBoardConfig } from './tensorboardConfig';

const GROUP = 'tensorboard.kubeflow.org';
const VERSION = 'v1alpha1';
const RESOURCE = `tensorboards.${GROUP}`;
const LABEL_RUN = 'mlplatform.io/mlflow-run';
const ANNOTATION_CREATED_BY = 'mlplatform.io/created-by';

interface TensorboardObject {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { logspath?: string };
  status?: { readyReplicas?: number };
}

/**
 * A run's own TensorBoard on a Kubeflow cluster: a `Tensorboard`
 * (tensorboard.kubeflow.org/v1alpha1, whose controller runs TensorBoard on
 * `spec.logspath`) in the namespace of the PVC that holds the run's log
 * dir, owned by the user who asked. Checked like a notebook: the log dir
 * against `ml.tensorboard.logRoots` first (400, nothing started), then the
 * permission policy (`ml.notebook.create` on the namespace: the owning
 * team's members), then the user's count of TensorBoards in the namespace
 * against `maxPerUser` (409 with the numbers); every attempt audited as
 * `ml.tensorboard.create`. Asking again for the same run returns its
 * TensorBoard. A TensorBoard asks for no GPUs, so the GPU quota is not
 * spent; the per-user cap bounds the CPU and memory they hold.
 *
 * @internal
 */
export class KubeflowTensorBoards {
  private readonly placement: NotebookPlacement;

  constructor(
    private readonly deps: {
      config: KubeflowTensorBoardConfig;
      logRoots: string[];
      experiments: ExperimentsService;
      clusters: ClusterService;
      quotas: QuotaService;
      permissions: PermissionsService;
      audit: MlAuditor;
    },
  ) {
    this.placement = new NotebookPlacement(deps);
  }

  async start(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ): Promise<RunTensorBoardLaunch> {
    const { config } = this.deps;
    const { entityRef, run } = await this.deps.experiments.getRun(
      ref,
      runId,
      caller.credentials,
    );
    if (!run.tensorboardLogDir) {
      throw new InputError(
        `Run ${runId} of ${entityRef} names no TensorBoard log dir (MLflow run tag ${TENSORBOARD_LOGDIR_TAG})`,
      );
    }
    const logDir = checkLogDir(
      run.tensorboardLogDir,
      this.deps.logRoots,
      TENSORBOARD_LOGDIR_TAG,
    );
    const volume = config.volumes.find(v => {
      const rel = path.posix.relative(v.logRoot, logDir);
      return !rel.startsWith('..') && !path.posix.isAbsolute(rel);
    });
    if (!volume) {
      throw new InputError(
        `No volume of ml.tensorboard.kubeflow.volumes holds ${logDir}: its TensorBoard cannot run on ${config.cluster}`,
      );
    }
    const { cluster } = config;
    const { namespace, claim } = volume;
    const rel = path.posix.relative(volume.logRoot, logDir);
    const logspath = `pvc://${claim}${rel ? `/${rel}` : ''}`;
    const name = `tb-${runId.toLowerCase().slice(0, 40)}`;
    const url = `${config.url}/tensorboard/${namespace}/${name}/`;
    const audit = await this.deps.audit.begin({
      eventId: 'tensorboard-create',
      action: 'ml.tensorboard.create',
      actor: caller.userRef,
      targetRef: `tensorboard:${cluster}/${namespace}/${name}`,
      details: { cluster, namespace, name, runId, entityRef, logspath },
      ...(caller.request ? { request: caller.request } : {}),
    });
    const refuse = async (error: Error): Promise<never> => {
      await audit.refused({ error });
      throw error;
    };
    let team: string | undefined;
    try {
      team = await this.placement.teamOf(
        cluster,
        namespace,
        `cannot start TensorBoard ${name}`,
      );
    } catch (e) {
      return refuse(e as Error);
    }
    if (!team) {
      return refuse(
        new InputError(
          `namespace ${namespace} on ${cluster} does not exist or has no owning team, so no TensorBoard can run there`,
        ),
      );
    }
    const denied = await notebookRefusal(
      this.deps.permissions,
      mlNotebookCreatePermission,
      caller,
      { cluster, namespace, team },
      `may not start TensorBoards in namespace ${namespace} on ${cluster}`,
    );
    if (denied) return refuse(denied);

    const client = this.deps.clusters.client(cluster);
    const base = `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/tensorboards`;
    const selector = `${LABEL_CREATED_BY}=${labelValue(caller.userRef)}`;
    let mine: TensorboardObject[];
    try {
      mine = (
        await client.request<{ items: TensorboardObject[] }>(
          'GET',
          `${base}?labelSelector=${encodeURIComponent(selector)}`,
          { verb: 'list', resource: RESOURCE },
        )
      ).items.filter(
        t => t.metadata.annotations?.[ANNOTATION_CREATED_BY] === caller.userRef,
      );
    } catch (e) {
      await audit.failed({ error: e as Error });
      throw e;
    }
    const launch = (t: TensorboardObject, created: boolean) => ({
      runId,
      cluster,
      namespace,
      name: t.metadata.name,
      logspath: t.spec?.logspath ?? logspath,
      url,
      created,
      ready: (t.status?.readyReplicas ?? 0) > 0,
    });
    const existing = mine.find(t => t.metadata.name === name);
    if (existing) {
      await audit.succeeded({ details: { reused: true } });
      return launch(existing, false);
    }
    if (mine.length >= config.maxPerUser) {
      return refuse(
        new ConflictError(
          `${caller.userRef} already has ${
            mine.length
          } TensorBoard(s) in ${namespace} on ${cluster} (at most ${
            config.maxPerUser
          }): ${mine.map(t => t.metadata.name).join(', ')}; delete one first`,
        ),
      );
    }
    const body = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Tensorboard',
      metadata: {
        name,
        namespace,
        labels: {
          [LABEL_CREATED_BY]: labelValue(caller.userRef),
          [LABEL_RUN]: labelValue(runId),
          'app.kubernetes.io/managed-by': 'backstage-ml',
        },
        annotations: {
          [ANNOTATION_CREATED_BY]: caller.userRef,
          'mlplatform.io/entity': entityRef,
        },
      },
      spec: { logspath },
    };
    try {
      const created = await client.request<TensorboardObject>(
        'POST',
        base,
        {
          verb: 'create',
          resource: RESOURCE,
          object: `${namespace}/${name}`,
        },
        { body },
      );
      await audit.succeeded();
      return launch(created, true);
    } catch (e) {
      // Someone else's TensorBoard of that name (another user's, for the same run).
      if (e instanceof KubeApiError && e.reason === 'AlreadyExists') {
        return refuse(
          new ConflictError(
            `TensorBoard ${name} for run ${runId} already exists in ${namespace} on ${cluster}, created by someone else`,
          ),
        );
      }
      await audit.failed({ error: e as Error });
      throw e;
    }
  }
}
