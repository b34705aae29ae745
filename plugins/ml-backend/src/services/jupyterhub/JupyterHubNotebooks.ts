import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { PermissionsService } from '@backstage/backend-plugin-api';
import {
  Notebook,
  NotebookPhase,
  NotebookProgressEvent,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import {
  NotebookRecord,
  NotebookSpec,
  NotebookStore,
} from '../../database/NotebookStore';
import { MlAuditor } from '../audit/MlAuditor';
import { toBackstageError } from '../kubernetes/NotebookObjects';
import {
  NotebookPlacement,
  NotebookTarget,
} from '../kubernetes/NotebookPlacement';
import { admitNotebook, manageNotebook } from '../kubernetes/notebookAccess';
import type { NotebookCaller } from '../kubernetes/NotebookService';
import { toNotebook } from '../kubernetes/notebookView';
import { GpuReservations, whileHeld } from '../kubernetes/GpuReservations';
import { QuotaService } from '../kubernetes/QuotaService';
import { HubServer, JupyterHubClient } from './JupyterHubClient';
import { JupyterHubConfig } from './jupyterhubConfig';

/**
 * What JupyterHub's spawner gets as user_options: the team's share of its
 * quota that the notebook spends. On Kubernetes, KubeSpawner's
 * `profile_list` / `kubespawner_override` maps these to the pod
 * (docs/notebooks.md); the test spawner records them.
 *
 * @internal
 */
export interface JupyterHubProfile {
  gpus: number;
  /** The GPU resource, e.g. `nvidia.com/gpu` or a MIG profile. */
  gpuType: string;
  /** Kueue flavor of the quota the GPUs come from, when it has flavors. */
  flavor?: string;
  cpu: string;
  memory: string;
  storage: string;
  image: string;
  cluster: string;
  namespace: string;
  team: string;
  queue?: string;
}

/**
 * JupyterHub's user for a Backstage user: the entity name
 * (`user:default/ada` → `ada`), which JupyterHub's own login (the same
 * identity provider, on a real deployment) gives that person too.
 *
 * @internal
 */
export function hubUserOf(userRef: string): string {
  return parseEntityRef(userRef).name.toLowerCase();
}

/**
 * Notebooks that are JupyterHub named servers of their creator, for the
 * namespaces `ml.jupyterhub.serves` lists. The checks are the Kubernetes
 * notebooks' own: the namespace's owning team and quotas from its cluster,
 * the same permission (`ml.notebook.create` / `ml.notebook.manage` on the
 * namespace), the same GPU fit ({@link NotebookPlacement}, read only) and
 * the same audit ({@link MlAuditor}, `ml.notebook.*` actions). Only what
 * runs the notebook differs: a spawn through JupyterHub's REST API with the
 * profile as user_options, cleaned up when it fails.
 *
 * @internal
 */
export class JupyterHubNotebooks {
  private readonly placement: NotebookPlacement;

  constructor(
    private readonly deps: {
      config: JupyterHubConfig;
      client: JupyterHubClient;
      placement: NotebookPlacement;
      /** GPUs promised under the cluster's lock, as for Kubernetes notebooks. */
      reservations: GpuReservations;
      quotas: QuotaService;
      store: NotebookStore;
      audit: MlAuditor;
      permissions: PermissionsService;
    },
  ) {
    this.placement = deps.placement;
  }

  async create(
    request: ParsedCreateNotebookRequest,
    where: NotebookTarget,
    caller: NotebookCaller,
  ): Promise<Notebook> {
    const { cluster, namespace, quotaRef } = where;
    const { name, gpus, gpuResource } = request;
    const { images } = this.deps.config;
    // The same checks and GPU promise as a Kubernetes notebook. The named
    // server's pod (KubeSpawner) is not the `<name>-0` the reservations look
    // for, so the hold counts until it settles.
    const { audit, owned, flavor, queue, hold } = await admitNotebook(
      this.deps,
      request,
      where,
      caller,
      {
        details: { backend: 'jupyterhub' },
        check: () => {
          if (images && !images.includes(request.image)) {
            throw new InputError(
              `image ${
                request.image
              } is not offered by JupyterHub; choose one of ${images.join(
                ', ',
              )}`,
            );
          }
        },
      },
    );

    const profile: JupyterHubProfile = {
      gpus,
      gpuType: gpuResource,
      ...(flavor ? { flavor } : {}),
      cpu: request.cpu,
      memory: request.memory,
      storage: request.storage,
      image: request.image,
      cluster,
      namespace,
      team: owned.team,
      ...(queue ? { queue } : {}),
    };
    const user = hubUserOf(caller.userRef);
    const spec: NotebookSpec = {
      image: request.image,
      cpu: request.cpu,
      memory: request.memory,
      storage: request.storage,
      gpus,
      gpuResource,
      ...(flavor ? { flavor } : {}),
      backend: 'jupyterhub',
      ...(queue ? { queue } : {}),
      ...(quotaRef ? { quota: quotaRef } : {}),
    };
    const stored = await whileHeld(hold, async () => {
      // The name is claimed in the store before the spawn, so a second
      // create of it (even concurrent, even on another replica) is refused
      // here with 409 and never reaches JupyterHub, whose rollback below
      // would remove the first one's server.
      const claimed = await this.deps.store
        .add({
          cluster,
          namespace,
          name,
          createdBy: caller.userRef,
          team: owned.team,
          spec,
        })
        .catch(async e => {
          const error = toBackstageError(e);
          if (error.name === 'ConflictError') await audit.refused({ error });
          else await audit.failed({ error });
          throw error;
        });
      try {
        await this.deps.client.ensureUser(user);
        await this.deps.client.startServer(user, name, { ...profile });
      } catch (e) {
        // Nothing half-created stays behind: a spawn that failed is removed.
        const rolledBack = await this.deps.client
          .stopServer(user, name, { remove: true })
          .then(
            () => true,
            () => false,
          );
        await this.deps.store.markDeleted(claimed.id);
        const error = toBackstageError(e);
        await audit.failed({ error, details: { rolledBack } });
        throw error;
      }
      return claimed;
    });
    this.deps.quotas.invalidate(cluster);
    await audit.succeeded({
      details: { backend: 'jupyterhub', hubUser: user },
      meta: { backend: 'jupyterhub' },
    });
    return this.view(stored, {
      phase: 'Pending',
      message: 'spawning on JupyterHub',
    });
  }

  /**
   * The live state of JupyterHub notebooks (one user read per creator);
   * when JupyterHub does not answer they show `Unknown` with the reason.
   */
  async list(
    records: NotebookRecord[],
  ): Promise<{ items: Notebook[]; unavailable: string[] }> {
    const users = new Map<string, NotebookRecord[]>();
    for (const r of records) {
      const user = hubUserOf(r.createdBy);
      users.set(user, [...(users.get(user) ?? []), r]);
    }
    const items: Notebook[] = [];
    const unavailable = new Set<string>();
    await Promise.all(
      [...users].map(async ([user, rows]) => {
        try {
          const servers = (await this.deps.client.getUser(user))?.servers ?? {};
          for (const r of rows)
            items.push(this.view(r, stateOf(servers[r.name])));
        } catch (e) {
          for (const r of rows) {
            unavailable.add(r.cluster);
            items.push(
              this.view(r, { phase: 'Unknown', message: (e as Error).message }),
            );
          }
        }
      }),
    );
    return { items, unavailable: [...unavailable] };
  }

  async stop(record: NotebookRecord, caller: NotebookCaller): Promise<void> {
    await this.mutate('stop', record, caller, async user => {
      await this.deps.client.stopServer(user, record.name, { remove: false });
      await this.release(record);
    });
  }

  async start(record: NotebookRecord, caller: NotebookCaller): Promise<void> {
    await this.mutate('start', record, caller, async user => {
      const { cluster, namespace } = record;
      const { gpus, gpuResource, flavor } = record.spec;
      // Starting again spends GPUs like a create: the same check, held.
      const held =
        gpus > 0
          ? await this.deps.reservations.hold(
              { cluster, namespace },
              {
                holder: { kind: 'notebook', name: record.name },
                gpus,
                gpuResource,
              },
              quotas =>
                this.placement.checkRestart({ cluster, namespace }, quotas, {
                  gpus,
                  gpuResource,
                  ...(flavor ? { flavor } : {}),
                }),
              error => error,
            )
          : undefined;
      await whileHeld(held?.hold, async () => {
        const server = (await this.deps.client.getUser(user))?.servers?.[
          record.name
        ];
        await this.deps.client.startServer(
          user,
          record.name,
          server?.user_options ?? {},
        );
      });
    });
  }

  async delete(record: NotebookRecord, caller: NotebookCaller): Promise<void> {
    await this.mutate('delete', record, caller, async user => {
      await this.deps.client.stopServer(user, record.name, { remove: true });
      await this.deps.store.markDeleted(record.id);
      await this.release(record);
    });
  }

  private release(record: NotebookRecord) {
    return this.deps.reservations.releaseNotebook(
      record.cluster,
      record.namespace,
      record.name,
    );
  }

  /**
   * The spawn progress of a notebook its creator asked for, as JupyterHub
   * streams it, with the ready event's URL made the public one.
   */
  async *progress(
    record: NotebookRecord,
    caller: NotebookCaller,
    signal: AbortSignal,
  ): AsyncGenerator<NotebookProgressEvent> {
    if (record.createdBy !== caller.userRef) {
      throw new NotAllowedError(
        `notebook ${record.name} is ${record.createdBy}'s; only its creator follows its start`,
      );
    }
    const user = hubUserOf(record.createdBy);
    for await (const event of this.deps.client.progress(
      user,
      record.name,
      signal,
    )) {
      yield {
        ...(typeof event.progress === 'number'
          ? { progress: event.progress }
          : {}),
        ...(event.message ? { message: event.message } : {}),
        ...(event.ready ? { ready: true, url: this.openUrl(record) } : {}),
        ...(event.failed ? { failed: true } : {}),
      };
    }
  }

  private async mutate(
    action: 'stop' | 'start' | 'delete',
    record: NotebookRecord,
    caller: NotebookCaller,
    run: (hubUser: string) => Promise<void>,
  ): Promise<void> {
    await manageNotebook(
      this.deps,
      action,
      record,
      caller,
      () => run(hubUserOf(record.createdBy)),
      { backend: 'jupyterhub' },
    );
  }

  /** JupyterLab of the notebook on JupyterHub's public URL. */
  openUrl(record: NotebookRecord): string {
    const user = encodeURIComponent(hubUserOf(record.createdBy));
    return `${this.deps.config.publicUrl}/user/${user}/${record.name}/lab`;
  }

  private view(
    record: NotebookRecord,
    state: { phase: NotebookPhase; message?: string },
  ): Notebook {
    return {
      ...toNotebook(record, undefined, state),
      url: this.openUrl(record),
    };
  }
}

/** A notebook's phase from its named server in JupyterHub's user model. */
function stateOf(server: HubServer | undefined): {
  phase: NotebookPhase;
  message?: string;
} {
  if (!server) {
    return {
      phase: 'Failed',
      message: 'its JupyterHub server no longer exists',
    };
  }
  if (server.pending === 'spawn') {
    return { phase: 'Pending', message: 'spawning on JupyterHub' };
  }
  if (server.pending === 'stop') {
    return { phase: 'Pending', message: 'stopping on JupyterHub' };
  }
  if (server.ready) return { phase: 'Running' };
  return { phase: 'Stopped' };
}
