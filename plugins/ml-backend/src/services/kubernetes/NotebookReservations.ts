import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import { NamespaceGpuQuota } from '@mlplatform/plugin-ml-common';
import {
  GpuReservation,
  GpuReservationStore,
} from '../../database/GpuReservationStore';
import { ClusterService } from './ClusterService';
import { ClusterQuotas, QuotaService } from './QuotaService';
import { KubeObject } from './quotas';

/** How long reservations count without their cluster counting them. @internal */
export interface ReservationTimes {
  /**
   * While a notebook's objects are written. Longer than any apply with its
   * rollback, so it only ends early when the replica died mid-creation.
   */
  applySeconds: number;
  /**
   * After the objects exist, until the cluster's figures surely include the
   * notebook: a ResourceQuota counts its pod at admission, so the reservation
   * ends as soon as the pod exists; Kueue's ClusterQueue usage trails
   * admission, so a Kueue reservation counts for this long.
   */
  settleSeconds: number;
}

/** @internal */
export const DEFAULT_RESERVATION_TIMES: ReservationTimes = {
  applySeconds: 120,
  settleSeconds: 120,
};

/** GPUs promised to one notebook; end it exactly once. @internal */
export interface GpuHold {
  /** The objects exist: count until the cluster does. */
  applied(): Promise<void>;
  /** Nothing was created (or it was rolled back): free the GPUs now. */
  release(): Promise<void>;
}

/**
 * Runs the step that writes a notebook to its cluster while its GPUs are
 * held: released when it throws (nothing is left on the cluster), counted
 * until the cluster counts them when it succeeds.
 *
 * @internal
 */
export async function whileHeld<T>(
  hold: GpuHold | undefined,
  step: () => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await step();
  } catch (e) {
    await hold?.release();
    throw e;
  }
  await hold?.applied();
  return result;
}

const sameResource = (
  h: Pick<GpuReservation, 'resource' | 'flavor'>,
  r: { resource: string; flavor?: string },
) => h.resource === r.resource && h.flavor === r.flavor;

/**
 * The quotas of a cluster as a new request may spend them: each reservation
 * the cluster does not count yet is used in its namespace (taken from free,
 * then from borrowable), and taken from what the rest of its Kueue cohort
 * may borrow (it may be lent from there).
 *
 * @internal
 */
export function withReservations(
  quotas: NamespaceGpuQuota[],
  held: GpuReservation[],
): NamespaceGpuQuota[] {
  const cohortOf = (
    namespace: string,
    r: { resource: string; flavor?: string },
  ) =>
    quotas.find(
      q =>
        q.namespace === namespace && q.resources.some(x => sameResource(x, r)),
    )?.cohort;
  return quotas.map(q => ({
    ...q,
    resources: q.resources.map(r => {
      const matching = held.filter(
        h => h.cluster === q.cluster && sameResource(h, r),
      );
      const own = matching
        .filter(h => h.namespace === q.namespace)
        .reduce((n, h) => n + h.gpus, 0);
      const cohortMates = q.cohort
        ? matching
            .filter(
              h =>
                h.namespace !== q.namespace &&
                cohortOf(h.namespace, r) === q.cohort,
            )
            .reduce((n, h) => n + h.gpus, 0)
        : 0;
      if (own === 0 && cohortMates === 0) return r;
      return {
        ...r,
        used: r.used + own,
        free: Math.max(0, r.free - own),
        borrowable: Math.max(
          0,
          r.borrowable - Math.max(0, own - r.free) - cohortMates,
        ),
      };
    }),
  }));
}

/**
 * Holds the GPU check and the creation (or start) of a notebook together,
 * across requests and backend replicas: under the cluster's lock in the
 * store it reads which notebook pods exist, then the cluster's quotas
 * fresh, counts the reservations the cluster does not count yet, runs the
 * fit check on what is left and, when it passes, writes the notebook's own
 * reservation before the lock is released. The GPUs stay promised until the
 * notebook is applied and counted by its cluster, released at once when the
 * creation fails, and stop counting when the replica died mid-creation
 * ({@link ReservationTimes}).
 *
 * @internal
 */
export class NotebookReservations {
  private readonly times: ReservationTimes;

  constructor(
    private readonly deps: {
      clusters: ClusterService;
      quotas: QuotaService;
      reservations: GpuReservationStore;
      times?: Partial<ReservationTimes>;
    },
  ) {
    this.times = { ...DEFAULT_RESERVATION_TIMES, ...deps.times };
  }

