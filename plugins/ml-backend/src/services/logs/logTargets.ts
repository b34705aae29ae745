/*
 * Which pods an entity's Logs card reads: a Model's serving pods (its
 * Kubernetes annotations, as the Kubernetes tab finds them), a Pipeline's
 * run pods (the pods of its Jobs or Argo Workflows) and a notebook's pod.
 */
import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  ANNOTATION_KUBERNETES_NAMESPACE,
  LogsTargetRef,
  entityPathParamsSchema,
  isDnsLabel,
  isModelEntity,
  isPipelineEntity,
  notebookPathSchema,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../../parseInput';
import { ClusterService } from '../kubernetes/ClusterService';

/**
 * Pods to list on one cluster: by label selector, in one namespace or all,
 * and how to tell which pipeline run a pod belongs to.
 *
 * @internal
 */
export interface PodQuery {
  cluster: string;
  namespace?: string;
  labelSelector: string;
  /** The label naming a pod's run (`job-name`, Argo's workflow label). */
  runLabel?: string;
}

/** Pods to list, or why the entity names none. @internal */
export type PodQueries =
  | { configured: true; selector: string; queries: PodQuery[] }
  | { configured: false; message: string };

/**
 * Characters of a Kubernetes label selector (`a=b,c!=d,e in (f,g),!h`); the
 * selector travels as one query parameter, so anything else is refused
 * rather than escaped.
 */
const LABEL_SELECTOR = /^[A-Za-z0-9._/\-=!,() ]{1,1000}$/;

const JOB_NAME = 'job-name';
const WORKFLOW_LABEL = 'workflows.argoproj.io/workflow';
const TEMPLATE_LABEL = 'workflows.argoproj.io/workflow-template';
const PIPELINE_LABEL = 'mlplatform.io/pipeline';

async function readEntity(
  catalog: CatalogService,
  ref: { kind: 'model' | 'pipeline'; namespace: string; name: string },
  credentials: BackstageCredentials,
): Promise<Entity> {
  const { namespace, name } = parseInput(
    entityPathParamsSchema,
    { namespace: ref.namespace, name: ref.name },
    ref.kind,
  );
  const entity = await catalog.getEntityByRef(
    { kind: ref.kind, namespace, name },
    { credentials },
  );
  const is = ref.kind === 'model' ? isModelEntity : isPipelineEntity;
  if (!entity || !is(entity)) {
    throw new NotFoundError(
      `No ${
        ref.kind === 'model' ? 'Model' : 'Pipeline'
      } ${namespace}/${name} in the catalog`,
    );
  }
  return entity;
}

/** The Kubernetes tab's way: label selector annotation, else kubernetes-id. */
function annotatedSelector(
  entity: Entity,
):
  | { configured: true; selector: string }
  | { configured: false; message: string }
  | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const selector = annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR];
  const id = annotations[ANNOTATION_KUBERNETES_ID];
  const namespace = annotations[ANNOTATION_KUBERNETES_NAMESPACE];
  let labelSelector: string;
  if (selector !== undefined) {
    if (!LABEL_SELECTOR.test(selector)) {
      return {
        configured: false,
        message: `annotation ${ANNOTATION_KUBERNETES_LABEL_SELECTOR} is not a label selector (letters, digits, . _ / - = ! , ( ) and spaces): fix it in the entity's catalog-info.yaml`,
      };
    }
    labelSelector = selector;
  } else if (id !== undefined) {
    if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(id)) {
      return {
        configured: false,
        message: `annotation ${ANNOTATION_KUBERNETES_ID} "${id.slice(
          0,
          80,
        )}" is not a label value`,
      };
    }
    labelSelector = `${ANNOTATION_KUBERNETES_ID}=${id}`;
  } else {
    return undefined;
  }
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    return {
      configured: false,
      message: `annotation ${ANNOTATION_KUBERNETES_NAMESPACE} "${namespace.slice(
        0,
        80,
      )}" is not a namespace name`,
    };
  }
  return { configured: true, selector: labelSelector };
}

/**
 * The pods of a Model, Pipeline or notebook, as label-selector queries per
 * cluster. Entities are read with the caller's credentials, so one the
 * caller cannot see is a NotFoundError.
 *
 * @internal
 */
