import {
  Notebook,
  NotebookProgressEvent,
  NotebooksResponse,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import { NotFoundError } from '@backstage/errors';
import { MlAuditor } from '../audit/MlAuditor';
import { NotebookPlacement } from '../kubernetes/NotebookPlacement';
import { GpuReservations } from '../kubernetes/GpuReservations';
import { NotebookCaller, NotebookService } from '../kubernetes/NotebookService';
import type { JupyterHubServerStates } from '../kubernetes/IdleNotebooks';
import { JupyterHubClient } from './JupyterHubClient';
import { JupyterHubConfig, jupyterHubServes } from './jupyterhubConfig';
import { JupyterHubNotebooks } from './JupyterHubNotebooks';

type NotebookServiceDeps = ConstructorParameters<typeof NotebookService>[0];

/**
 * The notebook service with a second backend: namespaces that
 * `ml.jupyterhub.serves` lists get JupyterHub named servers
 * ({@link JupyterHubNotebooks}), every other one the Kubernetes objects of
 * {@link NotebookService}, behind the same methods, so the routes and the
 * MCP actions need not know which backend runs a notebook.
 *
 * @internal
 */
export class NotebookServiceWithJupyterHub extends NotebookService {
  private readonly hub: JupyterHubNotebooks;
  private readonly where: NotebookPlacement;

  private readonly client: JupyterHubClient;

  constructor(
    private readonly base: NotebookServiceDeps,
    private readonly hubConfig: JupyterHubConfig,
    audit: MlAuditor,
  ) {
    super(base);
    this.client = new JupyterHubClient(hubConfig);
    this.where = new NotebookPlacement(base);
    this.hub = new JupyterHubNotebooks({
      ...base,
      audit,
      config: hubConfig,
      client: this.client,
      placement: this.where,
      reservations: new GpuReservations({
        ...base,
        times: base.reservationTimes,
      }),
    });
  }

  override async create(
    request: ParsedCreateNotebookRequest,
    caller: NotebookCaller,
  ): Promise<Notebook> {
    const target = await this.where.resolveTarget(request, caller.credentials);
    if (!jupyterHubServes(this.hubConfig, target.cluster, target.namespace)) {
      return super.create(request, caller);
    }
    return this.hub.create(request, target, caller);
  }

  override async list(caller: NotebookCaller): Promise<NotebooksResponse> {
    const [base, records] = await Promise.all([
      super.list(caller),
      this.base.store.list({ createdBy: caller.userRef }),
    ]);
    const onHub = records.filter(r => r.spec.backend === 'jupyterhub');
    if (onHub.length === 0) return base;
    // The base service reads every stored notebook from its cluster; the
    // JupyterHub ones are replaced by what JupyterHub says about them.
    const hub = await this.hub.list(onHub);
    const key = (n: { cluster: string; namespace: string; name: string }) =>
      `${n.cluster}/${n.namespace}/${n.name}`;
    const fromHub = new Map(hub.items.map(n => [key(n), n]));
    return {
      items: base.items.map(n => fromHub.get(key(n)) ?? n),
      unavailableClusters: [
        ...new Set([...base.unavailableClusters, ...hub.unavailable]),
      ].sort(),
    };
  }

  override async stop(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    return this.lifecycle('stop', cluster, namespace, name, caller);
  }

  override async start(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    return this.lifecycle('start', cluster, namespace, name, caller);
  }

  override async delete(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    return this.lifecycle('delete', cluster, namespace, name, caller);
  }

  /** JupyterHub's spawn progress of a notebook (404 for other backends). */
  async *progress(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
    signal: AbortSignal,
  ): AsyncGenerator<NotebookProgressEvent> {
    const record = await this.onHub(cluster, namespace, name);
    if (!record) {
      throw new NotFoundError(
        `no JupyterHub notebook ${name} in ${namespace} on ${cluster} was created through the portal`,
      );
    }
    yield* this.hub.progress(record, caller, signal);
  }

  /** What JupyterHub says about its servers, for the idle detection. */
  get hubServers(): JupyterHubServerStates {
    return this.hub;
  }

  close() {
    this.client.close();
  }

  /**
   * Stops, starts or deletes a notebook where it runs: on JupyterHub when it
   * was created there, as Kubernetes objects otherwise.
   */
  private async lifecycle(
    action: 'stop' | 'start' | 'delete',
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    const record = await this.onHub(cluster, namespace, name);
    if (!record) return super[action](cluster, namespace, name, caller);
    return this.hub[action](record, caller);
  }

  private async onHub(cluster: string, namespace: string, name: string) {
    const record = await this.base.store.get(cluster, namespace, name);
    return record?.spec.backend === 'jupyterhub' ? record : undefined;
  }
}

/**
 * The notebook service the plugin runs: with JupyterHub when
 * `ml.jupyterhub` is configured.
 *
 * @internal
 */
export function createNotebookService(
  deps: NotebookServiceDeps,
  options: { jupyterhub?: JupyterHubConfig; audit: MlAuditor },
): NotebookService & { close?(): void; hubServers?: JupyterHubServerStates } {
  return options.jupyterhub
    ? new NotebookServiceWithJupyterHub(deps, options.jupyterhub, options.audit)
    : new NotebookService(deps);
}
