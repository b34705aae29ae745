import { PermissionsService } from '@backstage/backend-plugin-api';
import { ConflictError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import { gpuQuotaResourceRef } from '../../permissions/register';
import {
  notebookExists,
  NotebookRecord,
  NotebookStore,
} from '../../database/NotebookStore';
import { MlAuditedAction, MlAuditor } from '../audit/MlAuditor';
import { toBackstageError } from './NotebookObjects';
import {
  NotebookPlacement,
  NotebookTarget,
  OwnedNamespace,
} from './NotebookPlacement';
import { GpuHold, GpuReservations } from './GpuReservations';
import type { NotebookCaller } from './NotebookService';
import { QuotaService } from './QuotaService';

/**
 * The audit target of a notebook, whichever backend runs it.
 *
 * @internal
 */
export const notebookTarget = (
  cluster: string,
  namespace: string,
  name: string,
) => `notebook:${cluster}/${namespace}/${name}`;

/**
 * Asks the permission policy about a team's namespace; returns the error to
 * refuse with, naming the team when the caller is not a member of it. The
 * Kubernetes and the JupyterHub notebooks refuse in the same words.
 *
 * @internal
 */
export async function notebookRefusal(
  permissions: PermissionsService,
  permission: ResourcePermission,
  caller: NotebookCaller,
  where: { cluster: string; namespace: string; team?: string },
  action: string,
): Promise<NotAllowedError | undefined> {
  const [decision] = await permissions.authorize(
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

/**
 * Stops, starts or deletes a stored notebook the audited way both backends
 * share: `ml.notebook.<action>` audited, `ml.notebook.manage` asked of the
 * policy with the namespace's owning team (read from the cluster, the stored
 * team when the cluster does not say), then `run`; a ConflictError from it
 * is a refusal, anything else a failure. The cluster's quotas are read anew
 * afterwards.
 *
 * @internal
 */
export async function manageNotebook(
  deps: {
    audit: MlAuditor;
    permissions: PermissionsService;
    placement: NotebookPlacement;
    quotas: QuotaService;
  },
  action: 'stop' | 'start' | 'delete' | 'idle-policy',
  record: NotebookRecord,
  caller: NotebookCaller,
  run: () => Promise<void>,
  /** More audit details, e.g. the backend. */
  details: Record<string, unknown> = {},
): Promise<void> {
  const { cluster, namespace, name } = record;
  const verb = action === 'idle-policy' ? 'set the idle policy of' : action;
  const audit = await deps.audit.begin({
    eventId: `notebook-${action}`,
    action: `ml.notebook.${action}`,
    actor: caller.userRef,
    targetRef: notebookTarget(cluster, namespace, name),
    details: { cluster, namespace, name, ...details, ...caller.auditDetails },
    ...(caller.request ? { request: caller.request } : {}),
  });
  // The policy's condition needs the namespace's owner from the cluster.
  let team: string | undefined;
  try {
    team = await deps.placement.teamOf(
      cluster,
      namespace,
      `cannot ${verb} notebook ${name}`,
    );
  } catch (e) {
    await audit.failed({ error: e as Error });
    throw e;
  }
  const denied = await notebookRefusal(
    deps.permissions,
    mlNotebookManagePermission,
    caller,
    { cluster, namespace, team: team ?? record.team },
    `may not ${verb} notebook ${name} in namespace ${namespace} on ${cluster}`,
  );
  if (denied) {
    await audit.refused({ error: denied });
    throw denied;
  }
  try {
    await run();
  } catch (e) {
    const error = toBackstageError(e);
    await audit.finish(error instanceof ConflictError ? 'refused' : 'failed', {
      error,
    });
    throw error;
  }
  deps.quotas.invalidate(cluster);
  await audit.succeeded();
}

/**
 * A notebook create that passed the checks both backends make, with its
 * audit under way and the GPUs it spends held (when it asks for any).
 *
 * @internal
 */
export interface NotebookAdmission {
  audit: MlAuditedAction;
  /** Runs a step whose error is a refusal: audited, then thrown. */
  orRefuse: <T>(step: () => T | Promise<T>) => Promise<T>;
  owned: OwnedNamespace;
  flavor?: string;
  queue?: string;
  hold?: GpuHold;
}

/**
 * The start of a notebook create on either backend: `ml.notebook.create`
 * audited, the namespace's owning team and quotas, the policy's decision,
 * `check` (a backend's own refusal, e.g. an image JupyterHub does not
 * offer), no notebook of that name yet, and the flavor and queue, with the
 * GPUs promised under the cluster's lock (at most free + borrowable,
 * whatever the concurrency). Every refusal is audited as one.
 *
 * @internal
 */
export async function admitNotebook(
  deps: {
    audit: MlAuditor;
    permissions: PermissionsService;
    placement: NotebookPlacement;
    reservations: GpuReservations;
    store: NotebookStore;
  },
  request: ParsedCreateNotebookRequest,
  where: NotebookTarget,
  caller: NotebookCaller,
  options: {
    /** More audit details, e.g. the backend. */
    details?: Record<string, unknown>;
    check?: () => void;
  } = {},
): Promise<NotebookAdmission> {
  const { cluster, namespace, quotaRef } = where;
  const { name, gpus, gpuResource } = request;
  const audit = await deps.audit.begin({
    eventId: 'notebook-create',
    action: mlNotebookCreatePermission.name,
    actor: caller.userRef,
    targetRef: notebookTarget(cluster, namespace, name),
    details: {
      cluster,
      namespace,
      name,
      gpus,
      gpuResource,
      ...options.details,
      ...(request.flavor ? { flavor: request.flavor } : {}),
      ...(quotaRef ? { quota: quotaRef } : {}),
    },
    ...(caller.request ? { request: caller.request } : {}),
  });
  const refuse = async (error: Error): Promise<never> => {
    await audit.refused({ error });
    throw error;
  };
  const orRefuse = async <T>(step: () => T | Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (e) {
      return refuse(e as Error);
    }
  };

  const owned = await orRefuse(() =>
    deps.placement.ownedNamespace(where, `cannot create notebook ${name}`),
  );
  const denied = await notebookRefusal(
    deps.permissions,
    mlNotebookCreatePermission,
    caller,
    { cluster, namespace, team: owned.team },
    `may not create notebooks in namespace ${namespace} on ${cluster}`,
  );
  if (denied) return refuse(denied);
  if (options.check) await orRefuse(options.check);
  if (await deps.store.get(cluster, namespace, name)) {
    return refuse(notebookExists({ cluster, namespace, name }));
  }
  const { flavor, queue, hold } = await orRefuse<{
    flavor?: string;
    queue?: string;
    hold?: GpuHold;
  }>(() =>
    gpus > 0
      ? deps.reservations.hold(
          where,
          { holder: { kind: 'notebook', name }, gpus, gpuResource },
          quotas => deps.placement.flavorAndQueue(where, quotas, request),
          error => `cannot create notebook ${name}: ${error}`,
        )
      : deps.placement.flavorAndQueue(where, owned.quotas, request),
  );
  return { audit, orRefuse, owned, flavor, queue, hold };
}