export async function podQueriesFor(
  target: LogsTargetRef,
  deps: { catalog: CatalogService; clusters: ClusterService },
  credentials: BackstageCredentials,
): Promise<PodQueries> {
  const { catalog, clusters } = deps;
  if (target.kind === 'notebook') {
    const nb = parseInput(notebookPathSchema, target, 'notebook');
    clusters.get(nb.cluster); // unknown cluster: NotFoundError
    const labelSelector = `notebook-name=${nb.name}`;
    return {
      configured: true,
      selector: labelSelector,
      queries: [
        { cluster: nb.cluster, namespace: nb.namespace, labelSelector },
      ],
    };
  }
  const entity = await readEntity(catalog, target, credentials);
  const names = clusters.names();
  if (!names.length) {
    return {
      configured: false,
      message:
        'No Kubernetes cluster is configured (ml.kubernetes.clusters); see docs/logs.md',
    };
  }
  const namespace =
    entity.metadata.annotations?.[ANNOTATION_KUBERNETES_NAMESPACE];
  const annotated = annotatedSelector(entity);
  if (annotated && !annotated.configured) return annotated;
  if (annotated?.configured) {
    return {
      configured: true,
      selector: annotated.selector,
      queries: names.map(cluster => ({
        cluster,
        namespace,
        labelSelector: annotated.selector,
        runLabel: JOB_NAME,
      })),
    };
  }
  if (target.kind === 'model') {
    return {
      configured: false,
      message: `This Model names no pods: add annotation ${ANNOTATION_KUBERNETES_ID} (the label its serving pods carry) or ${ANNOTATION_KUBERNETES_LABEL_SELECTOR}`,
    };
  }
  return pipelineQueries(entity, clusters);
}

async function pipelineQueries(
  entity: Entity,
  clusters: ClusterService,
): Promise<PodQueries> {
  const orchestrator = (entity.spec as any)?.orchestrator ?? {};
  const { type, id, namespace = 'default' } = orchestrator;
  const cluster: string = orchestrator.cluster ?? clusters.names()[0];
  if (type !== 'kubernetes-job' && type !== 'argo') {
    return {
      configured: false,
      message: `Runs of ${
        type ?? 'this'
      } pipelines do not run as pods the portal can read; open the run in its orchestrator, or annotate the Pipeline with ${ANNOTATION_KUBERNETES_LABEL_SELECTOR}`,
    };
  }
  if (
    !isDnsLabel(namespace) ||
    typeof id !== 'string' ||
    !LABEL_SELECTOR.test(id)
  ) {
    return {
      configured: false,
      message: `spec.orchestrator names no valid namespace and id`,
    };
  }
  clusters.get(cluster);
  if (type === 'argo') {
    // The Workflows of the template; their pods carry the workflow's name.
    const list = await clusters.list<{ metadata: { name: string } }>(
      cluster,
      `/apis/argoproj.io/v1alpha1/namespaces/${namespace}/workflows?labelSelector=${encodeURIComponent(
        `${TEMPLATE_LABEL}=${id}`,
      )}`,
      'workflows.argoproj.io',
    );
    return runQueries(cluster, namespace, WORKFLOW_LABEL, list.items);
  }
  const jobs = await clusters.list<{
    metadata: {
      name: string;
      labels?: Record<string, string>;
      ownerReferences?: Array<{ kind: string; name: string }>;
    };
  }>(cluster, `/apis/batch/v1/namespaces/${namespace}/jobs`, 'jobs.batch');
  const mine = jobs.items.filter(
    j =>
      j.metadata.labels?.[PIPELINE_LABEL] === id ||
      j.metadata.ownerReferences?.some(
        r => r.kind === 'CronJob' && r.name === id,
      ),
  );
  return runQueries(cluster, namespace, JOB_NAME, mine);
}

function runQueries(
  cluster: string,
  namespace: string,
  label: string,
  runs: Array<{ metadata: { name: string } }>,
): PodQueries {
  // newest runs last in a list; the selector keeps to the 50 most recent
  const names = runs.map(r => r.metadata.name).slice(-50);
  if (!names.length) {
    return {
      configured: true,
      selector: `${label} in ()`,
      queries: [],
    };
  }
  const labelSelector = `${label} in (${names.join(',')})`;
  return {
    configured: true,
    selector: labelSelector,
    queries: [{ cluster, namespace, labelSelector, runLabel: label }],
  };
}
