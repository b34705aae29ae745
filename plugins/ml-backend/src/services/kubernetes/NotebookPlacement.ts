import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  fitGpus,
  isGpuQuotaEntity,
  NamespaceGpuQuota,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import { ClusterService } from './ClusterService';
import { QuotaService } from './QuotaService';

/** Where a notebook runs, as its request says. @internal */
export interface NotebookTarget {
  cluster: string;
  namespace: string;
  /** The GpuQuota entity the request named, as a full ref. */
  quotaRef?: string;
  /** The LocalQueue that GpuQuota names. */
  localQueue?: string;
}

/** A team's namespace, read fresh from its cluster. @internal */
export interface OwnedNamespace {
  /** The owning team's group ref. */
  team: string;
  /** The namespace's GPU quotas. */
  quotas: NamespaceGpuQuota[];
}

/**
 * Where a notebook goes and whether it may spend the GPUs there: the
 * cluster and namespace (from a GpuQuota entity or given), the owning team,
 * the free + borrowable check ({@link fitGpus}, the rule every caller uses)
 * and the Kueue flavor and queue. It only reads; the notebook service decides
 * what to do with a refusal (audit it, throw it), and GpuReservations
 * holds the GPUs a passed check promises.
 *
 * @internal
 */
export class NotebookPlacement {
  constructor(
    private readonly deps: {
      clusters: ClusterService;
      quotas: QuotaService;
      catalog?: CatalogService;
    },
  ) {}

  /** The cluster and namespace a request names, directly or by GpuQuota. */
  async resolveTarget(
    request: ParsedCreateNotebookRequest,
    credentials: BackstageCredentials,
  ): Promise<NotebookTarget> {
    if (request.quota) {
      return this.targetOfQuota(request, credentials);
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
   * The owning team and quotas of a namespace, read fresh (a create spends
   * GPUs, so a cached snapshot would do). Throws when the cluster does not
   * answer, the namespace does not exist, or no team owns it. `cannot`
   * begins the message of an unavailable cluster, e.g. `cannot create
   * notebook x`.
   */
  async ownedNamespace(
    target: Pick<NotebookTarget, 'cluster' | 'namespace'>,
    cannot: string,
  ): Promise<OwnedNamespace> {
    const { cluster, namespace } = target;
    const { clusters, quotas } = this.deps;
    const snapshot = await quotas.clusterQuotas(cluster, { fresh: true });
    if (!snapshot.availability.available) {
      throw new ServiceUnavailableError(
        `${cannot}: ${snapshot.availability.error}`,
      );
    }
    if (!snapshot.namespaces.has(namespace)) {
      throw new NotFoundError(
        `namespace ${namespace} does not exist on cluster ${cluster}`,
      );
    }
    const team = quotas.teamOf(snapshot, namespace);
    if (!team) {
      throw new InputError(
        `namespace ${namespace} on ${cluster} has no owning team (label ${clusters.settings.teamLabel} or annotation mlplatform.io/owner), so its GPUs cannot be spent from the portal`,
      );
    }
    return {
      team,
      quotas: snapshot.quotas.filter(q => q.namespace === namespace),
    };
  }

  /**
   * The flavor and queue a notebook gets, after checking that its GPUs fit.
   * The queue: the one the GpuQuota names, else the LocalQueue whose
   * ClusterQueue has the chosen flavor, else any LocalQueue of the namespace.
   */
  flavorAndQueue(
    target: NotebookTarget,
    quotas: NamespaceGpuQuota[],
    request: Pick<
      ParsedCreateNotebookRequest,
      'gpus' | 'gpuResource' | 'flavor'
    >,
  ): { flavor?: string; queue?: string } {
    const { gpus, gpuResource } = request;
    let flavor = request.flavor;
    if (gpus > 0) {
      flavor = this.fit(target, quotas, { ...request, flavor }).flavor;
    }
    const kueueEntries = quotas.filter(q => q.source === 'kueue');
    const queue =
      target.localQueue ??
      kueueEntries.find(q =>
        q.resources.some(
          r => r.resource === gpuResource && r.flavor === flavor,
        ),
      )?.localQueue ??
      kueueEntries[0]?.localQueue;
    return {
      ...(flavor ? { flavor } : {}),
      ...(queue ? { queue } : {}),
    };
  }

  /**
   * Before a stopped notebook starts again: do its GPUs still fit the given
   * quotas? Every shortfall is a conflict: the notebook once fitted.
   */
  checkRestart(
    target: { cluster: string; namespace: string },
    quotas: NamespaceGpuQuota[],
    spec: { gpus: number; gpuResource: string; flavor?: string },
  ): { flavor?: string } {
    const fit = fitGpus(quotas, { ...target, ...spec });
    if (!fit.fits) throw new ConflictError(fit.shortfall);
    const flavor = spec.flavor ?? fit.availability?.flavor;
    return flavor ? { flavor } : {};
  }

  /**
   * The team that owns a namespace, for the permission policy's condition;
   * throws when the cluster does not answer.
   */
  async teamOf(
    cluster: string,
    namespace: string,
    cannot: string,
  ): Promise<string | undefined> {
    const snapshot = await this.deps.quotas.clusterQuotas(cluster);
    if (!snapshot.availability.available) {
      throw new ServiceUnavailableError(
        `${cannot}: ${snapshot.availability.error}`,
      );
    }
    return this.deps.quotas.teamOf(snapshot, namespace);
  }

  /** A request the quota cannot give is a conflict; one it has no such GPUs for, bad input. */
  private fit(
    target: NotebookTarget,
    quotas: NamespaceGpuQuota[],
    request: { gpus: number; gpuResource: string; flavor?: string },
  ): { flavor?: string } {
    const fit = fitGpus(quotas, { ...target, ...request });
    if (!fit.fits) {
      throw fit.availability
        ? new ConflictError(fit.shortfall)
        : new InputError(fit.shortfall);
    }
    return { flavor: fit.availability?.flavor };
  }

  private async targetOfQuota(
    request: ParsedCreateNotebookRequest,
    credentials: BackstageCredentials,
  ): Promise<NotebookTarget> {
    let ref: string;
    try {
      ref = stringifyEntityRef(
        parseEntityRef(request.quota!, {
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
      credentials,
    });
    if (!entity)
      throw new NotFoundError(`GpuQuota ${ref} is not in the catalog`);
    if (!isGpuQuotaEntity(entity)) {
      throw new InputError(`${ref} is a ${entity.kind}, not a GpuQuota`);
    }
    const { cluster, namespace } = entity.spec;
    if (
      (request.cluster && request.cluster !== cluster) ||
      (request.namespace && request.namespace !== namespace)
    ) {
      throw new InputError(
        `quota ${ref} is for ${namespace} on ${cluster}, not ${
          request.namespace ?? namespace
        } on ${request.cluster ?? cluster}`,
      );
    }
    this.deps.clusters.get(cluster);
    return {
      cluster,
      namespace,
      quotaRef: ref,
      localQueue: entity.spec.source.localQueue,
    };
  }
}
