/**
 * Types of the ML backend's Kubernetes API: GPU quotas and notebooks.
 * Shared by the backend (which produces them), the frontend (which shows them),
 * the catalog provider and the scaffolder actions. The requests are zod
 * schemas with their types in `schemas/kubernetes.ts`.
 */

/**
 * Extended resource names of whole GPUs and MIG slices, e.g. `nvidia.com/gpu`
 * or `nvidia.com/mig-1g.10gb`.
 *
 * @public
 */
export const GPU_RESOURCE_PATTERN =
  /^nvidia\.com\/(gpu|mig-[0-9]+g\.[0-9]+gb)$/;

/**
 * One GPU resource of a quota, in devices.
 *
 * For a ResourceQuota: `hard` is `requests.<resource>` (or `limits.<resource>`,
 * whichever is tighter), `used` its usage, `borrowable` 0.
 * For Kueue: `hard` is the ClusterQueue's nominal quota for the flavor,
 * `used` the admitted usage, `reserved` the reservation,
 * `borrowable` what the cohort can lend right now, capped by the borrowing limit.
 *
 * @public
 */
export interface GpuResourceQuota {
  /** Extended resource name, e.g. `nvidia.com/gpu`. */
  resource: string;
  /** Kueue ResourceFlavor, e.g. `a100-80gb`; absent for ResourceQuotas. */
  flavor?: string;
  hard: number;
  used: number;
  /** Kueue quota reservation (admitted or reserved workloads). */
  reserved?: number;
  /** `max(0, hard - used)`, less what is `promised`. */
  free: number;
  /** GPUs that can be borrowed from the cohort now (0 when none), less what is promised in the cohort beyond free. */
  borrowable: number;
  /**
   * GPUs promised to notebooks and model deployments being created or
   * started through the portal, which the cluster's figures do not include
   * yet (`used` does not count them); absent when none.
   */
  promised?: number;
  /** Kueue borrowing limit; absent means unlimited within the cohort. */
  borrowingLimit?: number;
}

/**
 * A workload waiting for GPUs, and why it is not admitted.
 *
 * @public
 */
export interface PendingWorkload {
  /** `Workload` (Kueue) or `Pod` (quota-denied or unschedulable). */
  kind: 'Workload' | 'Pod';
  name: string;
  namespace: string;
  /** LocalQueue, for Kueue workloads. */
  queue?: string;
  /** Requested GPUs per resource name. */
  gpus: Record<string, number>;
  /** Short machine reason, e.g. `QuotaReserved=False`, `Pending`. */
  reason: string;
  /** The human message from the condition or event. */
  message: string;
  /** When it started waiting (ISO 8601), when known. */
  since?: string;
  /** Kueue's QuotaReserved condition reason, e.g. `Pending`, `WaitingForQuota`, `Inadmissible`. */
  kueueReason?: string;
  /** ClusterQueue the workload waits in (Kueue). */
  clusterQueue?: string;
  /** 0-based place in its ClusterQueue, from Kueue's visibility API when it answered. */
  positionInClusterQueue?: number;
  /** 0-based place in its LocalQueue, from Kueue's visibility API when it answered. */
  positionInLocalQueue?: number;
  /** Why it waits, in plain words (`describePendingReason`). */
  explanation?: string;
}

/**
 * The GPU quota of one namespace on one cluster.
 *
 * @public
 */
export interface NamespaceGpuQuota {
  cluster: string;
  namespace: string;
  /** Owning team's entity ref, e.g. `group:default/fraud-team`, when known. */
  team?: string;
  source: 'resourcequota' | 'kueue';
  /** ResourceQuota name, or the ClusterQueue name for Kueue. */
  name: string;
  clusterQueue?: string;
  localQueue?: string;
  cohort?: string;
  resources: GpuResourceQuota[];
  pending: PendingWorkload[];
}

/**
 * Whether a cluster answered the last refresh.
 *
 * @public
 */
export interface ClusterAvailability {
  name: string;
  available: boolean;
  /** Why it is unavailable, when it is. */
  error?: string;
  /** When its data was read (ISO 8601). */
  fetchedAt?: string;
  /**
   * Whether Kueue's visibility API gave queue positions in the last refresh:
   * `available`, `absent` (not installed, 404), `forbidden` (403) or
   * `unavailable` (another error); absent without pending Kueue workloads.
   */
  queuePositions?: 'available' | 'absent' | 'forbidden' | 'unavailable';
  /** Things the user should know about this cluster's data, e.g. why positions are missing. */
  notes?: string[];
}

/**
 * Response of `GET /api/ml/quotas[?cluster=&namespace=&team=]`.
 *
 * @public
 */
export interface GpuQuotasResponse {
  clusters: ClusterAvailability[];
  quotas: NamespaceGpuQuota[];
}

/**
 * Lifecycle of a notebook as the portal shows it.
 *
 * @public
 */
export type NotebookPhase =
  | 'Pending'
  | 'Running'
  | 'Stopped'
  | 'Failed'
  | 'Unknown';

/**
 * A notebook created through the portal.
 *
 * @public
 */
