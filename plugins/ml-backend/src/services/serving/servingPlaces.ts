/*
 * What the Serving card shows of one serving object: a KServe
 * InferenceService or a Deployment labelled for a Model, read as KServe and
 * Kubernetes write them.
 */
import {
  ANNOTATION_SERVING_STABLE_VERSION,
  ANNOTATION_SERVING_VERSION,
  LABEL_SERVING_MODEL,
  LABEL_SERVING_MODEL_NAMESPACE,
  ServingPlace,
  ServingTrafficTarget,
} from '@mlplatform/plugin-ml-common';
import { LABEL_CANARY_OF } from './deploymentManifests';

/** A Kubernetes object as listed; only the fields read here. @internal */
export interface ServingObject {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: any;
  status?: any;
}

/** Whether `o` is labelled as serving the Model `namespace/name`. @internal */
export function servesModel(
  o: ServingObject,
  model: { namespace: string; name: string },
): boolean {
  const labels = o.metadata.labels ?? {};
  return (
    labels[LABEL_SERVING_MODEL] === model.name &&
    (labels[LABEL_SERVING_MODEL_NAMESPACE] ?? 'default') === model.namespace
  );
}

/** The key of the predictor's model spec holding `storageUri` (`model`, or a deprecated framework key). @internal */
export function predictorModelKey(isvc: ServingObject): string | undefined {
  const predictor = isvc.spec?.predictor ?? {};
  if (predictor.model) return 'model';
  return Object.keys(predictor).find(
    k => typeof predictor[k]?.storageUri === 'string',
  );
}

/** The storageUri the predictor loads. @internal */
export function storageUriOf(isvc: ServingObject): string | undefined {
  const key = predictorModelKey(isvc);
  return key ? isvc.spec.predictor[key]?.storageUri : undefined;
}

/**
 * The version at the end of a storage URI: `…/fraud-detector:v3` (OCI),
 * `models:/fraud-detector/7` (MLflow); undefined otherwise.
 *
 * @internal
 */
