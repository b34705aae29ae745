import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  CreateNotebookRequest,
  Notebook,
  NotebookPhase,
  NotebooksResponse,
  availableGpus,
  describeGpuShortfall,
  isGpuQuotaEntity,
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { fillNotebookUrl } from '../../config';
import { gpuQuotaResourceRef } from '../../permissions/register';
import { AuditStore } from '../../database/AuditStore';
import { NotebookRecord, NotebookStore } from '../../database/NotebookStore';
import { ClusterService } from './ClusterService';
import { KubeApiError } from './KubeClient';
import {
  BuiltManifest,
  KUBEFLOW_STOPPED,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  buildNotebookObjects,
  collectionPath,
  objectPath,
  workspaceClaimName,
} from './manifests';
import { QuotaService } from './QuotaService';
import { KubeObject } from './quotas';

/** Who is calling, as the router learned it. @internal */
export interface NotebookCaller {
  userRef: string;
  /** The user and the groups they belong to (userInfo's ownershipEntityRefs). */
  ownership: string[];
  credentials: BackstageCredentials;
  request?: Request;
}

const DEFAULT_GPU_RESOURCE = 'nvidia.com/gpu';
const DEFAULT_STORAGE = '10Gi';

/** Turns a failed Kubernetes call into the matching Backstage error. @internal */
export function toBackstageError(e: unknown): Error {
  if (!(e instanceof KubeApiError)) return e as Error;
  if (e.status === 404) return new NotFoundError(e.message);
  if (e.status === 409) return new ConflictError(e.message);
  if (e.status === 400 || e.status === 422) return new InputError(e.message);
  return new ServiceUnavailableError(e.message);
}

const target = (cluster: string, namespace: string, name: string) =>
  `notebook:${cluster}/${namespace}/${name}`;

/**
 * Notebooks on the configured clusters: a Kubeflow Notebook where the
 * cluster serves `kubeflow.org/v1` notebooks, else a StatefulSet + headless
 * Service + PVC. Every create spends a team's GPU quota, so it asks the
 * permission policy (`ml.notebook.create` on `<cluster>/<namespace>`) and
 * checks the free + borrowable GPUs first; stop / start / delete need
 * `ml.notebook.manage` there. Every mutation is recorded in the audit store
 * (action = the permission name, `ml.notebook.<verb>` for the managing ones)
 * and sent to Backstage's auditor.
 *
 * @internal
 */
export class NotebookService {
  constructor(
    private readonly deps: {
      clusters: ClusterService;
      quotas: QuotaService;
      store: NotebookStore;
      auditStore: AuditStore;
      permissions: PermissionsService;
      auditor?: AuditorService;
      catalog?: CatalogService;
      logger?: LoggerService;
    },
  ) {}

