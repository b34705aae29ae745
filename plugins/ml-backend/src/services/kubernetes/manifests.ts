import Ajv from 'ajv';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import {
  createNotebookRequestSchema,
  DNS_LABEL_PATTERN,
  dnsLabel,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import { z } from 'zod';

/** Labels every object the portal creates carries. @internal */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** @internal */
export const MANAGED_BY = 'backstage-ml';
/** @internal */
export const LABEL_NOTEBOOK = 'mlplatform.io/notebook';
/** @internal */
export const LABEL_CREATED_BY = 'mlplatform.io/created-by';
/** @internal */
export const LABEL_QUEUE = 'kueue.x-k8s.io/queue-name';
/** Kubeflow's notebook controller scales a Notebook to 0 while this is set. @internal */
export const KUBEFLOW_STOPPED = 'kubeflow-resource-stopped';
/** Where the full creator ref lives; label values cannot hold `:` or `/`. */
const ANNOTATION_CREATED_BY = 'mlplatform.io/created-by';

const NOTEBOOK_PORT = 8888;

/** What a notebook is made of; already validated by the API. @internal */
export interface NotebookManifestInput {
  name: string;
  namespace: string;
  image: string;
  cpu: string;
  memory: string;
  storage: string;
  gpus: number;
  gpuResource: string;
  /** User entity ref of the creator. */
  createdBy: string;
  /** Kueue LocalQueue to queue the notebook in. */
  queue?: string;
}

/** A Kubernetes object about to be sent, with what to call it in messages. @internal */
export interface BuiltManifest {
  apiVersion: string;
  kind: string;
  /** Plural resource name, for the API path. */
  resource: string;
  metadata: { name: string; namespace: string; [k: string]: unknown };
  [key: string]: unknown;
}

/**
 * A user entity ref as a label value (`user:default/ada` →
 * `user.default.ada`): at most 63 characters of `[A-Za-z0-9_.-]`, starting
 * and ending with an alphanumeric.
 *
 * @internal
 */
export function labelValue(value: string): string {
  return value
    .replace(/[:/]/g, '.')
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/*
 * The API parsed the request already; the builders check their input again
 * with the same schema (not rules of their own), so no caller can build an
 * object from input that skipped the API.
 */
const request = createNotebookRequestSchema.shape;
const manifestInputSchema = z.object({
  name: request.name,
  image: request.image,
  cpu: request.cpu,
  memory: request.memory,
  storage: request.storage,
  gpus: request.gpus,
  gpuResource: request.gpuResource,
  namespace: dnsLabel(),
  createdBy: z.string().min(1),
  queue: dnsLabel().optional(),
});

function checkInput(input: NotebookManifestInput): void {
  parseMlInput(manifestInputSchema, input, 'notebook');
}

function labels(input: NotebookManifestInput): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_NOTEBOOK]: input.name,
    [LABEL_CREATED_BY]: labelValue(input.createdBy),
    ...(input.queue ? { [LABEL_QUEUE]: input.queue } : {}),
  };
}

function metadata(input: NotebookManifestInput, name = input.name) {
  return {
    name,
    namespace: input.namespace,
    labels: labels(input),
    annotations: { [ANNOTATION_CREATED_BY]: input.createdBy },
  };
}

/** The workspace volume's claim name. @internal */
export const workspaceClaimName = (notebook: string) => `${notebook}-workspace`;

function container(input: NotebookManifestInput) {
  const gpu = input.gpus > 0 ? { [input.gpuResource]: String(input.gpus) } : {};
  return {
    name: 'notebook',
    image: input.image,
    ports: [{ name: 'http', containerPort: NOTEBOOK_PORT }],
    // Kubeflow's convention: the notebook serves under this prefix.
    env: [
      {
        name: 'NB_PREFIX',
        value: `/notebook/${input.namespace}/${input.name}`,
      },
    ],
    resources: {
      requests: { cpu: input.cpu, memory: input.memory, ...gpu },
      // Extended resources need limit = request; memory gets a limit so a
      // runaway kernel is OOM-killed instead of starving the node.
      limits: { memory: input.memory, ...gpu },
    },
    volumeMounts: [{ name: 'workspace', mountPath: '/home/jovyan' }],
  };
}

function podSpec(input: NotebookManifestInput) {
  return {
    containers: [container(input)],
    volumes: [
      {
        name: 'workspace',
        persistentVolumeClaim: { claimName: workspaceClaimName(input.name) },
      },
    ],
  };
}

function finish(
  model: { validate(): void; toJSON(): any },
  resource: string,
): BuiltManifest {
  model.validate();
  return { ...model.toJSON(), resource };
}

/** The workspace volume (both backends). @internal */
export function buildWorkspaceClaim(
  input: NotebookManifestInput,
): BuiltManifest {
  checkInput(input);
  return finish(
    new PersistentVolumeClaim({
      metadata: metadata(input, workspaceClaimName(input.name)),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: input.storage } },
      },
    }),
    'persistentvolumeclaims',
  );
}