export interface Notebook {
  name: string;
  cluster: string;
  namespace: string;
  /** Owning team's entity ref. */
  team?: string;
  /** User entity ref of who created it. */
  createdBy: string;
  image: string;
  cpu: string;
  memory: string;
  storage: string;
  gpus: number;
  gpuResource: string;
  flavor?: string;
  /**
   * `kubeflow` (Notebook CR), `statefulset` (StatefulSet + Service + PVC) or
   * `jupyterhub` (a named server of the creator on the configured JupyterHub).
   */
  backend: 'kubeflow' | 'statefulset' | 'jupyterhub';
  /** Kueue LocalQueue the notebook was queued in. */
  queue?: string;
  phase: NotebookPhase;
  /** Why it is not running, when it is not. */
  message?: string;
  /** Where to open it, when the cluster has a notebook URL configured. */
  url?: string;
  createdAt: string;
}

/**
 * One server-sent event of `GET /api/ml/notebooks/:cluster/:namespace/:name/progress`:
 * JupyterHub's spawn progress, passed on. The stream ends after the event
 * with `ready` (then `url` opens JupyterLab) or `failed`.
 *
 * @public
 */
export interface NotebookProgressEvent {
  /** Percent done, 0-100, when the step says. */
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  /** Where the notebook opens, on the ready event. */
  url?: string;
}

/**
 * Response of `GET /api/ml/notebooks`.
 *
 * @public
 */
export interface NotebooksResponse {
  items: Notebook[];
  /** Clusters that could not be read; their notebooks show phase `Unknown`. */
  unavailableClusters: string[];
}

/**
 * What a namespace's quota can give to one new workload asking for `resource`
 * (and, with Kueue, `flavor`): a workload lands on one flavor, so this is the
 * best single flavor's `free + borrowable`.
 *
 * @public
 */
export interface GpuAvailability {
  resource: string;
  /** The flavor with the most room, or the one asked for. */
  flavor?: string;
  free: number;
  borrowable: number;
  /** `free + borrowable`. */
  available: number;
}

/**
 * Computes {@link GpuAvailability} for a request against the quotas of one
 * namespace. Returns undefined when no quota there names the resource
 * (or the flavor), i.e. the namespace cannot run such a workload.
 *
 * @public
 */
export function availableGpus(
  quotas: NamespaceGpuQuota[],
  resource: string,
  flavor?: string,
): GpuAvailability | undefined {
  let best: GpuAvailability | undefined;
  for (const quota of quotas) {
    for (const r of quota.resources) {
      if (r.resource !== resource) continue;
      if (flavor !== undefined && r.flavor !== flavor) continue;
      const candidate: GpuAvailability = {
        resource,
        ...(r.flavor !== undefined ? { flavor: r.flavor } : {}),
        free: r.free,
        borrowable: r.borrowable,
        available: r.free + r.borrowable,
      };
      if (!best || candidate.available > best.available) best = candidate;
    }
  }
  return best;
}

/**
 * The message used wherever a GPU request does not fit, so the portal, the
 * scaffolder and the API say the same thing.
 *
 * @public
 */
export function describeGpuShortfall(options: {
  gpus: number;
  resource: string;
  namespace: string;
  cluster: string;
  availability?: GpuAvailability;
}): string {
  const { gpus, resource, namespace, cluster, availability } = options;
  const where = `${namespace} on ${cluster}`;
  if (!availability) {
    return `asked for ${gpus} ${resource} in ${where}, but no quota there provides ${resource}`;
  }
  const flavor = availability.flavor ? ` (flavor ${availability.flavor})` : '';
  return `asked for ${gpus} ${resource} in ${where}; ${availability.free} free, ${availability.borrowable} borrowable${flavor}`;
}

/**
 * Whether a GPU request fits a namespace's quota: {@link GpuFit}.
 *
 * @public
 */
export interface GpuFit {
  /** True when the quota can give the GPUs now; a CPU-only request always fits. */
  fits: boolean;
  /** What the quota can give, when it provides the resource at all. */
  availability?: GpuAvailability;
  /**
   * Why the namespace cannot give `gpus` of the resource
   * ({@link describeGpuShortfall}); set even for 0 GPUs when no quota there
   * provides the resource.
   */
  shortfall?: string;
}

/**
 * The one GPU check of the platform: can `namespace` on `cluster` give `gpus`
 * of `gpuResource` (and `flavor`) now, from its free and borrowable GPUs? The
 * backend runs it before it creates or starts a notebook, the scaffolder's
 * quota check and dry run and the "New notebook" form before they send.
 *
 * @public
 */
export function fitGpus(
  quotas: NamespaceGpuQuota[],
  request: {
    cluster: string;
    namespace: string;
    gpus: number;
    gpuResource: string;
    flavor?: string;
  },
): GpuFit {
  const { cluster, namespace, gpus, gpuResource, flavor } = request;
  const availability = availableGpus(
    quotas.filter(q => q.cluster === cluster && q.namespace === namespace),
    gpuResource,
    flavor,
  );
  const enough = !!availability && availability.available >= gpus;
  return {
    fits: gpus === 0 || enough,
    ...(availability ? { availability } : {}),
    ...(enough
      ? {}
      : {
          shortfall: describeGpuShortfall({
            gpus,
            resource: gpuResource,
            namespace,
            cluster,
            availability,
          }),
        }),
  };
}