  async create(
    request: CreateNotebookRequest,
    caller: NotebookCaller,
  ): Promise<Notebook> {
    const { cluster, namespace, quotaRef, localQueue } =
      await this.resolveTarget(request, caller);
    const gpuResource = request.gpuResource ?? DEFAULT_GPU_RESOURCE;
    const details = {
      cluster,
      namespace,
      name: request.name,
      gpus: request.gpus,
      gpuResource,
      ...(request.flavor ? { flavor: request.flavor } : {}),
      ...(quotaRef ? { quota: quotaRef } : {}),
    };
    const audit = await this.auditEvent('notebook-create', caller, details);
    const ref = target(cluster, namespace, request.name);
    const refuse = async (error: Error): Promise<never> => {
      await this.deps.auditStore.record({
        actor: caller.userRef,
        action: mlNotebookCreatePermission.name,
        targetRef: ref,
        outcome: 'refused',
        details,
        error: error.message,
      });
      await audit?.fail({ error });
      throw error;
    };

    const { clusters, quotas, store } = this.deps;
    const handle = clusters.get(cluster);
    const snapshot = await quotas.clusterQuotas(cluster, { fresh: true });
    if (!snapshot.availability.available) {
      return refuse(
        new ServiceUnavailableError(
          `cannot create notebook ${request.name}: ${snapshot.availability.error}`,
        ),
      );
    }
    if (!snapshot.namespaces.has(namespace)) {
      return refuse(
        new NotFoundError(
          `namespace ${namespace} does not exist on cluster ${cluster}`,
        ),
      );
    }
    const team = quotas.teamOf(snapshot, namespace);
    if (!team) {
      return refuse(
        new InputError(
          `namespace ${namespace} on ${cluster} has no owning team (label ${clusters.settings.teamLabel} or annotation mlplatform.io/owner), so its GPUs cannot be spent from the portal`,
        ),
      );
    }
    const denied = await this.authorize(
      mlNotebookCreatePermission,
      caller,
      { cluster, namespace, team },
      `may not create notebooks in namespace ${namespace} on ${cluster}`,
    );
    if (denied) return refuse(denied);
    if (await store.get(cluster, namespace, request.name)) {
      return refuse(
        new ConflictError(
          `a notebook named ${request.name} already exists in ${namespace} on ${cluster}`,
        ),
      );
    }
    const nsQuotas = snapshot.quotas.filter(q => q.namespace === namespace);
    let flavor = request.flavor;
    if (request.gpus > 0) {
      const availability = availableGpus(nsQuotas, gpuResource, request.flavor);
      if (!availability || availability.available < request.gpus) {
        const message = describeGpuShortfall({
          gpus: request.gpus,
          resource: gpuResource,
          namespace,
          cluster,
          availability,
        });
        return refuse(
          availability ? new ConflictError(message) : new InputError(message),
        );
      }
      flavor = availability.flavor;
    }
    // The queue: the one the GpuQuota names, else the LocalQueue whose
    // ClusterQueue has the chosen flavor, else any LocalQueue of the namespace.
    const kueueEntries = nsQuotas.filter(q => q.source === 'kueue');
    const queue =
      localQueue ??
      kueueEntries.find(q =>
        q.resources.some(
          r => r.resource === gpuResource && r.flavor === flavor,
        ),
      )?.localQueue ??
      kueueEntries[0]?.localQueue;

    let apis;
    try {
      apis = await clusters.apis(cluster);
    } catch (e) {
      return refuse(toBackstageError(e));
    }
    const backend = apis.kubeflowNotebooks ? 'kubeflow' : 'statefulset';
    const spec = {
      image: request.image,
      cpu: request.cpu,
      memory: request.memory,
      storage: request.storage ?? DEFAULT_STORAGE,
      gpus: request.gpus,
      gpuResource,
      ...(flavor ? { flavor } : {}),
      backend,
      ...(queue ? { queue } : {}),
      ...(quotaRef ? { quota: quotaRef } : {}),
    } as const;
    let objects: BuiltManifest[];
    try {
      objects = buildNotebookObjects(
        { name: request.name, namespace, createdBy: caller.userRef, ...spec },
        backend,
      );
    } catch (e) {
      return refuse(new InputError((e as Error).message));
    }

    const client = clusters.client(cluster);
    const created: BuiltManifest[] = [];
    try {
      for (const object of objects) {
        const { resource, ...body } = object;
        await client.request(
          'POST',
          collectionPath(object),
          {
            verb: 'create',
            resource,
            object: `${namespace}/${object.metadata.name}`,
          },
          { body },
        );
        created.push(object);
      }
    } catch (e) {
      const rollback = await this.deleteObjects(cluster, created.reverse());
      const error = toBackstageError(e);
      const message = rollback.length
        ? `${error.message}; rollback left behind: ${rollback.join('; ')}`
        : `${error.message}; nothing was left on the cluster`;
      await this.deps.auditStore.record({
        actor: caller.userRef,
        action: mlNotebookCreatePermission.name,
        targetRef: ref,
        outcome: 'failed',
        details: {
          ...details,
          rolledBack: created.map(o => `${o.kind}/${o.metadata.name}`),
        },
        error: message,
      });
      await audit?.fail({ error });
      error.message = message;
      throw error;
    }
    quotas.invalidate(cluster);
    const record = await store.add({
      cluster,
      namespace,
      name: request.name,
      createdBy: caller.userRef,
      team,
      spec,
    });
    await this.deps.auditStore.record({
      actor: caller.userRef,
      action: mlNotebookCreatePermission.name,
      targetRef: ref,
      outcome: 'succeeded',
      details: { ...details, backend, ...(queue ? { queue } : {}) },
    });
    await audit?.success({ meta: { backend } });
    return this.toNotebook(record, handle.config.notebookUrl, {
      phase: 'Pending',
      message: 'just created',
    });
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
          const live = await this.liveObjects(cluster, rows);
          const pending = (
            await this.deps.quotas.clusterQuotas(cluster)
          ).quotas.flatMap(q => q.pending);
          for (const r of rows) {
            items.push(
              this.toNotebook(r, notebookUrl, phaseOf(r, live, pending)),
            );
          }
        } catch (e) {
          unavailable.push(cluster);
          for (const r of rows) {
            items.push(
              this.toNotebook(r, notebookUrl, {
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
    await this.mutate(
      'stop',
      cluster,
      namespace,
      name,
      caller,
      async record => {
        await this.setRunning(record, false);
      },
    );
  }

  async start(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    await this.mutate(
      'start',
      cluster,
      namespace,
      name,
      caller,
      async record => {
        const { gpus, gpuResource, flavor } = record.spec;
        if (gpus > 0) {
          const snapshot = await this.deps.quotas.clusterQuotas(cluster, {
            fresh: true,
          });
          if (!snapshot.availability.available) {
            throw new ServiceUnavailableError(snapshot.availability.error!);
          }
          const availability = availableGpus(
            snapshot.quotas.filter(q => q.namespace === namespace),
            gpuResource,
            flavor,
          );
          if (!availability || availability.available < gpus) {
            throw new ConflictError(
              describeGpuShortfall({
                gpus,
                resource: gpuResource,
                namespace,
                cluster,
                availability,
              }),
            );
          }
        }
        await this.setRunning(record, true);
      },
    );
  }

  async delete(
    cluster: string,
    namespace: string,
    name: string,
    caller: NotebookCaller,
  ): Promise<void> {
    await this.mutate(
      'delete',
      cluster,
      namespace,
      name,
      caller,
      async record => {
        const objects = this.objectsOf(record);
        const left = await this.deleteObjects(cluster, objects.reverse());
        if (left.length) {
          throw new ServiceUnavailableError(
            `could not delete every object of notebook ${name}: ${left.join(
              '; ',
            )}`,
          );
        }
        await this.deps.store.markDeleted(record.id);
      },
    );
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
    const ref = target(cluster, namespace, name);
    const details = { cluster, namespace, name };
    const audit = await this.auditEvent(`notebook-${action}`, caller, details);
    const record_ = async (
      outcome: 'succeeded' | 'failed' | 'refused',
      error?: Error,
    ) => {
      await this.deps.auditStore.record({
        actor: caller.userRef,
        action: `ml.notebook.${action}`,
        targetRef: ref,
        outcome,
        details,
        ...(error ? { error: error.message } : {}),
      });
      if (error) await audit?.fail({ error });
      else await audit?.success();
    };
    const snapshot = await this.deps.quotas.clusterQuotas(cluster);
    // The policy's condition needs the namespace's owner from the cluster.
    if (!snapshot.availability.available) {
      const error = new ServiceUnavailableError(
        `cannot ${action} notebook ${name}: ${snapshot.availability.error}`,
      );
      await record_('failed', error);
      throw error;
    }
    const denied = await this.authorize(
      mlNotebookManagePermission,
      caller,
      {
        cluster,
        namespace,
        team: this.deps.quotas.teamOf(snapshot, namespace) ?? record.team,
      },
      `may not ${action} notebook ${name} in namespace ${namespace} on ${cluster}`,
    );
    if (denied) {
      await record_('refused', denied);
      throw denied;
    }
    try {
      await run(record);
    } catch (e) {
      const error = toBackstageError(e);
      await record_(
        error instanceof ConflictError ? 'refused' : 'failed',
        error,
      );
      throw error;
    }
    this.deps.quotas.invalidate(cluster);
    await record_('succeeded');
  }

  private async setRunning(
    record: NotebookRecord,
    running: boolean,
  ): Promise<void> {
    const client = this.deps.clusters.client(record.cluster);
    const [workload] = this.objectsOf(record).slice(-1);
    const patch =
      record.spec.backend === 'kubeflow'
        ? {
            metadata: {
              annotations: {
                [KUBEFLOW_STOPPED]: running ? null : new Date().toISOString(),
              },
            },
          }
        : { spec: { replicas: running ? 1 : 0 } };
    await client.request(
      'PATCH',
      objectPath(workload),
      {
        verb: 'patch',
        resource: workload.resource,
        object: `${record.namespace}/${record.name}`,
      },
      { body: patch, contentType: 'application/merge-patch+json' },
    );
  }

  /** Just enough of each object to address it (the workload last). */
  private objectsOf(record: NotebookRecord): BuiltManifest[] {
    const meta = (name: string) => ({ name, namespace: record.namespace });
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      resource: 'persistentvolumeclaims',
      metadata: meta(workspaceClaimName(record.name)),
    };
    if (record.spec.backend === 'kubeflow') {
      return [
        pvc,
        {
          apiVersion: 'kubeflow.org/v1',
          kind: 'Notebook',
          resource: 'notebooks',
          metadata: meta(record.name),
        },
      ];
    }
    return [
      pvc,
      {
        apiVersion: 'v1',
        kind: 'Service',
        resource: 'services',
        metadata: meta(record.name),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        resource: 'statefulsets',
        metadata: meta(record.name),
      },
    ];
  }

  /** Deletes objects in order; returns what could not be deleted (404 counts as gone). */
  private async deleteObjects(
    cluster: string,
    objects: BuiltManifest[],
  ): Promise<string[]> {
    const left: string[] = [];
    const client = this.deps.clusters.client(cluster);
    for (const o of objects) {
      try {
        await client.request(
          'DELETE',
          `${objectPath(o)}?propagationPolicy=Background`,
          {
            verb: 'delete',
            resource: o.resource,
            object: `${o.metadata.namespace}/${o.metadata.name}`,
          },
        );
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) continue;
        left.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
        this.deps.logger?.error(`ML notebooks: ${(e as Error).message}`);
      }
    }
    return left;
  }

  /** The workloads of a cluster's notebooks, one list call per kind in use. */
  private async liveObjects(
    cluster: string,
    rows: NotebookRecord[],
  ): Promise<Map<string, KubeObject>> {
    const selector = `labelSelector=${encodeURIComponent(
      `${LABEL_MANAGED_BY}=${MANAGED_BY}`,
    )}`;
    const kinds = new Set(rows.map(r => r.spec.backend));
    const lists = await Promise.all(
      [...kinds].map(async backend =>
        backend === 'kubeflow'
          ? {
              kind: 'Notebook',
              list: await this.deps.clusters.list(
                cluster,
                `/apis/kubeflow.org/v1/notebooks?${selector}`,
                'notebooks.kubeflow.org',
              ),
            }
          : {
              kind: 'StatefulSet',
              list: await this.deps.clusters.list(
                cluster,
                `/apis/apps/v1/statefulsets?${selector}`,
                'statefulsets',
              ),
            },
      ),
    );
    // Items of a list response carry no kind; key them by the list's.
    const live = new Map<string, KubeObject>();
    for (const { kind, list } of lists) {
      for (const o of list.items) {
        live.set(`${kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o);
      }
    }
    return live;
  }

  private async resolveTarget(
    request: CreateNotebookRequest,
    caller: NotebookCaller,
  ): Promise<{
    cluster: string;
    namespace: string;
    quotaRef?: string;
    localQueue?: string;
  }> {
    if (request.quota) {
      let ref: string;
      try {
        ref = stringifyEntityRef(
          parseEntityRef(request.quota, {
            defaultKind: 'gpuquota',
            defaultNamespace: 'default',
          }),
        );
      } catch {
        throw new InputError(`quota "${request.quota}" is not an entity ref`);
      }
      if (!this.deps.catalog) {
        throw new InputError(
          'quota refs need the catalog; pass cluster and namespace instead',
        );
      }
      const entity = await this.deps.catalog.getEntityByRef(ref, {
        credentials: caller.credentials,
      });
      if (!entity)
        throw new NotFoundError(`GpuQuota ${ref} is not in the catalog`);
      if (!isGpuQuotaEntity(entity)) {
        throw new InputError(`${ref} is a ${entity.kind}, not a GpuQuota`);
      }
      if (
        (request.cluster && request.cluster !== entity.spec.cluster) ||
        (request.namespace && request.namespace !== entity.spec.namespace)
      ) {
        throw new InputError(
          `quota ${ref} is for ${entity.spec.namespace} on ${
            entity.spec.cluster
          }, not ${request.namespace ?? entity.spec.namespace} on ${
            request.cluster ?? entity.spec.cluster
          }`,
        );
      }
      this.deps.clusters.get(entity.spec.cluster);
      return {
        cluster: entity.spec.cluster,
        namespace: entity.spec.namespace,
        quotaRef: ref,
        localQueue: entity.spec.source.localQueue,
      };
    }
    if (!request.cluster || !request.namespace) {
      throw new InputError(
        'say where the notebook runs: quota, or cluster and namespace',
      );
    }
    this.deps.clusters.get(request.cluster);
    return { cluster: request.cluster, namespace: request.namespace };
  }

  /**
   * Asks the permission policy about a team's namespace; returns the error to
   * refuse with, naming the team when the caller is not a member of it.
   */
  private async authorize(
    permission: ResourcePermission,
    caller: NotebookCaller,
    where: { cluster: string; namespace: string; team?: string },
    action: string,
  ): Promise<NotAllowedError | undefined> {
    const [decision] = await this.deps.permissions.authorize(
      [
        {
          permission,
          resourceRef: gpuQuotaResourceRef(where.cluster, where.namespace),
        },
      ],
      { credentials: caller.credentials },
    );
    if (decision.result === AuthorizeResult.ALLOW) return undefined;
    const { cluster, namespace, team } = where;
    if (team && !caller.ownership.includes(team)) {
      return new NotAllowedError(
        `${caller.userRef} is not a member of ${team}, which owns namespace ${namespace} on ${cluster}`,
      );
    }
    return new NotAllowedError(
      `${caller.userRef} ${action}: permission ${permission.name} denied`,
    );
  }

  private async auditEvent(
    eventId: string,
    caller: NotebookCaller,
    meta: Record<string, string | number>,
  ) {
    return this.deps.auditor?.createEvent({
      eventId,
      severityLevel: 'medium',
      ...(caller.request ? { request: caller.request } : {}),
      meta,
    });
  }

  private toNotebook(
    r: NotebookRecord,
    notebookUrl: string | undefined,
    state: { phase: NotebookPhase; message?: string },
  ): Notebook {
    return {
      name: r.name,
      cluster: r.cluster,
      namespace: r.namespace,
      ...(r.team ? { team: r.team } : {}),
      createdBy: r.createdBy,
      image: r.spec.image,
      cpu: r.spec.cpu,
      memory: r.spec.memory,
      storage: r.spec.storage,
      gpus: r.spec.gpus,
      gpuResource: r.spec.gpuResource,
      ...(r.spec.flavor ? { flavor: r.spec.flavor } : {}),
      backend: r.spec.backend,
      ...(r.spec.queue ? { queue: r.spec.queue } : {}),
      phase: state.phase,
      ...(state.message ? { message: state.message } : {}),
      ...(notebookUrl
        ? {
            url: fillNotebookUrl(notebookUrl, {
              namespace: r.namespace,
              name: r.name,
            }),
          }
        : {}),
      createdAt: r.createdAt,
    };
  }
}

/**
 * Running when a replica is ready; Stopped when scaled to 0 (or, for
 * Kubeflow, annotated stopped); otherwise Pending with the reason from a
 * quota FailedCreate event or a pending Kueue workload of the notebook.
 */
function phaseOf(
  r: NotebookRecord,
  live: Map<string, KubeObject>,
  pending: Array<{
    kind: string;
    name: string;
    namespace: string;
    message: string;
  }>,
): { phase: NotebookPhase; message?: string } {
  const kind = r.spec.backend === 'kubeflow' ? 'Notebook' : 'StatefulSet';
  const object = live.get(`${kind}/${r.namespace}/${r.name}`);
  if (!object) {
    return {
      phase: 'Failed',
      message: `its ${kind} no longer exists on ${r.cluster}`,
    };
  }
  const stopped =
    r.spec.backend === 'kubeflow'
      ? object.metadata?.annotations?.[KUBEFLOW_STOPPED] !== undefined
      : object.spec?.replicas === 0;
  if (stopped) return { phase: 'Stopped' };
  if ((object.status?.readyReplicas ?? 0) >= 1) return { phase: 'Running' };
  const pod = `${r.name}-0`;
  // Kueue names a workload after its owner: `statefulset-<name>-<hash>`
  // (StatefulSet integration) or `pod-<name>-0-<hash>` (pod integration).
  const workloadPrefixes = [
    `statefulset-${r.name}-`,
    `pod-${pod}-`,
    `notebook-${r.name}-`,
  ];
  const reason = pending.find(
    p =>
      p.namespace === r.namespace &&
      ((p.kind === 'Pod' && p.name === pod) ||
        (p.kind === 'Workload' &&
          workloadPrefixes.some(prefix => p.name.startsWith(prefix)))),
  );
  const waiting = object.status?.containerState?.waiting;
  return {
    phase: 'Pending',
    message:
      reason?.message ??
      (waiting
        ? `${waiting.reason ?? 'Waiting'}${
            waiting.message ? `: ${waiting.message}` : ''
          }`
        : 'waiting for the notebook pod to become ready'),
  };
}
