import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunStatus,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';
import { PipelineRunsAdapter } from '@mlplatform/plugin-ml-node';
import { ClusterService } from '../kubernetes/ClusterService';
import { durationSeconds, isoTime, validateRunParameters } from './http';
import {
  RunsTarget,
  annotatedOutputs,
  annotatedTrigger,
  kubeCall,
  listAll,
  newestFirst,
  runGenerateName,
  runsTarget,
  triggerAnnotations,
} from './kubernetesRuns';

/** Labels Argo itself sets on the Workflows it creates. */
const TEMPLATE_LABEL = 'workflows.argoproj.io/workflow-template';
const CRON_LABEL = 'workflows.argoproj.io/cron-workflow';
/** Set by the Argo Server on Workflows a signed-in user submits. */
const CREATOR_LABEL = 'workflows.argoproj.io/creator';
const API = '/apis/argoproj.io/v1alpha1';
const PRODUCT = 'Argo Workflows';

const STATUS: Record<string, PipelineRunStatus> = {
  Pending: 'pending',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Error: 'failed',
};

interface Workflow {
  metadata: {
    name: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    shutdown?: string;
    arguments?: {
      parameters?: Array<{ name: string; value?: string; default?: string }>;
    };
  };
  status?: {
    phase?: string;
    message?: string;
    startedAt?: string | null;
    finishedAt?: string | null;
  };
}

/**
 * Runs of `argo` pipelines: the Workflows Argo labels as created from the
 * WorkflowTemplate or CronWorkflow named `spec.orchestrator.id`. A run is a
 * Workflow that references the WorkflowTemplate, like
 * `argo submit --from workflowtemplate/<id>`. See docs/pipelines.md.
 *
 * @internal
 */
export class ArgoRunsAdapter implements PipelineRunsAdapter {
  readonly type = 'argo';

  static create(options: {
    clusters: ClusterService;
    logger: LoggerService;
    /** Argo UI base URL, e.g. `https://argo.example.com`, for run links. */
    uiUrl?: string;
  }): ArgoRunsAdapter {
    return new ArgoRunsAdapter(
      options.clusters,
      options.logger,
      options.uiUrl?.replace(/\/+$/, ''),
    );
  }

  private constructor(
    private readonly clusters: ClusterService,
    private readonly logger: LoggerService,
    private readonly uiUrl?: string,
  ) {}

  async listRuns(options: {
    pipeline: PipelineEntityV1alpha1;
    limit: number;
  }): Promise<PipelineRun[]> {
    const target = runsTarget(this.clusters, options.pipeline, PRODUCT);
    const { id, namespace, cluster } = target;
    // A selector can't say "this label or that one": one list per label.
    const lists = await Promise.all(
      [TEMPLATE_LABEL, CRON_LABEL].map(label =>
        listAll<Workflow>(
          target,
          `${API}/namespaces/${namespace}/workflows`,
          { labelSelector: `${label}=${id}` },
          {
            verb: 'list',
            resource: 'workflows.argoproj.io',
            object: namespace,
          },
          `cluster ${cluster} does not serve workflows.argoproj.io in namespace ${namespace}; is Argo Workflows installed?`,
          this.logger,
        ),
      ),
    );
    const byName = new Map<string, Workflow>();
    for (const wf of lists.flat()) {
      byName.set(wf.metadata.name, wf);
    }
    return newestFirst(
      [...byName.values()].map(wf => this.toRun(wf, target)),
      options.limit,
    );
  }

  async startRun(options: {
    pipeline: PipelineEntityV1alpha1;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }): Promise<PipelineRun> {
    const parameters = validateRunParameters(options.parameters, PRODUCT);
    const target = runsTarget(this.clusters, options.pipeline, PRODUCT);
    const { id, namespace, cluster } = target;
    await kubeCall(
      target,
      'GET',
      `${API}/namespaces/${namespace}/workflowtemplates/${id}`,
      {
        verb: 'get',
        resource: 'workflowtemplates.argoproj.io',
        object: `${namespace}/${id}`,
      },
      {
        notFound: `WorkflowTemplate ${namespace}/${id} not found on cluster ${cluster}; runs of argo pipelines are created from the WorkflowTemplate named after spec.orchestrator.id`,
      },
    );
    const workflow = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        generateName: runGenerateName(id),
        namespace,
        labels: { [TEMPLATE_LABEL]: id },
        annotations: triggerAnnotations(options.trigger),
      },
      spec: {
        workflowTemplateRef: { name: id },
        arguments: {
          parameters: Object.entries(parameters).map(([name, value]) => ({
            name,
            value,
          })),
        },
      },
    };
    const created = await kubeCall<Workflow>(
      target,
      'POST',
      `${API}/namespaces/${namespace}/workflows`,
      {
        verb: 'create',
        resource: 'workflows.argoproj.io',
        object: namespace,
      },
      { body: workflow },
    );
    this.logger.info(
      `Submitted Workflow ${namespace}/${created.metadata.name} on cluster ${cluster} from WorkflowTemplate ${id} (${options.trigger.type})`,
    );
    return this.toRun(created, target);
  }

  private toRun(wf: Workflow, target: RunsTarget): PipelineRun {
    const { metadata: meta } = wf;
    const phase = wf.status?.phase || undefined;
    const startedAt = isoTime(wf.status?.startedAt);
    const finishedAt = isoTime(wf.status?.finishedAt);
    let status: PipelineRunStatus = phase
      ? STATUS[phase] ?? 'unknown'
      : 'pending';
    // `argo stop` / `argo terminate` set spec.shutdown and end the run Failed
    if (wf.spec?.shutdown && status === 'failed') status = 'cancelled';
    const ui = this.uiUrl
      ? `${this.uiUrl}/workflows/${encodeURIComponent(
          target.namespace,
        )}/${encodeURIComponent(meta.name)}`
      : undefined;
    return {
      id: meta.name,
      status,
      ...(phase ? { rawStatus: phase } : {}),
      ...(wf.status?.message ? { message: wf.status.message } : {}),
      createdAt: isoTime(meta.creationTimestamp),
      startedAt,
      finishedAt,
      durationSeconds: durationSeconds(startedAt, finishedAt),
      trigger: triggerOf(wf),
      parameters: Object.fromEntries(
        (wf.spec?.arguments?.parameters ?? [])
          .filter(p => typeof p.name === 'string')
          .map(p => [p.name, p.value ?? p.default ?? '']),
      ),
      ...annotatedOutputs(meta.annotations),
      ...(ui ? { uiUrl: ui } : {}),
    };
  }
}

function triggerOf(wf: Workflow): PipelineRunTrigger {
  const annotated = annotatedTrigger(wf.metadata.annotations);
  if (annotated) return annotated;
  const labels = wf.metadata.labels ?? {};
  const cron = labels[CRON_LABEL];
  if (cron) return { type: 'schedule', by: `CronWorkflow ${cron}` };
  // the creator label holds an SSO subject, not a portal user ref
  if (labels[CREATOR_LABEL]) return { type: 'manual' };
  return { type: 'unknown' };
}
