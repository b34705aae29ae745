import {
  ConflictError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ANNOTATION_SERVING_STABLE_VERSION,
  ANNOTATION_SERVING_VERSION,
  GPU_RESOURCE_PATTERN,
  parseDeviceCount,
  ModelEntityV1alpha1,
  ModelRolloutRequest,
  ServingPlace,
} from '@mlplatform/plugin-ml-common';
import { ClusterService } from '../kubernetes/ClusterService';
import { KubeApiError } from '../kubernetes/KubeClient';
import { toBackstageError } from '../kubernetes/NotebookObjects';
import { requireModelVersion } from '../modelEntities';
import { RegistryService } from '../registry/RegistryService';
import { DeploymentService } from './DeploymentService';
import {
  ANNOTATION_STABLE_REPLICAS,
  buildCanaryDeployment,
  canaryNameOf,
  LABEL_REVISION,
  storageUriOfTemplate,
} from './deploymentManifests';
import {
  canaryOf,
  deploymentPlace,
  ServingObject,
  versionOf,
} from './servingPlaces';
import { storageUriFor } from './storageUri';

const RESOURCE = 'deployments.apps';

/** The path of a Deployment. @internal */
export function deploymentPath(namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`;
}

/**
 * Replicas of the stable Deployment and its canary for a canary share: the
 * canary gets `percent` of the stable's replicas (rounded, at least one
 * when the share is above 0), the stable keeps the rest (at least one below
 * 100 %), so the capacity stays as it was where the numbers allow.
 *
 * @internal
 */
export function canarySplit(
  stableReplicas: number,
  percent: number,
): { stable: number; canary: number } {
  const canary =
    percent > 0 ? Math.max(1, Math.round((percent * stableReplicas) / 100)) : 0;
  const stable = percent >= 100 ? 0 : Math.max(1, stableReplicas - canary);
  return { stable, canary };
}

/** GPUs per replica of a pod template: its containers' limits of one device resource. */
function gpusPerReplica(template: any): { gpus: number; resource: string } {
  const containers: any[] = template?.spec?.containers ?? [];
  for (const c of containers) {
    const resource = Object.keys({
      ...c.resources?.limits,
      ...c.resources?.requests,
    }).find(r => GPU_RESOURCE_PATTERN.test(r));
    if (!resource) continue;
    const gpus = containers.reduce(
      (n, x) =>
        n +
        parseDeviceCount(
          x.resources?.limits?.[resource] ?? x.resources?.requests?.[resource],
        ),
      0,
    );
    return { gpus, resource };
  }
  return { gpus: 0, resource: 'nvidia.com/gpu' };
}

/**
 * The governed rollout of a Model served by a plain Deployment (+ Service),
 * where no KServe splits the traffic: the canary of version N is a second
 * Deployment `<name>-canary` whose pods the same Service selects, and the
 * share is the share of the replicas (a Service balances per endpoint).
 *
 * - canary: the canary Deployment is created with its GPUs held as a
 *   deploy's, then the stable one scaled to the rest (one PATCH with the
 *   resourceVersion read); when that fails the canary is deleted again.
 * - promote: the stable Deployment gets the canary's pod spec and version
 *   and its replicas back, then the canary is deleted.
 * - roll back: the canary is deleted, then the stable's replicas restored;
 *   its pod spec is not touched.
 *
 * @internal
 */
export class DeploymentRollout {
  constructor(
    private readonly deps: {
      clusters: ClusterService;
      deployments: DeploymentService;
      registryService: RegistryService;
    },
  ) {}

  /** Checks and applies one action on `stable`; records what it learns in `details`. */
  async apply(options: {
    entity: ModelEntityV1alpha1;
    entityRef: string;
    request: ModelRolloutRequest;
    stable: ServingObject;
    actor: string;
    details: Record<string, unknown>;
  }): Promise<ServingPlace> {
    const { request, stable, details } = options;
    const { cluster, namespace, name } = request;
    const where = `Deployment ${namespace}/${name} on ${cluster}`;
    const owner = canaryOf(stable);
    if (owner) {
      throw new InputError(
        `Invalid body: name: ${where} is the canary of ${owner}; roll out ${owner}`,
      );
    }
    const canaryName = canaryNameOf(name);
    const canary = await this.read(cluster, namespace, canaryName);
    const stableVersion = versionOf(stable);
    if (request.action === 'canary') {
      if (canary) {
        throw new InputError(
          `Invalid body: name: a canary (${canaryName}, version ${
            versionOf(canary) ?? 'unknown'
          }) already runs on ${where}; promote it or roll it back first`,
        );
      }
      await this.startCanary({ ...options, request, stableVersion, where });
      details.fromVersion = stableVersion ?? null;
    } else {
      if (!canary || canaryOf(canary) !== name) {
        throw new InputError(
          `No canary runs on ${where} (no Deployment ${canaryName} labelled as its canary): nothing to ${request.action}`,
        );
      }
      details.fromVersion = versionOf(canary) ?? null;
      details.stableVersion = stableVersion ?? null;
      const restored = Number(
        canary.metadata.annotations?.[ANNOTATION_STABLE_REPLICAS],
      );
      const replicas =
        Number.isInteger(restored) && restored >= 0
          ? restored
          : (stable.spec?.replicas ?? 1) + (canary.spec?.replicas ?? 0);
      if (request.action === 'promote') {
        await this.promote(stable, canary, replicas, cluster);
      } else {
        await this.rollback(stable, canary, replicas, cluster);
      }
    }
    const [fresh, freshCanary] = await Promise.all([
      this.read(cluster, namespace, name).catch(() => undefined),
      this.read(cluster, namespace, canaryName).catch(() => undefined),
    ]);
    return deploymentPlace(cluster, fresh ?? stable, freshCanary);
  }

  private async startCanary(options: {
    entity: ModelEntityV1alpha1;
    entityRef: string;
    request: ModelRolloutRequest & { action: 'canary' };
    stable: ServingObject;
    actor: string;
    stableVersion?: string;
    where: string;
  }) {
    const { request, stable, stableVersion, where } = options;
    const { cluster, namespace, name, version, percent } = request;
    const { registryRef } = await requireModelVersion(
      this.deps.registryService,
      options.entity,
      options.entityRef,
      version,
    );
    if (version === stableVersion) {
      throw new InputError(
        `Invalid body: version: ${version} is already the stable version of ${where}`,
      );
    }
    if (canaryNameOf(name).length > 63) {
      throw new InputError(
        `Invalid body: name: ${name} is too long for a canary: ${canaryNameOf(
          name,
        )} must be a label value of at most 63 characters`,
      );
    }
    const template = stable.spec?.template;
    const current = storageUriOfTemplate(template);
    if (!current) {
      throw new InputError(
        `${where} has no STORAGE_URI environment variable to point at ${version}`,
      );
    }
    const stableReplicas = stable.spec?.replicas ?? 1;
    if (stableReplicas === 0) {
      throw new InputError(
        `${where} is scaled to 0 replicas: no traffic to split`,
      );
    }
    const split = canarySplit(stableReplicas, percent);
    const manifest = buildCanaryDeployment({
      stable,
      version,
      storageUri: storageUriFor(current, stableVersion, registryRef, version),
      ...(stableVersion ? { stableVersion } : {}),
      replicas: split.canary,
      stableReplicas,
      deployedBy: options.actor,
    });
    const { resource: _resource, ...body } = manifest;
    const gpus = gpusPerReplica(template);
    const client = this.deps.clusters.client(cluster);
    const object = `${namespace}/${manifest.metadata.name}`;
    await this.deps.deployments.withGpusHeld(
      {
        cluster,
        namespace,
        holder: manifest.metadata.name,
        perReplica: gpus.gpus,
        replicas: split.canary,
        gpuResource: gpus.resource,
      },
      async () => {
        await client
          .request(
            'POST',
            `/apis/apps/v1/namespaces/${namespace}/deployments`,
            { verb: 'create', resource: RESOURCE, object },
            { body },
          )
          .catch(e => {
            // Another canary of this place was started since it was read.
            const error = toBackstageError(e);
            if (error instanceof ConflictError) {
              throw new ConflictError(
                `a canary (${manifest.metadata.name}) was started on ${where} at the same time; promote it or roll it back first (${error.message})`,
              );
            }
            throw e;
          });
        try {
          await this.patch(cluster, stable, {
            spec: { replicas: split.stable },
          });
        } catch (e) {
          const left = await this.remove(
            cluster,
            namespace,
            manifest.metadata.name,
          );
          (e as Error).message = left
            ? `${
                (e as Error).message
              }; the canary ${object} could not be deleted again: ${left}`
            : `${
                (e as Error).message
              }; the canary ${object} was deleted again, nothing changed`;
          throw e;
        }
      },
    );
  }

  /** The stable Deployment runs the canary's pods; then the canary goes. */
  private async promote(
    stable: ServingObject,
    canary: ServingObject,
    replicas: number,
    cluster: string,
  ) {
    const version = versionOf(canary);
    const stableLabels = stable.spec?.template?.metadata?.labels ?? {};
    const canarySpec = canary.spec?.template?.spec ?? {};
    await this.patch(cluster, stable, {
      metadata: {
        annotations: {
          [ANNOTATION_SERVING_VERSION]: version ?? null,
          [ANNOTATION_SERVING_STABLE_VERSION]: null,
        },
      },
      spec: {
        replicas,
        template: {
          metadata: {
            labels: {
              [LABEL_REVISION]: stable.metadata.name,
              ...(stableLabels[ANNOTATION_SERVING_VERSION] !== undefined
                ? { [ANNOTATION_SERVING_VERSION]: version ?? null }
                : {}),
            },
          },
          // a merge patch replaces lists whole: the canary's containers
          spec: {
            containers: canarySpec.containers,
            ...(canarySpec.initContainers
              ? { initContainers: canarySpec.initContainers }
              : {}),
          },
        },
      },
    });
    const left = await this.remove(
      cluster,
      stable.metadata.namespace ?? 'default',
      canary.metadata.name,
    );
    if (left) {
      throw new ServiceUnavailableError(
        `${stable.metadata.name} now runs ${version}, but its canary ${canary.metadata.name} could not be deleted: ${left}; promote again to delete it`,
      );
    }
  }

  /** The canary goes first (its traffic with it); then the stable's replicas come back. */
  private async rollback(
    stable: ServingObject,
    canary: ServingObject,
    replicas: number,
    cluster: string,
  ) {
    const namespace = stable.metadata.namespace ?? 'default';
    const left = await this.remove(cluster, namespace, canary.metadata.name);
    if (left) {
      throw new ServiceUnavailableError(
        `the canary ${canary.metadata.name} could not be deleted: ${left}; nothing changed`,
      );
    }
    try {
      await this.patch(cluster, stable, { spec: { replicas } });
    } catch (e) {
      (e as Error).message = `the canary ${
        canary.metadata.name
      } is deleted, but ${stable.metadata.name} stays at ${
        stable.spec?.replicas
      } replicas instead of ${replicas}: ${(e as Error).message}`;
      throw e;
    }
  }

  private read(cluster: string, namespace: string, name: string) {
    return this.deps.clusters.getOptional<ServingObject>(
      cluster,
      deploymentPath(namespace, name),
      { verb: 'get', resource: RESOURCE, object: `${namespace}/${name}` },
    );
  }

  /** One merge PATCH carrying the resourceVersion the decision was made on. */
  private patch(cluster: string, d: ServingObject, patch: any) {
    const namespace = d.metadata.namespace ?? 'default';
    return this.deps.clusters.client(cluster).request<ServingObject>(
      'PATCH',
      deploymentPath(namespace, d.metadata.name),
      {
        verb: 'patch',
        resource: RESOURCE,
        object: `${namespace}/${d.metadata.name}`,
      },
      {
        body: {
          ...patch,
          metadata: {
            ...patch.metadata,
            resourceVersion: d.metadata.resourceVersion,
          },
        },
        contentType: 'application/merge-patch+json',
      },
    );
  }

  /** Deletes a Deployment; what went wrong, or undefined (404 counts as gone). */
  private async remove(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<string | undefined> {
    try {
      await this.deps.clusters
        .client(cluster)
        .request(
          'DELETE',
          `${deploymentPath(namespace, name)}?propagationPolicy=Background`,
          {
            verb: 'delete',
            resource: RESOURCE,
            object: `${namespace}/${name}`,
          },
        );
      return undefined;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      return (e as Error).message;
    }
  }
}
