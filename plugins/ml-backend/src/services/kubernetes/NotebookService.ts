import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  Notebook,
  NotebooksResponse,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { GpuReservationStore } from '../../database/GpuReservationStore';
import { NotebookRecord, NotebookStore } from '../../database/NotebookStore';
import { MlAuditor } from '../audit/MlAuditor';
import { ClusterService } from './ClusterService';
import { admitNotebook, manageNotebook } from './notebookAccess';
import { NotebookObjects } from './NotebookObjects';
import { NotebookPlacement } from './NotebookPlacement';
import {
  GpuReservations,
  ReservationTimes,
  whileHeld,
} from './GpuReservations';
import { phaseOf, toNotebook } from './notebookView';
import { QuotaService } from './QuotaService';

/** Who is calling, as the router learned it. @internal */
export interface NotebookCaller {
  userRef: string;
  /** The user and the groups they belong to (userInfo's ownershipEntityRefs). */
  ownership: string[];
  credentials: BackstageCredentials;
  request?: Request;
  /** Why the caller acts, added to the audit details, e.g. `{ reason: 'idle' }`. */
  auditDetails?: Record<string, unknown>;
}

/**
 * Notebooks on the configured clusters. This class orchestrates: it asks the
 * permission policy (`ml.notebook.create` on `<cluster>/<namespace>`, and
 * `ml.notebook.manage` to stop / start / delete), audits every mutation
 * through {@link MlAuditor} (action = the permission name,
 * `ml.notebook.<verb>` for the managing ones), and keeps the notebook store.
 * Where a notebook goes and whether its GPUs fit is {@link NotebookPlacement};
 * the GPUs a create or start spends are promised under the cluster's lock
 * until the cluster counts them ({@link GpuReservations}), so
 * concurrent requests on any replica never promise more than free +
 * borrowable; its objects on the cluster, created all-or-nothing, are
 * {@link NotebookObjects}.
 *
 * @internal
 */
export class NotebookService {
  private readonly placement: NotebookPlacement;
  private readonly objects: NotebookObjects;
  private readonly reservations: GpuReservations;

  constructor(
    private readonly deps: {
      clusters: ClusterService;
      quotas: QuotaService;
      store: NotebookStore;
      reservations: GpuReservationStore;
      audit: MlAuditor;
      permissions: PermissionsService;
      catalog?: CatalogService;
      logger?: LoggerService;
      /** How long reservations count without the cluster counting them. */
      reservationTimes?: Partial<ReservationTimes>;
    },
  ) {
    this.placement = new NotebookPlacement(deps);
    this.objects = new NotebookObjects(deps);
    this.reservations = new GpuReservations({
      ...deps,
      times: deps.reservationTimes,
    });
  }

  async create(
    request: ParsedCreateNotebookRequest,
    caller: NotebookCaller,
  ): Promise<Notebook> {
    const where = await this.placement.resolveTarget(
      request,
      caller.credentials,
    );
    const { cluster, namespace, quotaRef } = where;
    const { name, gpus, gpuResource } = request;
    const { audit, orRefuse, owned, flavor, queue, hold } = await admitNotebook(
      {
        ...this.deps,
        placement: this.placement,
        reservations: this.reservations,
      },
      request,
      where,
      caller,
    );
    const spec = {
      image: request.image,
      cpu: request.cpu,
      memory: request.memory,
      storage: request.storage,
      gpus,
      gpuResource,
      ...(flavor ? { flavor } : {}),
      ...(queue ? { queue } : {}),
      ...(quotaRef ? { quota: quotaRef } : {}),
    };
    // The record is written while the GPUs are held: a creation whose
    // replica dies before it is abandoned (AbandonedCreations cleans up).
    const stored = await whileHeld(hold, async () => {
      const built = await orRefuse(() =>
        this.objects.build(cluster, {
          name,
          namespace,
          createdBy: caller.userRef,
          ...spec,
        }),
      );
      const failure = await this.objects.apply(cluster, built.objects);
      if (failure) {
        const { error, message, rolledBack } = failure;
        error.message = message;
        await audit.failed({ error, details: { rolledBack } });
        throw error;
      }
      return this.deps.store.add({
        cluster,
        namespace,
        name,
        createdBy: caller.userRef,
        team: owned.team,
        spec: { ...spec, backend: built.backend },
      });
    });
    const { backend } = stored.spec;
    this.deps.quotas.invalidate(cluster);
    await audit.succeeded({
      details: { backend, ...(queue ? { queue } : {}) },
      meta: { backend },
    });
    return toNotebook(
      stored,
      this.deps.clusters.get(cluster).config.notebookUrl,
      { phase: 'Pending', message: 'just created' },
    );
  }

