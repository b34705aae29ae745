import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import {
  GpuReservation,
  GpuReservationStore,
} from '../../database/GpuReservationStore';
import { NotebookStore } from '../../database/NotebookStore';
import { MlAuditor } from '../audit/MlAuditor';
import { ClusterService } from './ClusterService';
import { notebookTarget } from './notebookAccess';
import { NotebookObjects } from './NotebookObjects';

/** What one sweep did with an abandoned creation. @internal */
export interface AbandonedCreation {
  cluster: string;
  namespace: string;
  notebook: string;
  /**
   * `finished`: the notebook was recorded (its creation got past the apply),
   * `waiting`: a newer creation of the same name is under way, so its
   * objects are not touched until that one ends, `cleaned`: what existed of
   * it was deleted, `failed`: it could not be, tried again next sweep.
   */
  outcome: 'finished' | 'waiting' | 'cleaned' | 'failed';
  /** `Kind/name` of each object that existed and was deleted. */
  deleted: string[];
  error?: string;
}

/** The ML backend's own principal, as the audit trail names it. */
const ACTOR = 'plugin:ml';

/**
 * Cleans up after notebook creations whose replica died mid-apply (killed,
 * OOM, a rolled node): their reservation stays `applying` past its expiry
 * (`ml.kubernetes.creationTimeoutSeconds`). Run on the backend scheduler
 * (one replica per cycle), each sweep takes every such creation over (one
 * taker even if two sweeps overlap), and unless the notebook was recorded or
 * is being created again deletes what was created of it, so nothing stays
 * half-created; audited as `ml.notebook.delete` by `plugin:ml` with reason
 * `abandoned-creation`. The reservation ends when its objects are gone.
 *
 * @internal
 */
export class AbandonedCreations {
  constructor(
    private readonly deps: {
      reservations: GpuReservationStore;
      store: NotebookStore;
      objects: NotebookObjects;
      audit: MlAuditor;
      logger?: LoggerService;
      /** How long a takeover holds before another sweep may retry it. */
      takeOverSeconds: number;
    },
  ) {}

  async sweep(now: number = Date.now()): Promise<AbandonedCreation[]> {
    const { reservations } = this.deps;
    const done: AbandonedCreation[] = [];
    for (const r of await reservations.abandoned(now)) {
      const until = Date.now() + this.deps.takeOverSeconds * 1000;
      if (!(await reservations.takeOver(r, until))) continue;
      done.push(await this.settle(r, until));
    }
    if (done.length) {
      this.deps.logger?.info(
        `ML notebooks: abandoned creations: ${done
          .map(d => `${d.namespace}/${d.notebook} ${d.outcome}`)
          .join(', ')}`,
      );
    }
    return done;
  }

  private async settle(
    r: GpuReservation,
    until: number,
  ): Promise<AbandonedCreation> {
    const { reservations, store, objects } = this.deps;
    const at = {
      cluster: r.cluster,
      namespace: r.namespace,
      notebook: r.holder.name,
    };
    if (await store.get(r.cluster, r.namespace, r.holder.name)) {
      await reservations.release(r.id);
      return { ...at, outcome: 'finished', deleted: [] };
    }
    const others = (await reservations.all()).filter(
      o =>
        o.id !== r.id &&
        o.cluster === r.cluster &&
        o.namespace === r.namespace &&
        o.holder.kind === 'notebook' &&
        o.holder.name === r.holder.name &&
        o.expiresAt > Date.now(),
    );
    if (others.length) {
      // Abandoned again (not counted) until that creation has ended: then
      // it was recorded, or what is left is this one's to clean up.
      await reservations.takeOver({ ...r, expiresAt: until }, r.expiresAt);
      return { ...at, outcome: 'waiting', deleted: [] };
    }
    const audit = await this.deps.audit.begin({
      eventId: 'notebook-delete',
      action: 'ml.notebook.delete',
      actor: ACTOR,
      targetRef: notebookTarget(r.cluster, r.namespace, r.holder.name),
      details: {
        cluster: r.cluster,
        namespace: r.namespace,
        name: r.holder.name,
        reason: 'abandoned-creation',
        gpus: r.gpus,
      },
    });
    let deleted: string[];
    try {
      deleted = await objects.deleteAbandoned(
        r.cluster,
        r.namespace,
        r.holder.name,
      );
    } catch (e) {
      await audit.failed({ error: e as Error });
      return {
        ...at,
        outcome: 'failed',
        deleted: [],
        error: (e as Error).message,
      };
    }
    await reservations.release(r.id);
    await audit.succeeded({ details: { deleted } });
    return { ...at, outcome: 'cleaned', deleted };
  }
}

/**
 * Schedules the sweep on the backend scheduler, globally (one replica per
 * cycle), twice per `creationTimeoutSeconds` (at most every minute).
 *
 * @internal
 */
export async function scheduleAbandonedCreationsSweep(deps: {
  scheduler: SchedulerService;
  reservations: GpuReservationStore;
  store: NotebookStore;
  clusters: ClusterService;
  audit: MlAuditor;
  logger: LoggerService;
  creationTimeoutSeconds: number;
}): Promise<AbandonedCreations> {
  const { creationTimeoutSeconds } = deps;
  const sweeper = new AbandonedCreations({
    ...deps,
    objects: new NotebookObjects(deps),
    takeOverSeconds: creationTimeoutSeconds,
  });
  const seconds = Math.min(60, Math.max(1, creationTimeoutSeconds / 2));
  await deps.scheduler.scheduleTask({
    id: 'ml-abandoned-notebook-creations',
    frequency: { seconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds },
    fn: async () => {
      await sweeper.sweep();
    },
  });
  return sweeper;
}
