import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { ClusterConfig, KubernetesSettings } from '../../config';
import { KubeApiError, KubeClient, KubeRequestIntent } from './KubeClient';
import { kubeConfigFor } from './kubeConfig';
import { KubeObject } from './quotas';

/** What the cluster clients use of `ml.kubernetes`. @internal */
export type ClusterSettings = Omit<
  KubernetesSettings,
  'creationTimeoutSeconds'
>;

/** One configured cluster: its config and client, or why it has none. @internal */
export interface ClusterHandle {
  config: ClusterConfig;
  client?: KubeClient;
  /** Set when the client could not be built (e.g. no in-cluster service account). */
  error?: string;
}

/** What the cluster's API server serves, from discovery. @internal */
export interface ClusterApis {
  /** Kueue version to use (`v1beta2` preferred, else `v1beta1`); absent without Kueue. */
  kueue?: string;
  /** Version serving Kueue `cohorts`, when any does. */
  kueueCohorts?: string;
  /** True when `kubeflow.org/v1` serves `notebooks`. */
  kubeflowNotebooks: boolean;
}

/** @internal */
export interface KubeList<T = KubeObject> {
  items: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const KUEUE_GROUP = 'kueue.x-k8s.io';

/**
 * The configured clusters and one client each. Discovery results are cached
 * for the refresh period, so a quota refresh costs at most two discovery GETs.
 *
 * @internal
 */
export class ClusterService {
  private readonly handles = new Map<string, ClusterHandle>();
  private readonly discovery = new Map<
    string,
    { at: number; apis: Promise<ClusterApis> }
  >();

  static create(options: {
    clusters: ClusterConfig[];
    settings: ClusterSettings;
    logger?: LoggerService;
  }): ClusterService {
    return new ClusterService(
      options.clusters,
      options.settings,
      options.logger,
    );
  }

  private constructor(
    clusters: ClusterConfig[],
    readonly settings: ClusterSettings,
    logger?: LoggerService,
  ) {
    for (const config of clusters) {
      try {
        const client = new KubeClient(
          config.name,
          kubeConfigFor(config),
          settings.requestTimeoutMs,
        );
        this.handles.set(config.name, { config, client });
      } catch (e) {
        const error = `cluster ${config.name} cannot be configured: ${
          (e as Error).message
        }`;
        logger?.warn(error);
        this.handles.set(config.name, { config, error });
      }
    }
  }

  names(): string[] {
    return [...this.handles.keys()];
  }

  /** The cluster, or a NotFoundError listing the known clusters. */
  get(name: string): ClusterHandle {
    const handle = this.handles.get(name);
    if (!handle) {
      const known = this.names();
      throw new NotFoundError(
        `unknown cluster "${name}"; known clusters: ${
          known.length
            ? known.join(', ')
            : 'none (ml.kubernetes.clusters is empty)'
        }`,
      );
    }
    return handle;
  }

  /** The cluster's client, or a KubeApiError saying why there is none. */
  client(name: string): KubeClient {
    const handle = this.get(name);
    if (!handle.client) throw new KubeApiError(handle.error!, name);
    return handle.client;
  }

  /** GET that maps 404 to undefined, for discovery and optional objects. */
  async getOptional<T>(
    cluster: string,
    path: string,
    intent: KubeRequestIntent,
  ): Promise<T | undefined> {
    try {
      return await this.client(cluster).request<T>('GET', path, intent);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Which optional APIs (Kueue, Kubeflow notebooks) the cluster serves. */
  apis(
    cluster: string,
    options: { fresh?: boolean } = {},
  ): Promise<ClusterApis> {
    const cached = this.discovery.get(cluster);
    const ttl = this.settings.refreshSeconds * 1000;
    if (cached && !options.fresh && Date.now() - cached.at < ttl) {
      return cached.apis;
    }
    const apis = this.discover(cluster);
    this.discovery.set(cluster, { at: Date.now(), apis });
    apis.catch(() => this.discovery.delete(cluster));
    return apis;
  }

  private async discover(cluster: string): Promise<ClusterApis> {
    const [kueueGroup, kubeflow] = await Promise.all([
      this.getOptional<{ versions?: Array<{ version: string }> }>(
        cluster,
        `/apis/${KUEUE_GROUP}`,
        { verb: 'discover', resource: KUEUE_GROUP },
      ),
      this.getOptional<{ resources?: Array<{ name: string }> }>(
        cluster,
        '/apis/kubeflow.org/v1',
        { verb: 'discover', resource: 'kubeflow.org/v1' },
      ),
    ]);
    const versions = new Set((kueueGroup?.versions ?? []).map(v => v.version));
    const kueue = ['v1beta2', 'v1beta1'].find(v => versions.has(v));
    let kueueCohorts: string | undefined;
    if (kueue) {
      // Cohort objects arrived in v1alpha1 and moved to v1beta2.
      const candidates = [kueue, 'v1alpha1'].filter(v => versions.has(v));
      for (const v of candidates) {
        const list = await this.getOptional<{
          resources?: Array<{ name: string }>;
        }>(cluster, `/apis/${KUEUE_GROUP}/${v}`, {
          verb: 'discover',
          resource: `${KUEUE_GROUP}/${v}`,
        });
        if (list?.resources?.some(r => r.name === 'cohorts')) {
          kueueCohorts = v;
          break;
        }
      }
    }
    return {
      ...(kueue ? { kueue } : {}),
      ...(kueueCohorts ? { kueueCohorts } : {}),
      kubeflowNotebooks: !!kubeflow?.resources?.some(
        r => r.name === 'notebooks',
      ),
    };
  }

  /** Lists a resource across all namespaces (or cluster-scoped) in one call. */
  list<T = KubeObject>(
    cluster: string,
    path: string,
    resource: string,
  ): Promise<KubeList<T>> {
    return this.client(cluster).request<KubeList<T>>('GET', path, {
      verb: 'list',
      resource,
    });
  }

  close(): void {
    for (const h of this.handles.values()) h.client?.close();
  }
}

export { KUEUE_GROUP };
