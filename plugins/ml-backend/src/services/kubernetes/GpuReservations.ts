import { ConflictError, ServiceUnavailableError } from '@backstage/errors';
import {
  NamespaceGpuQuota,
  parseDeviceCount,
} from '@mlplatform/plugin-ml-common';
import {
  GpuHolder,
  GpuReservation,
  GpuReservationStore,
} from '../../database/GpuReservationStore';
import { ClusterService } from './ClusterService';
import type { ClusterQuotas, QuotaService } from './QuotaService';
import { KubeObject } from './quotas';

/** How long reservations count without their cluster counting them. @internal */
export interface ReservationTimes {
  /**
   * While a holder's objects are written. Longer than any apply with its
   * rollback, so it only ends early when the replica died mid-creation.
   */
  applySeconds: number;
  /**
   * After the objects exist, until the cluster's figures surely include the
   * holder: a ResourceQuota counts a pod at admission, so the reservation
   * ends as soon as the notebook's pod exists, and a deployment's shrinks by
   * the GPUs of each of its pods as they come (what its pods do not reach
   * by then, e.g. replicas the autoscaler has not added, is no longer held);
   * Kueue's ClusterQueue usage trails admission, so a Kueue reservation
   * counts for this long.
   */
  settleSeconds: number;
}

/** @internal */
export const DEFAULT_RESERVATION_TIMES: ReservationTimes = {
  applySeconds: 120,
  settleSeconds: 120,
};

/** GPUs promised to one holder; end it exactly once. @internal */
export interface GpuHold {
  /** The objects exist: count until the cluster does. */
  applied(): Promise<void>;
  /** Nothing was created (or it was rolled back): free the GPUs now. */
  release(): Promise<void>;
}

/**
 * Runs the step that writes a holder's objects to its cluster while its GPUs
 * are held: released when it throws (nothing is left on the cluster), counted
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
 * the cluster does not count yet is `promised` in its namespace (taken from
 * free, then from borrowable; `used` stays what the cluster says), and taken
 * from what the rest of its Kueue cohort may borrow (it may be lent from
 * there). What `GET /quotas` shows and what the fit check spends.
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
        ...(own ? { promised: own } : {}),
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
 * Holds the GPU check and the spending of the GPUs together — a notebook's
 * creation or start, a model deployment's apply — across requests and
 * backend replicas: under the cluster's lock in the store it reads which
 * holders' pods exist, then the cluster's quotas fresh, counts the
 * reservations the cluster does not count yet, runs the fit check on what is
 * left and, when it passes, writes the holder's own reservation before the
 * lock is released. The GPUs stay promised until the holder is applied and
 * counted by its cluster, released at once when the apply fails, and stop
 * counting when the replica died mid-apply ({@link ReservationTimes}).
 *
 * @internal
 */
export class GpuReservations {
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
    request: { holder: GpuHolder; gpus: number; gpuResource: string },
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
        let pending: GpuReservation[];
        try {
          pending = await notCountedByCluster(
            this.deps.clusters,
            cluster,
            live,
          );
        } catch (e) {
          throw new ServiceUnavailableError(unavailable((e as Error).message));
        }
        await lock.remove(
          live.filter(h => !pending.some(p => p.id === h.id)).map(h => h.id),
        );
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
          holder: request.holder,
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
    await this.deps.reservations.releaseHolder(cluster, namespace, {
      kind: 'notebook',
      name: notebook,
    });
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

/**
 * The live reservations as far as the cluster's figures do not include
 * them yet. Of a ResourceQuota's, the GPUs of its holder's pods (not
 * gated, not finished) are left out: quota admission charged them to
 * `status.used` when the pods were created, so the figures read after
 * this include them. One whose pods carry all its GPUs is left out whole.
 */
async function notCountedByCluster(
  clusters: ClusterService,
  cluster: string,
  live: GpuReservation[],
): Promise<GpuReservation[]> {
  const onQuota = live.filter(h => !h.flavor);
  const namespaces = [...new Set(onQuota.map(h => h.namespace))];
  const pods = new Map(
    await Promise.all(
      namespaces.map(async ns => {
        const list = await clusters.list(
          cluster,
          `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`,
          'pods',
        );
        return [ns, (list.items ?? []).filter(isCharged)] as const;
      }),
    ),
  );
  return live.flatMap(h => {
    if (h.flavor) return [h];
    const charged = chargedGpus(h, pods.get(h.namespace) ?? []);
    return charged >= h.gpus ? [] : [{ ...h, gpus: h.gpus - charged }];
  });
}

/**
 * What `GET /quotas` shows as promised on a cluster: its counting
 * reservations (read without the lock) the cluster's figures do not include.
 *
 * @internal
 */
export async function promisedOn(
  deps: { clusters: ClusterService; reservations: GpuReservationStore },
  cluster: string,
): Promise<GpuReservation[]> {
  const live = await deps.reservations.counting(cluster, Date.now());
  return live.length ? notCountedByCluster(deps.clusters, cluster, live) : [];
}

/**
 * The label each kind of deployment's pods carry with its name: the plain
 * Deployment's own selector label, the name of the Deployment running them
 * (a rollout's canary: its pods share the stable's selector label), KServe's
 * on its predictor pods.
 */
const DEPLOYMENT_POD_LABELS = [
  'mlplatform.io/deployment',
  'mlplatform.io/revision',
  'serving.kserve.io/inferenceservice',
];

/**
 * The GPUs of a reservation's resource its holder's charged pods carry: a
 * notebook's `<name>-0` carries all of them (one pod, as reserved); a
 * deployment's pods, found by label, what their containers request.
 */
function chargedGpus(h: GpuReservation, pods: KubeObject[]): number {
  const { kind, name } = h.holder;
  if (kind === 'notebook') {
    return pods.some(p => p.metadata?.name === `${name}-0`) ? h.gpus : 0;
  }
  return pods
    .filter(p =>
      DEPLOYMENT_POD_LABELS.some(l => p.metadata?.labels?.[l] === name),
    )
    .reduce((n, p) => n + podGpus(p, h.resource), 0);
}

/** What quota admission charges a pod of `resource` (requests, else limits). */
function podGpus(pod: KubeObject, resource: string): number {
  return ((pod.spec?.containers ?? []) as KubeObject[]).reduce((n, c) => {
    const value =
      c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
    return n + parseDeviceCount(value);
  }, 0);
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
  const promised = (kind: GpuHolder['kind']) =>
    held.pending
      .filter(
        h =>
          h.holder.kind === kind &&
          h.namespace === held.namespace &&
          h.resource === held.resource,
      )
      .reduce((n, h) => n + h.gpus, 0);
  const notebooks = promised('notebook');
  const deployments = promised('deployment');
  if (notebooks + deployments === 0) return e;
  try {
    withoutHeld();
  } catch {
    return e;
  }
  const to = [
    notebooks && `${notebooks} promised to notebooks being created or started`,
    deployments &&
      `${deployments} ${
        notebooks ? 'to' : 'promised to'
      } model deployments being applied or not yet running`,
  ].filter(Boolean);
  return new ConflictError(`${e.message}; ${to.join(', ')}`);
}
