import {
  AuthService,
  PermissionsRegistryService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  isModelEntity,
  isPipelineEntity,
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  mlModelPromotePermission,
  mlModelRolloutPermission,
  mlModelDeployPermission,
  mlPipelineRunPermission,
  mlAuditReadPermission,
  mlLogsReadPermission,
} from '@mlplatform/plugin-ml-common';
import { QuotaService } from '../services/kubernetes/QuotaService';
import {
  MlGpuQuotaResource,
  mlGpuQuotaPermissionResourceRef,
  mlModelPermissionResourceRef,
  mlPipelinePermissionResourceRef,
} from './resources';
import { mlPermissionRules } from './rules';

/** `<cluster>/<namespace>`: the resource ref of a GPU quota. @internal */
export function gpuQuotaResourceRef(cluster: string, namespace: string) {
  return `${cluster}/${namespace}`;
}

/**
 * The GPU quota a resource ref names, with its owning team read from the
 * cluster (cached). Unknown when the cluster does not answer or has no such
 * namespace, so conditions on it evaluate to a denial.
 *
 * @internal
 */
export async function loadGpuQuotaResource(
  quotas: QuotaService,
  ref: string,
): Promise<MlGpuQuotaResource | undefined> {
  const slash = ref.indexOf('/');
  if (slash <= 0) return undefined;
  const cluster = ref.slice(0, slash);
  const namespace = ref.slice(slash + 1);
  const snapshot = await quotas.clusterQuotas(cluster);
  if (!snapshot.availability.available || !snapshot.namespaces.has(namespace)) {
    return undefined;
  }
  const ownerRef = quotas.teamOf(snapshot, namespace);
  return { cluster, namespace, ...(ownerRef ? { ownerRef } : {}) };
}

/**
 * Registers the ML permissions, resource types and rules, so that policies
 * can return conditional decisions on them and the permission backend can
 * have the ML backend evaluate those against a quota, Model or Pipeline.
 *
 * @internal
 */
export function registerMlPermissions(options: {
  permissionsRegistry: PermissionsRegistryService;
  quotas: QuotaService;
  catalog: CatalogService;
  auth: AuthService;
}): void {
  const { permissionsRegistry, quotas, catalog, auth } = options;

  // The policy already decided; the rules only need the owner, so read it
  // as the plugin rather than through the user's catalog visibility.
  const loadEntities = async (
    refs: string[],
    is: (e: Entity) => boolean,
  ): Promise<Array<Entity | undefined>> => {
    const { items } = await catalog.getEntitiesByRefs(
      { entityRefs: refs },
      { credentials: await auth.getOwnServiceCredentials() },
    );
    return items.map(e => (e && is(e) ? e : undefined));
  };

  permissionsRegistry.addResourceType({
    resourceRef: mlGpuQuotaPermissionResourceRef,
    permissions: [
      mlNotebookCreatePermission,
      mlNotebookManagePermission,
      // logs are read per namespace, under the same owning-team rules
      mlLogsReadPermission,
      // a deployment spends the namespace's GPUs, like a notebook
      mlModelDeployPermission,
    ],
    rules: Object.values(mlPermissionRules.gpuQuota),
    getResources: refs =>
      Promise.all(refs.map(ref => loadGpuQuotaResource(quotas, ref))),
  });
  permissionsRegistry.addResourceType({
    resourceRef: mlModelPermissionResourceRef,
    permissions: [mlModelPromotePermission, mlModelRolloutPermission],
    rules: Object.values(mlPermissionRules.model),
    getResources: refs => loadEntities(refs, isModelEntity),
  });
  permissionsRegistry.addResourceType({
    resourceRef: mlPipelinePermissionResourceRef,
    permissions: [mlPipelineRunPermission],
    rules: Object.values(mlPermissionRules.pipeline),
    getResources: refs => loadEntities(refs, isPipelineEntity),
  });
  permissionsRegistry.addPermissions([mlAuditReadPermission]);
}
