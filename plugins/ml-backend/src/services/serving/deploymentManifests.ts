/*
 * The one builder of a model deployment's Kubernetes objects: the backend
 * applies them and the "Deploy a model" template writes the same ones into
 * its GitOps repository (through `ml:model:deploy`).
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import {
  ANNOTATION_SERVING_STABLE_VERSION,
  ANNOTATION_SERVING_VERSION,
  LABEL_SERVING_MODEL,
  LABEL_SERVING_MODEL_NAMESPACE,
  ParsedModelDeploymentRequest,
} from '@mlplatform/plugin-ml-common';
import {
  BuiltManifest,
  LABEL_MANAGED_BY,
  MANAGED_BY,
} from '../kubernetes/manifests';

const KSERVE = 'serving.kserve.io/v1beta1';
/** Who asked for the deployment (a user ref cannot be a label value). */
const ANNOTATION_DEPLOYED_BY = 'mlplatform.io/deployed-by';
/** Selects a plain Deployment's pods (its canary's too); KServe labels its own. */
const LABEL_DEPLOYMENT = 'mlplatform.io/deployment';
/**
 * On a plain Deployment's pods: the name of the Deployment that runs them,
 * the stable one or its canary, so Prometheus can tell them apart
 * (relabelled to `revision_name`, as KServe's revisions are; docs/serving.md).
 *
 * @internal
 */
export const LABEL_REVISION = 'mlplatform.io/revision';
/**
 * On a canary Deployment and its pods: the stable Deployment it is the
 * canary of.
 *
 * @internal
 */
export const LABEL_CANARY_OF = 'mlplatform.io/canary-of';
/** On a canary Deployment: the stable's replicas before the canary took its share. @internal */
export const ANNOTATION_STABLE_REPLICAS = 'mlplatform.io/stable-replicas';
/** The environment variable a plain Deployment's server reads the version from. @internal */
export const ENV_STORAGE_URI = 'STORAGE_URI';

/**
 * The server a plain Deployment runs per runtime (no KServe to pick one):
 * it reads the version from `STORAGE_URI`, as KServe's storage initializer
 * hands it to a predictor.
 *
 * @internal
 */
export const SERVING_IMAGES = {
  'kserve-v2': { image: 'docker.io/seldonio/mlserver:1.6.1', port: 8080 },
  'vllm-openai': { image: 'docker.io/vllm/vllm-openai:v0.6.4', port: 8000 },
} as const;

/** What a deployment is made of; the request is already validated. @internal */
export interface DeploymentManifestInput {
  request: ParsedModelDeploymentRequest;
  model: { namespace: string; name: string };
  /** Where the server loads the version from, e.g. `oci://host/repo:v3`. */
  storageUri: string;
  /** KServe `modelFormat.name` for the KServe v2 runtime, e.g. `onnx`. */
  modelFormat: string;
  /** User entity ref of whoever deploys. */
  deployedBy: string;
}

function metadata(input: DeploymentManifestInput) {
  const { request, model } = input;
  return {
    name: request.name,
    namespace: request.namespace,
    labels: {
      [LABEL_SERVING_MODEL]: model.name,
      [LABEL_SERVING_MODEL_NAMESPACE]: model.namespace,
      [LABEL_MANAGED_BY]: MANAGED_BY,
    },
    annotations: {
      [ANNOTATION_SERVING_VERSION]: request.version,
      [ANNOTATION_DEPLOYED_BY]: input.deployedBy,
    },
  };
}

function gpuLimits(request: ParsedModelDeploymentRequest) {
  return request.gpus > 0
    ? { limits: { [request.gpuResource]: String(request.gpus) } }
    : {};
}

/**
 * A KServe InferenceService (`serving.kserve.io/v1beta1`): KServe's
 * autoscaler keeps it between the replica bounds; the vLLM runtime is
 * KServe's Hugging Face server with its vLLM backend.
 *
 * @internal
 */
export function buildInferenceService(
  input: DeploymentManifestInput,
): BuiltManifest {
  const { request, storageUri } = input;
  const vllm = request.runtime === 'vllm-openai';
  return {
    apiVersion: KSERVE,
    kind: 'InferenceService',
    resource: 'inferenceservices',
    metadata: metadata(input),
    spec: {
      predictor: {
        minReplicas: request.minReplicas,
        maxReplicas: request.maxReplicas,
        model: {
          ...(vllm
            ? { modelFormat: { name: 'huggingface' }, args: ['--backend=vllm'] }
            : {
                modelFormat: { name: input.modelFormat },
                protocolVersion: 'v2',
              }),
          storageUri,
          resources: gpuLimits(request),
        },
      },
    },
  };
}

/**
 * A Deployment, its Service and, when the replicas may vary, a
 * HorizontalPodAutoscaler: the objects of a cluster without KServe, in
 * creation order (the workload first, so the rollback of a failed Service
 * removes it). Validated against the Kubernetes OpenAPI schema.
 *
 * @internal
 */