  /** The caller's notebooks with their live phase. */
  async list(caller: NotebookCaller): Promise<NotebooksResponse> {
    const records = await this.deps.store.list({ createdBy: caller.userRef });
    const byCluster = new Map<string, NotebookRecord[]>();
    for (const r of records) {
      byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
    }
    const unavailable: string[] = [];
    const items: Notebook[] = [];
    await Promise.all(
      [...byCluster.entries()].map(async ([cluster, rows]) => {
        let notebookUrl: string | undefined;
        try {
          notebookUrl = this.deps.clusters.get(cluster).config.notebookUrl;
          const live = await this.objects.liveObjects(cluster, rows);
          const pending = (
            await this.deps.quotas.clusterQuotas(cluster)
          ).quotas.flatMap(q => q.pending);
          for (const r of rows) {
            items.push(toNotebook(r, notebookUrl, phaseOf(r, live, pending)));
          }
        } catch (e) {
          unavailable.push(cluster);
          for (const r of rows) {
            items.push(
              toNotebook(r, notebookUrl, {
                phase: 'Unknown',
                message: (e as Error).message,
              }),
            );
          }
        }
      }),
    );
    items.sort(
      (a, b) =>
        a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name),
    );
    return { items, unavailableClusters: unavailable.sort() };
  }

  async stop(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    await this.mutate('stop', cluster, namespace, name, caller, async r => {
      await this.objects.setRunning(r, false);
      await this.reservations.releaseNotebook(cluster, namespace, name);
    });
  }

  async start(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    await this.mutate('start', cluster, namespace, name, caller, async r => {
      const { gpus, gpuResource, flavor } = r.spec;
      if (gpus === 0) {
        await this.objects.setRunning(r, true);
        return;
      }
      // Scaling up spends GPUs like a create: the same check under the same lock.
      const { hold } = await this.reservations.hold(
        { cluster, namespace },
        { holder: { kind: 'notebook', name }, gpus, gpuResource },
        quotas =>
          this.placement.checkRestart({ cluster, namespace }, quotas, {
            gpus,
            gpuResource,
            ...(flavor ? { flavor } : {}),
          }),
        error => error,
      );
      await whileHeld(hold, () => this.objects.setRunning(r, true));
    });
  }

  async delete(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    await this.mutate('delete', cluster, namespace, name, caller, async r => {
      await this.objects.delete(r);
      await this.deps.store.markDeleted(r.id);
      await this.reservations.releaseNotebook(cluster, namespace, name);
    });
  }

  private async mutate(
    action: 'stop' | 'start' | 'delete',
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
    run: (record: NotebookRecord) => Promise<void>,
  ): Promise<void> {
    this.deps.clusters.get(cluster);
    const record = await this.deps.store.get(cluster, namespace, name);
    if (!record) {
      throw new NotFoundError(
        `no notebook ${name} in ${namespace} on ${cluster} was created through the portal`,
      );
    }
    await manageNotebook(
      { ...this.deps, placement: this.placement },
      action,
      record,
      caller,
      () => run(record),
    );
  }
}