  /**
   * Checks with `choose` (which throws when the GPUs do not fit) against the
   * quotas of `namespace` less every live reservation, and reserves the GPUs
   * of the flavor it chose. `unavailable` words the error of a cluster that
   * does not answer.
   */
  async hold<T extends { flavor?: string }>(
    target: { cluster: string; namespace: string },
    request: { notebook: string; gpus: number; gpuResource: string },
    choose: (quotas: NamespaceGpuQuota[]) => T,
    unavailable: (error: string) => string,
  ): Promise<T & { hold: GpuHold }> {
    const { cluster, namespace } = target;
    const { reservations } = this.deps;
    const reservation = await reservations.withClusterLock(
      cluster,
      async lock => {
        const now = Date.now();
        const live = await lock.live(now);
        let reflected: GpuReservation[];
        try {
          reflected = await this.countedByCluster(
            cluster,
            live.filter(h => !h.flavor),
          );
        } catch (e) {
          throw new ServiceUnavailableError(unavailable((e as Error).message));
        }
        await lock.remove(reflected.map(h => h.id));
        const pending = live.filter(h => !reflected.includes(h));
        const snapshot = await this.freshQuotas(cluster, Date.now());
        if (!snapshot.availability.available) {
          throw new ServiceUnavailableError(
            unavailable(snapshot.availability.error ?? 'no answer'),
          );
        }
        const here = (quotas: NamespaceGpuQuota[]) =>
          quotas.filter(q => q.namespace === namespace);
        let choice: T;
        try {
          choice = choose(here(withReservations(snapshot.quotas, pending)));
        } catch (e) {
          throw explainHeld(e, () => choose(here(snapshot.quotas)), {
            pending,
            namespace,
            resource: request.gpuResource,
          });
        }
        const added = await lock.add({
          cluster,
          namespace,
          resource: request.gpuResource,
          ...(choice.flavor ? { flavor: choice.flavor } : {}),
          gpus: request.gpus,
          notebook: request.notebook,
          state: 'applying',
          expiresAt: now + this.times.applySeconds * 1000,
        });
        return { choice, id: added.id };
      },
    );
    let ended = false;
    const end = async (step: () => Promise<void>) => {
      if (ended) return;
      ended = true;
      await step();
    };
    return {
      ...reservation.choice,
      hold: {
        applied: () =>
          end(() =>
            reservations.markApplied(
              reservation.id,
              Date.now() + this.times.settleSeconds * 1000,
            ),
          ),
        release: () => end(() => reservations.release(reservation.id)),
      },
    };
  }

  /** A stopped or deleted notebook no longer needs its GPUs promised. */
  async releaseNotebook(
    cluster: string,
    namespace: string,
    notebook: string,
  ): Promise<void> {
    await this.deps.reservations.releaseNotebook(cluster, namespace, notebook);
  }

  /**
   * ResourceQuota reservations whose notebook pod exists (not gated, not
   * finished): quota admission charged the pod to `status.used` when it was
   * created, so the cluster's figures read after this include it.
   */
  private async countedByCluster(
    cluster: string,
    held: GpuReservation[],
  ): Promise<GpuReservation[]> {
    const namespaces = [...new Set(held.map(h => h.namespace))];
    const pods = await Promise.all(
      namespaces.map(async ns => {
        const list = await this.deps.clusters.list(
          cluster,
          `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
          'pods',
        );
        return (list.items ?? [])
          .filter(isCharged)
          .map(p => `${ns}/${p.metadata?.name}`);
      }),
    );
    const existing = new Set(pods.flat());
    return held.filter(h => existing.has(`${h.namespace}/${h.notebook}-0`));
  }

  /**
   * The cluster's quotas from a refresh that started at or after `since`:
   * a refresh already under way (shared by concurrent callers) may have
   * read the quotas before a pod we saw was charged.
   */
  private async freshQuotas(
    cluster: string,
    since: number,
  ): Promise<ClusterQuotas> {
    let snapshot: ClusterQuotas;
    let tries = 0;
    do {
      snapshot = await this.deps.quotas.clusterQuotas(cluster, { fresh: true });
      tries++;
    } while (
      Date.parse(snapshot.availability.fetchedAt ?? '') < since &&
      tries < 3
    );
    return snapshot;
  }
}

function isCharged(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return (
    phase !== 'Succeeded' &&
    phase !== 'Failed' &&
    !(pod.spec?.schedulingGates?.length > 0)
  );
}

/**
 * A refusal that only the promised GPUs cause says so: the numbers in the
 * message are what is left after them, not what the cluster shows.
 */
function explainHeld(
  e: unknown,
  withoutHeld: () => unknown,
  held: { pending: GpuReservation[]; namespace: string; resource: string },
): unknown {
  if (!(e instanceof ConflictError)) return e;
  const promised = held.pending
    .filter(h => h.namespace === held.namespace && h.resource === held.resource)
    .reduce((n, h) => n + h.gpus, 0);
  if (promised === 0) return e;
  try {
    withoutHeld();
  } catch {
    return e;
  }
  return new ConflictError(
    `${e.message}; ${promised} promised to notebooks being created or started`,
  );
}
