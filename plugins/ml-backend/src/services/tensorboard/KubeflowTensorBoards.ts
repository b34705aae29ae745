import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import type { PermissionsService } from '@backstage/backend-plugin-api';
import {
  ExperimentEntityRef,
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  RunTensorBoardLaunch,
} from '@mlplatform/plugin-ml-common';
import path from 'node:path';
import type { MlAuditedAction, MlAuditor } from '../audit/MlAuditor';
import type { GpuReservationStore } from '../../database/GpuReservationStore';
import type { ExperimentsService } from '../experiments/ExperimentsService';
import type { ClusterService } from '../kubernetes/ClusterService';
import { KubeApiError } from '../kubernetes/KubeClient';
import { labelValue, LABEL_CREATED_BY } from '../kubernetes/manifests';
import { notebookRefusal } from '../kubernetes/notebookAccess';
import { NotebookPlacement } from '../kubernetes/NotebookPlacement';
import type { NotebookCaller } from '../kubernetes/NotebookService';
import type { QuotaService } from '../kubernetes/QuotaService';
import { runLogDir, KubeflowTensorBoardConfig } from './tensorboardConfig';

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
 * against `maxPerUser` (409 with the numbers), counted and created under one
 * lock so concurrent starts cannot pass it together; every attempt audited
 * as `ml.tensorboard.create`. Its creator stops it ({@link KubeflowTensorBoards.stop}). Asking again for the same run returns its
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
      /** Serializes a user's starts across replicas (the GPU reservations' lock). */
      locks: Pick<GpuReservationStore, 'withClusterLock'>;
    },
  ) {
    this.placement = new NotebookPlacement(deps);
  }

  /**
   * Where the run's TensorBoard runs and what it is called; checks the run
   * (the entity's, read with the caller's credentials) and its log dir.
   */
  private async locate(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ) {
    const { config } = this.deps;
    const { entityRef, logDir } = await runLogDir(
      this.deps.experiments,
      this.deps.logRoots,
      ref,
      runId,
      caller.credentials,
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
    const name = `tb-${runId.toLowerCase().slice(0, 40)}`;
    return {
      entityRef,
      cluster,
      namespace,
      name,
      logspath: `pvc://${claim}${rel ? `/${rel}` : ''}`,
      url: `${config.url}/tensorboard/${namespace}/${name}/`,
      base: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/tensorboards`,
    };
  }

  /**
   * The namespace's owning team and the permission `permission` on it;
   * the refusal, audited, is thrown.
   */
  private async authorize(
    where: { cluster: string; namespace: string; name: string },
    caller: NotebookCaller,
    permission: typeof mlNotebookCreatePermission,
    what: string,
    audit: MlAuditedAction,
  ): Promise<void> {
    const { cluster, namespace, name } = where;
    let team: string | undefined;
    try {
      team = await this.placement.teamOf(
        cluster,
        namespace,
        `cannot ${what} TensorBoard ${name}`,
      );
    } catch (e) {
      await audit.refused({ error: e as Error });
      throw e;
    }
    if (!team) {
      const error = new InputError(
        `namespace ${namespace} on ${cluster} does not exist or has no owning team, so no TensorBoard can run there`,
      );
      await audit.refused({ error });
      throw error;
    }
    const denied = await notebookRefusal(
      this.deps.permissions,
      permission,
      caller,
      { cluster, namespace, team },
      `may not ${what} TensorBoards in namespace ${namespace} on ${cluster}`,
    );
    if (denied) {
      await audit.refused({ error: denied });
      throw denied;
    }
  }

  async start(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ): Promise<RunTensorBoardLaunch> {
    const { config } = this.deps;
    const where = await this.locate(ref, runId, caller);
    const { entityRef, cluster, namespace, name, logspath, url, base } = where;
    const audit = await this.deps.audit.begin({
      eventId: 'tensorboard-create',
      action: 'ml.tensorboard.create',
      actor: caller.userRef,
      targetRef: `tensorboard:${cluster}/${namespace}/${name}`,
      details: { cluster, namespace, name, runId, entityRef, logspath },
      ...(caller.request ? { request: caller.request } : {}),
    });
    await this.authorize(
      where,
      caller,
      mlNotebookCreatePermission,
      'start',
      audit,
    );

    const client = this.deps.clusters.client(cluster);
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
    // The count and the create hold together: the user's starts run one at
    // a time, on every replica (the GPU reservations' lock, keyed by user).
    let outcome:
      | { existing: TensorboardObject }
      | { created: TensorboardObject }
      | { refused: Error };
    try {
      outcome = await this.deps.locks.withClusterLock(
        `tensorboards/${cluster}/${namespace}/${caller.userRef}`,
        async () => {
          const mine = await this.listMine(cluster, base, caller.userRef);
          const existing = mine.find(t => t.metadata.name === name);
          if (existing) return { existing };
          if (mine.length >= config.maxPerUser) {
            return {
              refused: new ConflictError(
                `${caller.userRef} already has ${
                  mine.length
                } TensorBoard(s) in ${namespace} on ${cluster} (at most ${
                  config.maxPerUser
                }): ${mine
                  .map(t => t.metadata.name)
                  .join(', ')}; stop one first`,
              ),
            };
          }
          try {
            return {
              created: await client.request<TensorboardObject>(
                'POST',
                base,
                {
                  verb: 'create',
                  resource: RESOURCE,
                  object: `${namespace}/${name}`,
                },
                { body: manifest(where, runId, caller.userRef) },
              ),
            };
          } catch (e) {
            // Someone else's TensorBoard of that name (another user's, for the same run).
            if (e instanceof KubeApiError && e.reason === 'AlreadyExists') {
              return {
                refused: new ConflictError(
                  `TensorBoard ${name} for run ${runId} already exists in ${namespace} on ${cluster}, created by someone else`,
                ),
              };
            }
            throw e;
          }
        },
      );
    } catch (e) {
      await audit.failed({ error: e as Error });
      throw e;
    }
    if ('refused' in outcome) {
      await audit.refused({ error: outcome.refused });
      throw outcome.refused;
    }
    if ('existing' in outcome) {
      await audit.succeeded({ details: { reused: true } });
      return launch(outcome.existing, false);
    }
    await audit.succeeded();
    return launch(outcome.created, true);
  }

  /**
   * Stops (deletes) the run's TensorBoard: its creator only, with
   * `ml.notebook.manage` on the namespace (the permission that stops a
   * notebook there), audited as `ml.tensorboard.delete`.
   *
   * @throws NotFoundError when the run has no TensorBoard; NotAllowedError
   * for anyone but its creator, or without the permission.
   */
  async stop(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ): Promise<void> {
    const where = await this.locate(ref, runId, caller);
    const { entityRef, cluster, namespace, name, base } = where;
    const audit = await this.deps.audit.begin({
      eventId: 'tensorboard-delete',
      action: 'ml.tensorboard.delete',
      actor: caller.userRef,
      targetRef: `tensorboard:${cluster}/${namespace}/${name}`,
      details: { cluster, namespace, name, runId, entityRef },
      ...(caller.request ? { request: caller.request } : {}),
    });
    await this.authorize(
      where,
      caller,
      mlNotebookManagePermission,
      'stop',
      audit,
    );
    const client = this.deps.clusters.client(cluster);
    const object = `${namespace}/${name}`;
    try {
      let current: TensorboardObject;
      try {
        current = await client.request<TensorboardObject>(
          'GET',
          `${base}/${name}`,
          { verb: 'get', resource: RESOURCE, object },
        );
      } catch (e) {
        if (e instanceof KubeApiError && e.reason === 'NotFound') {
          const error = new NotFoundError(
            `run ${runId} has no TensorBoard ${name} in ${namespace} on ${cluster}`,
          );
          await audit.refused({ error });
          throw error;
        }
        throw e;
      }
      const creator = current.metadata.annotations?.[ANNOTATION_CREATED_BY];
      if (creator !== caller.userRef) {
        const error = new NotAllowedError(
          `TensorBoard ${name} in ${namespace} on ${cluster} was started by ${
            creator ?? 'someone outside the portal'
          }; only its creator stops it`,
        );
        await audit.refused({ error });
        throw error;
      }
      await client.request(
        'DELETE',
        `${base}/${name}`,
        { verb: 'delete', resource: RESOURCE, object },
        {},
      );
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof NotAllowedError) throw e;
      await audit.failed({ error: e as Error });
      throw e;
    }
    await audit.succeeded();
  }

  /** The user's TensorBoards in the namespace. */
  private async listMine(cluster: string, base: string, userRef: string) {
    const selector = `${LABEL_CREATED_BY}=${labelValue(userRef)}`;
    const { items } = await this.deps.clusters
      .client(cluster)
      .request<{ items: TensorboardObject[] }>(
        'GET',
        `${base}?labelSelector=${encodeURIComponent(selector)}`,
        { verb: 'list', resource: RESOURCE },
      );
    return items.filter(
      t => t.metadata.annotations?.[ANNOTATION_CREATED_BY] === userRef,
    );
  }
}

/** The run's `Tensorboard`, labelled and annotated with its creator. */
function manifest(
  where: {
    entityRef: string;
    namespace: string;
    name: string;
    logspath: string;
  },
  runId: string,
  userRef: string,
) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Tensorboard',
    metadata: {
      name: where.name,
      namespace: where.namespace,
      labels: {
        [LABEL_CREATED_BY]: labelValue(userRef),
        [LABEL_RUN]: labelValue(runId),
        'app.kubernetes.io/managed-by': 'backstage-ml',
      },
      annotations: {
        [ANNOTATION_CREATED_BY]: userRef,
        'mlplatform.io/entity': where.entityRef,
      },
    },
    spec: { logspath: where.logspath },
  };
}
