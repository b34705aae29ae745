/*
 * The one builder of a model deployment's Kubernetes objects: the backend
 * applies them and the "Deploy a model" template writes the same ones into
 * its GitOps repository (through `ml:model:deploy`).
 */
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Service } from 'kubernetes-models/v1/Service';
import {
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
/** Selects a plain Deployment's pods; KServe labels its own. */
const LABEL_DEPLOYMENT = 'mlplatform.io/deployment';

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
        metadata: { labels: { ...meta.labels, ...selector } },
        spec: {
          containers: [
            {
              name: 'server',
              image,
              env: [
                { name: 'STORAGE_URI', value: storageUri },
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
