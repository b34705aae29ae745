/**
 * Label on an InferenceService or Deployment that serves a Model: the
 * Model's entity name, e.g. `fraud-detector`. With
 * {@link LABEL_SERVING_MODEL_NAMESPACE} for Models outside the `default`
 * catalog namespace.
 *
 * @public
 */
export const LABEL_SERVING_MODEL = 'mlplatform.io/model';

/**
 * Label naming the catalog namespace of the served Model when it is not
 * `default`.
 *
 * @public
 */
export const LABEL_SERVING_MODEL_NAMESPACE = 'mlplatform.io/model-namespace';

/**
 * Annotation with the registry version the serving object runs (its current
 * spec; the canary during a rollout), e.g. `v3` or `7`. Without it the
 * version is read from KServe's `storageUri` (`…:v3`, `models:/name/7`).
 *
 * @public
 */
export const ANNOTATION_SERVING_VERSION = 'mlplatform.io/model-version';

/**
 * Annotation with the version of the stable (previously rolled-out)
 * revision while a canary runs; written by the governed rollout.
 *
 * @public
 */
export const ANNOTATION_SERVING_STABLE_VERSION =
  'mlplatform.io/stable-model-version';

/**
 * One share of a serving place's traffic.
 *
 * @public
 */
export interface ServingTrafficTarget {
  /** KServe revision, e.g. `fraud-detector-predictor-00002`; the Deployment name otherwise. */
  revision: string;
  percent: number;
  /** `canary`: the latest revision during a rollout; `stable`: the rolled-out one. */
  role: 'stable' | 'canary';
  /** Registry version of the revision, when known. */
  version?: string;
  /**
   * During a canary: this revision's health from Prometheus (the Model's
   * metrics selector narrowed to `revision_name`, Knative's label), over
   * the last 15 minutes.
   */
  health?: ServingRevisionHealth;
}

/**
 * One revision's health against the Model's SLO, in brief.
 *
 * @public
 */
export interface ServingRevisionHealth {
  verdict: 'healthy' | 'degraded' | 'failing' | 'unknown';
  reason?: string;
  /** Latency p95, seconds. */
  p95: number | null;
  /** Failed share of requests, 0..1. */
  errorRate: number | null;
  /** Requests per second. */
  throughput: number | null;
}

/**
 * One place a Model serves: an InferenceService or a Deployment on a cluster.
 *
 * @public
 */
export interface ServingPlace {
  cluster: string;
  namespace: string;
  name: string;
  kind: 'InferenceService' | 'Deployment';
  /** External URL (KServe `status.url`), when there is one. */
  url?: string;
  /** In-cluster URL (KServe `status.address.url`). */
  internalUrl?: string;
  /** Version of the current spec (the canary's during a rollout). */
  version?: string;
  ready: boolean;
  /** Why not ready: the failing condition's reason and message. */
  reason?: string;
  message?: string;
  replicas: {
    /** Ready replicas, when the object reports them (Deployments). */
    ready?: number;
    /** Desired replicas (Deployments) or the autoscaling floor (KServe minReplicas). */
    desired?: number;
    /** KServe autoscaling ceiling. */
    max?: number;
  };
  traffic: ServingTrafficTarget[];
  /**
   * Set while a canary runs: KServe `canaryTrafficPercent` below 100, or a
   * canary Deployment beside a Deployment (`percent`: its share of the
   * replicas).
   */
  canary?: {
    percent: number;
    version?: string;
    stableVersion?: string;
  };
}

/**
 * Response of `GET /api/ml/models/:namespace/:name/serving`.
 *
 * @public
 */
export interface ModelServingResponse {
  entityRef: string;
  /** The configured clusters that were asked. */
  clusters: string[];
  places: ServingPlace[];
  /** Clusters (and kinds) that could not be listed, and why. */
  errors: Array<{ cluster: string; kind: string; message: string }>;
}

/**
 * Response of `POST /api/ml/models/:namespace/:name/rollout`.
 *
 * @public
 */
export interface ModelRolloutResponse {
  entityRef: string;
  action: 'canary' | 'promote' | 'rollback';
  /** The serving place as the cluster answered after the change. */
  place: ServingPlace;
}

/**
 * Response of `POST /api/ml/models/:namespace/:name/deployments`: what was
 * applied (or, with `dryRun`, would be), in the order it was created.
 *
 * @public
 */
export interface ModelDeploymentResponse {
  entityRef: string;
  dryRun: boolean;
  cluster: string;
  namespace: string;
  name: string;
  /** InferenceService where the cluster serves KServe, else Deployment. */
  kind: 'InferenceService' | 'Deployment';
  version: string;
  /** Where the server loads the version from. */
  storageUri: string;
  /** The GPUs the deployment may spend at its maximum scale. */
  gpus: { perReplica: number; total: number; resource: string };
  /** The Kubernetes objects, as sent to the cluster. */
  manifests: Array<Record<string, unknown>>;
  /** The serving place as the cluster answered after the apply; absent on a dry run. */
  place?: ServingPlace;
}
