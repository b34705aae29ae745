import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ClusterAvailability,
  GpuQuotasResponse,
  NamespaceGpuQuota,
  ParsedGpuQuotasQuery,
} from '@mlplatform/plugin-ml-common';
import { GpuReservation } from '../../database/GpuReservationStore';
import { ClusterService, KUEUE_GROUP } from './ClusterService';
import { withReservations } from './GpuReservations';
import {
  ClusterSnapshot,
  KubeObject,
  computeClusterQuotas,
  namespaceTeam,
} from './quotas';
import {
  clusterQueuesWithPending,
  readQueuePositions,
  withPositions,
} from './queuePositions';

/** One refresh of one cluster. @internal */
export interface ClusterQuotas {
  availability: ClusterAvailability;
  quotas: NamespaceGpuQuota[];
  /** Namespaces by name, with their labels (for the owning team). */
  namespaces: Map<string, KubeObject>;
}

/** The `GET /quotas` query as ml-common's schema parses it (`team` a full group ref). @internal */
export type QuotaFilter = ParsedGpuQuotasQuery;

/**
 * GPU quotas of every configured cluster. Each refresh of a cluster lists
 * every kind it needs exactly once (namespaces, resourcequotas, events, and
 * with Kueue clusterqueues, localqueues, resourceflavors, cohorts, workloads)
 * and, with pending Kueue workloads, reads their queue positions from
 * Kueue's visibility API once per ClusterQueue that has any;
 * the result is cached for `refreshSeconds`, and concurrent callers share one
 * refresh. A failing cluster is reported unavailable; the others still answer.
 *
 * @internal
 */
export class QuotaService {
  private readonly cache = new Map<
    string,
    { at: number; result: ClusterQuotas }
  >();
  private readonly inFlight = new Map<string, Promise<ClusterQuotas>>();

  /**
   * @param promised - a cluster's GPUs promised to notebooks and deployments
   *   being created that its figures do not include yet (`promisedOn`);
   *   `getQuotas` shows them and takes them from free and borrowable.
   */
  constructor(
    private readonly clusters: ClusterService,
    private readonly logger?: LoggerService,
    private readonly promised?: (cluster: string) => Promise<GpuReservation[]>,
  ) {}

  /**
   * Quotas of all (or one) clusters, filtered by namespace and team, less
   * the GPUs promised to creations in flight (read fresh on every call; the
   * cluster's figures come from the cache).
   */
  async getQuotas(filter: QuotaFilter = {}): Promise<GpuQuotasResponse> {
    const names = filter.cluster
      ? [this.clusters.get(filter.cluster).config.name]
      : this.clusters.names();
    const results = await Promise.all(
      names.map(async n => this.withPromised(await this.clusterQuotas(n))),
    );
    return {
      clusters: results.map(r => r.availability),
      quotas: results
        .flatMap(r => r.quotas)
        .filter(
          q =>
            (!filter.namespace || q.namespace === filter.namespace) &&
            (!filter.team || q.team === filter.team),
        ),
    };
  }

  /**
   * One cluster's quotas, from the cache when younger than `refreshSeconds`
   * unless `fresh` (used before spending GPUs). Never throws: a failure is an
   * unavailable cluster.
   */
  async clusterQuotas(
    cluster: string,
    options: { fresh?: boolean } = {},
  ): Promise<ClusterQuotas> {
    const cached = this.cache.get(cluster);
    const ttl = this.clusters.settings.refreshSeconds * 1000;
    if (!options.fresh && cached && Date.now() - cached.at < ttl) {
      return cached.result;
    }
    const running = this.inFlight.get(cluster);
    if (running) return running;
    const refresh = this.refresh(cluster).finally(() =>
      this.inFlight.delete(cluster),
    );
    this.inFlight.set(cluster, refresh);
    return refresh;
  }