/** Headless Service giving the notebook pod a stable DNS name. @internal */
export function buildService(input: NotebookManifestInput): BuiltManifest {
  checkInput(input);
  return finish(
    new Service({
      metadata: metadata(input),
      spec: {
        clusterIP: 'None',
        selector: { [LABEL_NOTEBOOK]: input.name },
        ports: [{ name: 'http', port: 80, targetPort: 'http' as any }],
      },
    }),
    'services',
  );
}

/** One-replica StatefulSet running the notebook. @internal */
export function buildStatefulSet(input: NotebookManifestInput): BuiltManifest {
  checkInput(input);
  return finish(
    new StatefulSet({
      metadata: metadata(input),
      spec: {
        replicas: 1,
        serviceName: input.name,
        selector: { matchLabels: { [LABEL_NOTEBOOK]: input.name } },
        template: {
          metadata: { labels: labels(input) },
          spec: podSpec(input),
        },
      },
    }),
    'statefulsets',
  );
}

/** The parts of Kubeflow's `kubeflow.org/v1` Notebook the portal writes. @internal */
export interface KubeflowNotebook {
  apiVersion: 'kubeflow.org/v1';
  kind: 'Notebook';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: { template: { spec: ReturnType<typeof podSpec> } };
}

const notebookSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'kubeflow.org/v1' },
    kind: { const: 'Notebook' },
    metadata: {
      type: 'object',
      required: ['name', 'namespace'],
      properties: {
        name: {
          type: 'string',
          pattern: DNS_LABEL_PATTERN.source,
          maxLength: 52,
        },
        namespace: {
          type: 'string',
          pattern: DNS_LABEL_PATTERN.source,
          maxLength: 63,
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: {
          type: 'object',
          additionalProperties: { type: 'string' },
        },
      },
    },
    spec: {
      type: 'object',
      required: ['template'],
      properties: {
        template: {
          type: 'object',
          required: ['spec'],
          properties: {
            spec: {
              type: 'object',
              required: ['containers'],
              properties: {
                containers: {
                  type: 'array',
                  minItems: 1,
                  items: {
                    type: 'object',
                    required: ['name', 'image'],
                    properties: {
                      name: { type: 'string', minLength: 1 },
                      image: { type: 'string', minLength: 1 },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validateNotebookShape = new Ajv({ allErrors: true }).compile(
  notebookSchema,
);

/**
 * Checks a Kubeflow Notebook: its envelope against the shape the CRD needs
 * (ajv), and its pod template against the real PodSpec schema.
 *
 * @internal
 */
export function validateKubeflowNotebook(notebook: unknown): void {
  if (!validateNotebookShape(notebook)) {
    const errors = (validateNotebookShape.errors ?? [])
      .map(e => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new Error(`invalid Kubeflow Notebook: ${errors}`);
  }
  const nb = notebook as KubeflowNotebook;
  new Pod({
    metadata: { name: nb.metadata.name, namespace: nb.metadata.namespace },
    spec: nb.spec.template.spec,
  }).validate();
}

/** Kubeflow Notebook CR; its controller makes the StatefulSet and Service. @internal */
export function buildKubeflowNotebook(
  input: NotebookManifestInput,
): BuiltManifest {
  checkInput(input);
  const notebook: KubeflowNotebook = {
    apiVersion: 'kubeflow.org/v1',
    kind: 'Notebook',
    metadata: metadata(input),
    spec: {
      template: { spec: podSpec(input) },
    },
  };
  validateKubeflowNotebook(notebook);
  return { ...notebook, resource: 'notebooks' };
}

/** API path of a built object's collection. @internal */
export function collectionPath(m: {
  apiVersion: string;
  resource: string;
  metadata: { namespace: string };
}): string {
  const prefix = m.apiVersion.includes('/')
    ? `/apis/${m.apiVersion}`
    : `/api/${m.apiVersion}`;
  return `${prefix}/namespaces/${m.metadata.namespace}/${m.resource}`;
}

/** API path of one object. @internal */
export function objectPath(m: {
  apiVersion: string;
  resource: string;
  metadata: { namespace: string; name: string };
}): string {
  return `${collectionPath(m)}/${m.metadata.name}`;
}

/**
 * Every object of a notebook, in creation order (the claim first, so the pod
 * never waits for its volume; the workload last, so nothing starts before its
 * Service exists).
 *
 * @internal
 */
export function buildNotebookObjects(
  input: NotebookManifestInput,
  backend: 'kubeflow' | 'statefulset',
): BuiltManifest[] {
  return backend === 'kubeflow'
    ? [buildWorkspaceClaim(input), buildKubeflowNotebook(input)]
    : [
        buildWorkspaceClaim(input),
        buildService(input),
        buildStatefulSet(input),
      ];
}