export function versionOfStorageUri(
  uri: string | undefined,
): string | undefined {
  if (!uri) return undefined;
  const mlflow = /^models:\/[^/]+\/([^/]+)$/.exec(uri);
  if (mlflow) return mlflow[1];
  const oci =
    /^oci:\/\/[^@]+\/[^/:@]+:([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(uri);
  return oci?.[1];
}

/** The version an object runs: the annotation, else its storage URI. @internal */
export function versionOf(o: ServingObject): string | undefined {
  return (
    o.metadata.annotations?.[ANNOTATION_SERVING_VERSION] ??
    o.spec?.template?.metadata?.labels?.[ANNOTATION_SERVING_VERSION] ??
    versionOfStorageUri(storageUriOf(o))
  );
}

/** The canary's share while one runs (KServe `canaryTrafficPercent` below 100). @internal */
export function canaryPercentOf(isvc: ServingObject): number | undefined {
  const p = isvc.spec?.predictor?.canaryTrafficPercent;
  return typeof p === 'number' && p < 100 ? p : undefined;
}

type Condition = {
  type: string;
  status: string;
  reason?: string;
  message?: string;
};

// The conditions KServe sets, the most telling first for "why not ready".
const KSERVE_ORDER = [
  'PredictorReady',
  'LatestDeploymentReady',
  'PredictorConfigurationReady',
  'PredictorRouteReady',
  'IngressReady',
  'Ready',
];

/** One InferenceService as a serving place. @internal */
export function inferenceServicePlace(
  cluster: string,
  isvc: ServingObject,
): ServingPlace {
  const status = isvc.status ?? {};
  const conditions: Condition[] = status.conditions ?? [];
  const ready = conditions.some(c => c.type === 'Ready' && c.status === 'True');
  let reason: string | undefined;
  let message: string | undefined;
  if (!ready) {
    const failing = KSERVE_ORDER.map(t =>
      conditions.find(c => c.type === t && c.status !== 'True'),
    ).find(c => c && (c.reason || c.message));
    if (failing) {
      reason = failing.reason ?? failing.type;
      message = failing.message;
    } else {
      reason = 'NoStatus';
      message = conditions.length
        ? 'KServe reports it not ready without a reason'
        : 'KServe has not reported a status yet';
    }
  }
  const version = versionOf(isvc);
  const stableVersion =
    isvc.metadata.annotations?.[ANNOTATION_SERVING_STABLE_VERSION];
  const canaryPercent = canaryPercentOf(isvc);
  const entries: any[] = status.components?.predictor?.traffic ?? [];
  const splitting = entries.some(t => t.tag === 'prev');
  const traffic: ServingTrafficTarget[] = entries.map(t => {
    const stable = t.tag === 'prev' || !splitting;
    const v = stable && splitting ? stableVersion : version;
    return {
      revision: t.revisionName ?? '',
      percent: typeof t.percent === 'number' ? t.percent : 0,
      role: stable ? 'stable' : 'canary',
      ...(v ? { version: v } : {}),
    };
  });
  const predictor = isvc.spec?.predictor ?? {};
  return {
    cluster,
    namespace: isvc.metadata.namespace ?? 'default',
    name: isvc.metadata.name,
    kind: 'InferenceService',
    ...(status.url ? { url: status.url } : {}),
    ...(status.address?.url ? { internalUrl: status.address.url } : {}),
    ...(version ? { version } : {}),
    ready,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    replicas: {
      desired:
        typeof predictor.minReplicas === 'number' ? predictor.minReplicas : 1,
      ...(typeof predictor.maxReplicas === 'number'
        ? { max: predictor.maxReplicas }
        : {}),
    },
    traffic,
    ...(canaryPercent !== undefined && (splitting || stableVersion)
      ? {
          canary: {
            percent: canaryPercent,
            ...(version ? { version } : {}),
            ...(stableVersion ? { stableVersion } : {}),
          },
        }
      : {}),
  };
}

/** A Deployment's readiness as the Serving card shows it. */
function deploymentStatus(d: ServingObject) {
  const status = d.status ?? {};
  const conditions: Condition[] = status.conditions ?? [];
  const desired = typeof d.spec?.replicas === 'number' ? d.spec.replicas : 1;
  const readyReplicas: number = status.readyReplicas ?? 0;
  const available = conditions.find(c => c.type === 'Available');
  const failure =
    conditions.find(c => c.type === 'ReplicaFailure' && c.status === 'True') ??
    conditions.find(c => c.type === 'Progressing' && c.status === 'False');
  const ready =
    available?.status === 'True' && readyReplicas >= Math.min(1, desired);
  if (ready) return { ready, readyReplicas, desired };
  const why =
    failure ?? (available?.status === 'False' ? available : undefined);
  return {
    ready,
    readyReplicas,
    desired,
    reason: why?.reason ?? (desired === 0 ? 'ScaledToZero' : 'NoStatus'),
    message:
      why?.message ??
      (desired === 0
        ? 'the Deployment has 0 replicas'
        : `${readyReplicas} of ${desired} replicas ready`),
  };
}

/**
 * One Deployment labelled for a Model as a serving place; with its canary
 * (a second Deployment behind the same Service), the split as the replica
 * counts make it: a Service balances per endpoint, so each Deployment's
 * share is its share of the replicas (docs/serving.md).
 *
 * @internal
 */
export function deploymentPlace(
  cluster: string,
  d: ServingObject,
  canary?: ServingObject,
): ServingPlace {
  const stable = deploymentStatus(d);
  const stableVersion = versionOf(d);
  const base = {
    cluster,
    namespace: d.metadata.namespace ?? 'default',
    name: d.metadata.name,
    kind: 'Deployment' as const,
  };
  if (!canary) {
    return {
      ...base,
      ...(stableVersion ? { version: stableVersion } : {}),
      ready: stable.ready,
      ...(stable.reason ? { reason: stable.reason } : {}),
      ...(stable.message ? { message: stable.message } : {}),
      replicas: { ready: stable.readyReplicas, desired: stable.desired },
      traffic: [
        {
          revision: d.metadata.name,
          percent: 100,
          role: 'stable',
          ...(stableVersion ? { version: stableVersion } : {}),
        },
      ],
    };
  }
  const c = deploymentStatus(canary);
  const version = versionOf(canary);
  const total = stable.desired + c.desired;
  const percent = total ? Math.round((c.desired * 100) / total) : 0;
  let notReady: { reason?: string; message?: string } | undefined;
  if (!stable.ready) notReady = stable;
  else if (!c.ready) {
    notReady = {
      reason: c.reason,
      message: `canary ${canary.metadata.name}: ${c.message}`,
    };
  }
  return {
    ...base,
    ...(version ? { version } : {}),
    ready: !notReady,
    ...(notReady?.reason ? { reason: notReady.reason } : {}),
    ...(notReady?.message ? { message: notReady.message } : {}),
    replicas: {
      ready: stable.readyReplicas + c.readyReplicas,
      desired: total,
    },
    traffic: [
      {
        revision: canary.metadata.name,
        percent,
        role: 'canary',
        ...(version ? { version } : {}),
      },
      {
        revision: d.metadata.name,
        percent: 100 - percent,
        role: 'stable',
        ...(stableVersion ? { version: stableVersion } : {}),
      },
    ],
    canary: {
      percent,
      ...(version ? { version } : {}),
      ...(stableVersion ? { stableVersion } : {}),
    },
  };
}

/** The stable Deployment a canary Deployment belongs to, if it is one. @internal */
export function canaryOf(d: ServingObject): string | undefined {
  return d.metadata.labels?.[LABEL_CANARY_OF];
}

/**
 * A cluster's Deployments of one Model as serving places: each canary
 * Deployment joined to its stable one (a canary whose stable one is gone is
 * a place of its own).
 *
 * @internal
 */
export function deploymentPlaces(
  cluster: string,
  items: ServingObject[],
): ServingPlace[] {
  const key = (namespace: string | undefined, name: string) =>
    `${namespace ?? 'default'}/${name}`;
  const canaries = new Map(
    items
      .filter(d => canaryOf(d))
      .map(d => [key(d.metadata.namespace, canaryOf(d)!), d]),
  );
  const joined = new Set<ServingObject>();
  const places = items
    .filter(d => !canaryOf(d))
    .map(d => {
      const canary = canaries.get(key(d.metadata.namespace, d.metadata.name));
      if (canary) joined.add(canary);
      return deploymentPlace(cluster, d, canary);
    });
  for (const canary of canaries.values()) {
    if (!joined.has(canary)) places.push(deploymentPlace(cluster, canary));
  }
  return places;
}
