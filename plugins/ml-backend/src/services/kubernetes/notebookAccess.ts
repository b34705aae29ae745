import { PermissionsService } from '@backstage/backend-plugin-api';
import { ConflictError, NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import { mlNotebookManagePermission } from '@mlplatform/plugin-ml-common';
import { gpuQuotaResourceRef } from '../../permissions/register';
import { NotebookRecord } from '../../database/NotebookStore';
import { MlAuditor } from '../audit/MlAuditor';
import { toBackstageError } from './NotebookObjects';
import { NotebookPlacement } from './NotebookPlacement';
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
  action: 'stop' | 'start' | 'delete',
  record: NotebookRecord,
  caller: NotebookCaller,
  run: () => Promise<void>,
  /** More audit details, e.g. the backend. */
  details: Record<string, unknown> = {},
): Promise<void> {
  const { cluster, namespace, name } = record;
  const audit = await deps.audit.begin({
    eventId: `notebook-${action}`,
    action: `ml.notebook.${action}`,
    actor: caller.userRef,
    targetRef: notebookTarget(cluster, namespace, name),
    details: { cluster, namespace, name, ...details },
    ...(caller.request ? { request: caller.request } : {}),
  });
  // The policy's condition needs the namespace's owner from the cluster.
  let team: string | undefined;
  try {
    team = await deps.placement.teamOf(
      cluster,
      namespace,
      `cannot ${action} notebook ${name}`,
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
    `may not ${action} notebook ${name} in namespace ${namespace} on ${cluster}`,
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