export function buildDeploymentObjects(
  input: DeploymentManifestInput,
): BuiltManifest[] {
  const { request, storageUri } = input;
  const meta = metadata(input);
  const { image, port } = SERVING_IMAGES[request.runtime];
  const selector = { [LABEL_DEPLOYMENT]: request.name };
  const deployment = new Deployment({
    metadata: meta,
    spec: {
      replicas: request.minReplicas,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: {
            ...meta.labels,
            ...selector,
            [LABEL_REVISION]: request.name,
          },
        },
        spec: {
          containers: [
            {
              name: 'server',
              image,
              env: [
                { name: ENV_STORAGE_URI, value: storageUri },
                { name: 'MODEL_NAME', value: request.name },
              ],
              ports: [{ name: 'http', containerPort: port }],
              resources: gpuLimits(request),
            },
          ],
        },
      },
    },
  });
  const service = new Service({
    metadata: meta,
    spec: {
      selector,
      ports: [{ name: 'http', port: 80, targetPort: 'http' as any }],
    },
  });
  const objects: BuiltManifest[] = [
    finish(deployment, 'deployments'),
    finish(service, 'services'),
  ];
  if (request.maxReplicas > Math.max(request.minReplicas, 1)) {
    const hpa = new HorizontalPodAutoscaler({
      metadata: meta,
      spec: {
        scaleTargetRef: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: request.name,
        },
        minReplicas: Math.max(request.minReplicas, 1),
        maxReplicas: request.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: 80 },
            },
          },
        ],
      },
    });
    objects.push(finish(hpa, 'horizontalpodautoscalers'));
  }
  return objects;
}

/** The name of a Deployment's canary. @internal */
export function canaryNameOf(stable: string): string {
  return `${stable}-canary`;
}

/** What a canary Deployment is made of. @internal */
export interface CanaryManifestInput {
  /** The stable Deployment, as the cluster answered. */
  stable: {
    metadata: {
      name: string;
      namespace?: string;
      labels?: Record<string, string>;
    };
    spec?: any;
  };
  /** The version the canary runs and where its server loads it from. */
  version: string;
  storageUri: string;
  /** The version the stable Deployment runs, when known. */
  stableVersion?: string;
  replicas: number;
  /** The stable's replicas before the canary, restored when it ends. */
  stableReplicas: number;
  deployedBy: string;
}

/**
 * The canary of a plain Deployment: the stable's pod template with the
 * version's `STORAGE_URI` (and version label), its pods labelled like the
 * stable's so the Service in front of both selects them, plus
 * {@link LABEL_CANARY_OF} (in its own selector too, so it never adopts the
 * stable's pods) and its own {@link LABEL_REVISION}.
 *
 * @internal
 */
export function buildCanaryDeployment(
  input: CanaryManifestInput,
): BuiltManifest {
  const { stable } = input;
  const name = canaryNameOf(stable.metadata.name);
  const canaryOf = { [LABEL_CANARY_OF]: stable.metadata.name };
  const template = stable.spec?.template ?? {};
  const podLabels = { ...template.metadata?.labels };
  if (podLabels[ANNOTATION_SERVING_VERSION] !== undefined) {
    podLabels[ANNOTATION_SERVING_VERSION] = input.version;
  }
  const deployment = new Deployment({
    metadata: {
      name,
      namespace: stable.metadata.namespace,
      labels: { ...stable.metadata.labels, ...canaryOf },
      annotations: {
        [ANNOTATION_SERVING_VERSION]: input.version,
        ...(input.stableVersion
          ? { [ANNOTATION_SERVING_STABLE_VERSION]: input.stableVersion }
          : {}),
        [ANNOTATION_STABLE_REPLICAS]: String(input.stableReplicas),
        [ANNOTATION_DEPLOYED_BY]: input.deployedBy,
      },
    },
    spec: {
      replicas: input.replicas,
      selector: {
        ...stable.spec?.selector,
        matchLabels: { ...stable.spec?.selector?.matchLabels, ...canaryOf },
      },
      template: {
        metadata: {
          ...(template.metadata?.annotations
            ? { annotations: template.metadata.annotations }
            : {}),
          labels: { ...podLabels, ...canaryOf, [LABEL_REVISION]: name },
        },
        spec: {
          ...template.spec,
          containers: withStorageUri(
            template.spec?.containers ?? [],
            input.storageUri,
          ),
        },
      },
    },
  });
  return finish(deployment, 'deployments');
}

/** The {@link ENV_STORAGE_URI} a pod template's server reads, if any. @internal */
export function storageUriOfTemplate(template: any): string | undefined {
  for (const c of template?.spec?.containers ?? []) {
    const env = (c.env ?? []).find((e: any) => e.name === ENV_STORAGE_URI);
    if (typeof env?.value === 'string') return env.value;
  }
  return undefined;
}

/** The containers with every `STORAGE_URI` pointed at `storageUri`. */
function withStorageUri(containers: any[], storageUri: string): any[] {
  return containers.map(c => ({
    ...c,
    ...(c.env
      ? {
          env: c.env.map((e: any) =>
            e.name === ENV_STORAGE_URI
              ? { name: e.name, value: storageUri }
              : e,
          ),
        }
      : {}),
  }));
}

function finish(
  model: { validate(): void; toJSON(): any },
  resource: string,
): BuiltManifest {
  model.validate();
  return { ...model.toJSON(), resource };
}

/** A manifest as a caller sees it: without the resource name used for the path. @internal */
export function withoutResource(m: BuiltManifest): Record<string, unknown> {
  const { resource: _resource, ...object } = m;
  return object;
}