  private async withPromised(result: ClusterQuotas): Promise<ClusterQuotas> {
    const cluster = result.availability.name;
    if (!this.promised || !result.availability.available) return result;
    let held: GpuReservation[];
    try {
      held = await this.promised(cluster);
    } catch (e) {
      const note = `GPUs promised to notebooks and deployments being created could not be counted: ${
        (e as Error).message
      }`;
      return {
        ...result,
        availability: {
          ...result.availability,
          notes: [...(result.availability.notes ?? []), note],
        },
      };
    }
    return held.length
      ? { ...result, quotas: withReservations(result.quotas, held) }
      : result;
  }

  /** Drops a cluster's cached quotas, e.g. after creating a notebook there. */
  invalidate(cluster: string): void {
    this.cache.delete(cluster);
  }

  private async refresh(cluster: string): Promise<ClusterQuotas> {
    const started = Date.now();
    let result: ClusterQuotas;
    try {
      const snapshot = await this.snapshot(cluster);
      const quotas = computeClusterQuotas(
        cluster,
        snapshot,
        this.clusters.settings.teamLabel,
      );
      const pendingQueues = clusterQueuesWithPending(quotas);
      const positions = pendingQueues.length
        ? await readQueuePositions(this.clusters, cluster, pendingQueues)
        : undefined;
      result = {
        availability: {
          name: cluster,
          available: true,
          fetchedAt: new Date(started).toISOString(),
          ...(positions ? { queuePositions: positions.state } : {}),
          ...(positions?.note ? { notes: [positions.note] } : {}),
        },
        quotas: withPositions(quotas, positions?.positions),
        namespaces: new Map(
          snapshot.namespaces.map(ns => [ns.metadata?.name ?? '', ns]),
        ),
      };
    } catch (e) {
      const error = (e as Error).message;
      this.logger?.warn(
        `GPU quotas of cluster ${cluster} unavailable: ${error}`,
      );
      result = {
        availability: {
          name: cluster,
          available: false,
          error,
          fetchedAt: new Date(started).toISOString(),
        },
        quotas: [],
        namespaces: new Map(),
      };
    }
    this.cache.set(cluster, { at: started, result });
    return result;
  }

  private async snapshot(cluster: string): Promise<ClusterSnapshot> {
    const apis = await this.clusters.apis(cluster);
    const list = (path: string, resource: string) =>
      this.clusters.list(cluster, path, resource).then(l => l.items ?? []);
    const kueue = apis.kueue;
    const k = (resource: string, version = kueue) =>
      list(
        `/apis/${KUEUE_GROUP}/${version}/${resource}`,
        `${resource}.${KUEUE_GROUP}`,
      );
    const [namespaces, resourceQuotas, events, kueueLists] = await Promise.all([
      list('/api/v1/namespaces', 'namespaces'),
      list('/api/v1/resourcequotas', 'resourcequotas'),
      // Warning events only: FailedCreate (quota denied) and FailedScheduling.
      list('/api/v1/events?fieldSelector=type%3DWarning', 'events'),
      kueue
        ? Promise.all([
            k('clusterqueues'),
            k('localqueues'),
            k('resourceflavors'),
            apis.kueueCohorts
              ? k('cohorts', apis.kueueCohorts)
              : Promise.resolve([]),
            k('workloads'),
          ])
        : Promise.resolve(undefined),
    ]);
    return {
      namespaces,
      resourceQuotas,
      events,
      ...(kueue && kueueLists
        ? {
            kueue: {
              version: kueue,
              clusterQueues: kueueLists[0],
              localQueues: kueueLists[1],
              resourceFlavors: kueueLists[2],
              cohorts: kueueLists[3],
              workloads: kueueLists[4],
            },
          }
        : {}),
    };
  }

  /** The owning team of a namespace from the (cached) namespace list. */
  teamOf(result: ClusterQuotas, namespace: string): string | undefined {
    return namespaceTeam(
      result.namespaces.get(namespace),
      this.clusters.settings.teamLabel,
    );
  }
}
