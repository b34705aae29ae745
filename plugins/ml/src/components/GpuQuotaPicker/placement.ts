import { ApiHolder, identityApiRef } from '@backstage/frontend-plugin-api';
import {
  checkMlInput,
  fitGpus,
  gpuRequestSchema,
  GpuQuotasResponse,
  MAX_NOTEBOOK_GPUS,
  modelReplicasSchema,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { quotasOfTeams } from '../shared/quotas';

/**
 * What the GpuQuotaPicker writes: exactly the keys of the templates'
 * `placement` parameter.
 *
 * @public
 */
export interface GpuPlacement {
  cluster?: string;
  namespace?: string;
  team?: string;
  gpus?: number;
  gpuResource?: string;
  flavor?: string;
}

/** Most GPUs the picker offers: the API's limit for one notebook. */
export const MAX_GPUS = MAX_NOTEBOOK_GPUS;

/** GPU resources a quota offers, in order of first appearance. */
export function resourcesOf(quota: NamespaceGpuQuota | undefined): string[] {
  return [...new Set((quota?.resources ?? []).map(r => r.resource))];
}

/** Kueue flavors of one resource in a quota. */
export function flavorsOf(
  quota: NamespaceGpuQuota | undefined,
  resource: string | undefined,
): string[] {
  return (quota?.resources ?? [])
    .filter(r => r.resource === resource && r.flavor !== undefined)
    .map(r => r.flavor!);
}

/** Only the schema's keys, leaving out the optional ones that are unset. */
export function toPlacement(p: GpuPlacement): GpuPlacement {
  const out: GpuPlacement = {};
  if (p.cluster !== undefined) out.cluster = p.cluster;
  if (p.namespace !== undefined) out.namespace = p.namespace;
  if (p.team !== undefined) out.team = p.team;
  if (p.gpus !== undefined) out.gpus = p.gpus;
  if (p.gpuResource !== undefined) out.gpuResource = p.gpuResource;
  if (p.flavor !== undefined && p.flavor !== '') out.flavor = p.flavor;
  return out;
}

/** Problems that need no numbers: nothing chosen, a bad count. */
export function checkPlacementShape(p: GpuPlacement | undefined): string[] {
  const errors: string[] = [];
  if (!p?.cluster || !p?.namespace) {
    errors.push("Choose one of your teams' GPU quotas");
  }
  const gpus = p?.gpus;
  // The count rule is the API's (placement schema); the sentence is the field's.
  if (!gpuRequestSchema.shape.gpus.safeParse(gpus).success) {
    errors.push(`GPUs must be a whole number from 0 to ${MAX_GPUS}`);
  } else if (gpus! > 0 && !p?.gpuResource) {
    errors.push('Choose which GPUs to use');
  }
  return errors;
}

/**
 * Checks a placement against the given quotas with ml-common's `fitGpus`:
 * the backend's check and sentence.
 */
export function checkPlacementFits(
  p: GpuPlacement,
  response: GpuQuotasResponse,
): string[] {
  const cluster = response.clusters.find(c => c.name === p.cluster);
  if (cluster && !cluster.available) {
    return [`${cluster.name} unavailable: ${cluster.error ?? 'no answer'}`];
  }
  const gpus = p.gpus ?? 0;
  if (gpus === 0 || !p.gpuResource) return [];
  const fit = fitGpus(response.quotas, {
    cluster: p.cluster!,
    namespace: p.namespace!,
    gpus,
    gpuResource: p.gpuResource,
    ...(p.flavor ? { flavor: p.flavor } : {}),
  });
  return fit.fits ? [] : [fit.shortfall!];
}

/**
 * The replica bounds of a deployment form, when the placement's GPUs are per
 * replica: the values of the form's `minReplicas` / `maxReplicas` fields.
 */
export interface ReplicaBounds {
  minReplicas?: unknown;
  maxReplicas?: unknown;
}

/**
 * The field's validation, run by the scaffolder on submit: checks the shape,
 * then asks the backend for fresh numbers of the chosen namespace. With
 * `replicas` (the "Deploy a model" form), the bounds are checked with the
 * deployment request's own schema and GPUs × maximum replicas must fit, as
 * the backend checks them.
 */
export async function validatePlacement(
  data: GpuPlacement | undefined,
  apiHolder: ApiHolder,
  replicas?: ReplicaBounds,
): Promise<string[]> {
  const shape = checkPlacementShape(data);
  if (shape.length > 0 || !data) return shape;
  let perReplica: { gpus: number; replicas: number } | undefined;
  if (replicas) {
    const bounds = checkMlInput(modelReplicasSchema, replicas);
    if (!bounds.success) {
      return bounds.issues.map(i => `${i.path}: ${i.message}`);
    }
    perReplica = { gpus: data.gpus ?? 0, replicas: bounds.data.maxReplicas };
  }
  const api = apiHolder.get(mlApiRef);
  if (!api) return ['The ML API is not available in this app'];
  let response: GpuQuotasResponse;
  try {
    response = await api.getQuotas({
      cluster: data.cluster,
      namespace: data.namespace,
    });
  } catch (e) {
    return [`Could not check the GPU quota: ${serverMessage(e)}`];
  }
  const identityApi = apiHolder.get(identityApiRef);
  if (identityApi) {
    const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
    const mine = quotasOfTeams(response, ownershipEntityRefs).filter(
      q => q.cluster === data.cluster && q.namespace === data.namespace,
    );
    const cluster = response.clusters.find(c => c.name === data.cluster);
    if (mine.length === 0 && (!cluster || cluster.available)) {
      return [
        `you are not a member of a team with a GPU quota in ${data.namespace} on ${data.cluster}`,
      ];
    }
  }
  if (!perReplica) return checkPlacementFits(data, response);
  const { gpus, replicas: max } = perReplica;
  return checkPlacementFits({ ...data, gpus: gpus * max }, response).map(e =>
    e.startsWith('asked for')
      ? `${gpus} GPUs per replica × ${max} replicas: ${e}`
      : e,
  );
}
