import {
  AuthService,
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  GPU_QUOTA_KIND,
  GpuQuotaEntityV1alpha1,
  ML_API_VERSION,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';

/** Annotation naming the Kubernetes object a provided GpuQuota mirrors. */
export const ANNOTATION_QUOTA_SOURCE = 'mlplatform.io/quota-source';

/** @public */
export interface GpuQuotaEntityProviderOptions {
  /** The ML backend, called with this module's own service credentials. */
  ml: MlService;
  auth: AuthService;
  logger: LoggerService;
  taskRunner: SchedulerServiceTaskRunner;
  /** Owner for quotas whose namespace names no team; such quotas are skipped when absent. */
  defaultOwner?: string;
}

/**
 * Keeps `GpuQuota` entities in step with the GPU quotas the ML backend reads
 * from the clusters (`GET /api/ml/quotas`): one entity per namespace quota,
 * owned by the team the namespace is labelled with.
 *
 * A cluster that does not answer keeps its last known entities; until every
 * cluster has answered once, nothing is removed.
 *
 * @public
 */
export class GpuQuotaEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly lastGood = new Map<string, NamespaceGpuQuota[]>();

  constructor(private readonly options: GpuQuotaEntityProviderOptions) {}

  getProviderName(): string {
    return 'ml-gpu-quotas';
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.taskRunner.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        try {
          await this.refresh();
        } catch (error) {
          this.options.logger.warn(
            `GPU quota provider: refresh failed: ${(error as Error).message}`,
          );
        }
      },
    });
  }

  /**
   * Reads the quotas once and replaces the provider's entities.
   * Returns what it did, for logs and tests.
   */
  async refresh(): Promise<{
    applied: boolean;
    entities: number;
    unavailable: string[];
  }> {
    if (!this.connection) {
      throw new Error('GPU quota provider: not connected');
    }
    const { ml, auth } = this.options;
    const response = await ml.getQuotas(
      {},
      { credentials: await auth.getOwnServiceCredentials() },
    );
    const unavailable: string[] = [];
    for (const cluster of response.clusters) {
      if (cluster.available) {
        this.lastGood.set(
          cluster.name,
          response.quotas.filter(q => q.cluster === cluster.name),
        );
      } else {
        unavailable.push(cluster.name);
      }
    }
    const unknown = unavailable.filter(c => !this.lastGood.has(c));
    if (unknown.length > 0) {
      this.options.logger.warn(
        `GPU quota provider: cluster(s) ${unknown.join(
          ', ',
        )} never answered yet; keeping the catalog's GpuQuota entities as they are`,
      );
      return { applied: false, entities: 0, unavailable };
    }
    const configured = new Set(response.clusters.map(c => c.name));
    const quotas = [...this.lastGood.entries()]
      .filter(([cluster]) => configured.has(cluster))
      .flatMap(([, qs]) => qs);
    const entities = toEntities(quotas, this.options.defaultOwner, skipped =>
      this.options.logger.warn(
        `GPU quota provider: ${skipped} has no team label or annotation and no defaultOwner is configured; skipped`,
      ),
    );
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({
        entity,
        locationKey: `${this.getProviderName()}:${entity.spec.cluster}`,
      })),
    });
    if (unavailable.length > 0) {
      this.options.logger.warn(
        `GPU quota provider: ${unavailable.join(
          ', ',
        )} unavailable; kept their last known quotas`,
      );
    }
    return { applied: true, entities: entities.length, unavailable };
  }
}

/**
 * The entity name of a quota: `<namespace>-gpu-quota`, made unique with the
 * cluster and the quota's own name when a namespace appears more than once.
 */
function entityNames(quotas: NamespaceGpuQuota[]): string[] {
  const count = (key: (q: NamespaceGpuQuota) => string) => {
    const counts = new Map<string, number>();
    for (const q of quotas) counts.set(key(q), (counts.get(key(q)) ?? 0) + 1);
    return (q: NamespaceGpuQuota) => counts.get(key(q)) ?? 0;
  };
  const perNamespace = count(q => q.namespace);
  const perCluster = count(q => `${q.cluster}/${q.namespace}`);
  return quotas.map(q => {
    const parts = [q.namespace];
    if (perNamespace(q) > 1) parts.push(q.cluster);
    if (perCluster(q) > 1) parts.push(q.name);
    parts.push('gpu-quota');
    return entityName(parts.join('-'));
  });
}

function entityName(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9._-]+/g, '-');
  if (cleaned.length <= 63) return cleaned;
  // Keep names within the catalog's 63 characters, still unique.
  let hash = 0;
  for (const c of raw) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  const suffix = (hash >>> 0).toString(36);
  return `${cleaned
    .slice(0, 62 - suffix.length)
    .replace(/[-._]+$/, '')}-${suffix}`;
}

/** Maps the backend's quotas to GpuQuota entities. */
export function toEntities(
  quotas: NamespaceGpuQuota[],
  defaultOwner: string | undefined,
  onSkipped: (what: string) => void = () => {},
): GpuQuotaEntityV1alpha1[] {
  const withGpus = quotas.filter(q => q.resources.length > 0);
  const names = entityNames(withGpus);
  const entities: GpuQuotaEntityV1alpha1[] = [];
  withGpus.forEach((q, i) => {
    const owner = q.team ?? defaultOwner;
    const where = `${q.cluster}/${q.namespace}/${q.name}`;
    if (!owner) {
      onSkipped(`namespace ${q.namespace} on ${q.cluster}`);
      return;
    }
    const gpus: Record<string, number> = {};
    const borrowing: Record<string, number> = {};
    for (const r of q.resources) {
      gpus[r.resource] = (gpus[r.resource] ?? 0) + r.hard;
      if (r.borrowingLimit !== undefined) {
        borrowing[r.resource] = (borrowing[r.resource] ?? 0) + r.borrowingLimit;
      }
    }
    const location = `ml-gpu-quotas:${q.cluster}/${q.namespace}`;
    const entity: GpuQuotaEntityV1alpha1 = {
      apiVersion: ML_API_VERSION,
      kind: GPU_QUOTA_KIND,
      metadata: {
        name: names[i],
        title: `${q.namespace} on ${q.cluster}`,
        description:
          q.source === 'kueue'
            ? `Kueue ClusterQueue ${q.clusterQueue ?? q.name} (LocalQueue ${
                q.localQueue ?? '-'
              }) of namespace ${q.namespace} on ${
                q.cluster
              }, read from the cluster.`
            : `ResourceQuota ${q.name} of namespace ${q.namespace} on ${q.cluster}, read from the cluster.`,
        annotations: {
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          [ANNOTATION_QUOTA_SOURCE]: where,
        },
      },
      spec: {
        owner,
        cluster: q.cluster,
        namespace: q.namespace,
        source:
          q.source === 'kueue'
            ? {
                type: 'kueue',
                clusterQueue: q.clusterQueue ?? q.name,
                ...(q.localQueue ? { localQueue: q.localQueue } : {}),
              }
            : { type: 'resourcequota', resourceQuota: q.name },
        limits: { gpus },
        ...(Object.keys(borrowing).length > 0
          ? { borrowingLimit: { gpus: borrowing } }
          : {}),
      },
    };
    entities.push(entity);
  });
  return entities;
}
