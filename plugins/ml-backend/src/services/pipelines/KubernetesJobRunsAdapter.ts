import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunStatus,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';
import {
  PipelineOrchestratorError,
  PipelineRunsAdapter,
} from '@mlplatform/plugin-ml-node';
import { ClusterService } from '../kubernetes/ClusterService';
import { durationSeconds, isoTime, validateRunParameters } from './http';
import {
  RUN_KEYS,
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

/** Env vars of a Job's first container that carry run parameters. */
const PARAM_PREFIX = 'PARAM_';
/** What `kubectl create job --from=cronjob/x` sets on the Job. */
const INSTANTIATE = 'cronjob.kubernetes.io/instantiate';
const PRODUCT = 'Kubernetes Job';

interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

interface JobSpec {
  suspend?: boolean;
  template?: {
    metadata?: { labels?: Record<string, string> };
    spec?: { containers?: Array<{ name: string; env?: EnvVar[] }> };
  };
  [key: string]: unknown;
}

interface Job {
  metadata: Meta;
  spec?: JobSpec;
  status?: {
    active?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: Array<{
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
  };
}

interface CronJob {
  metadata: Meta;
  spec: {
    jobTemplate: {
      metadata?: {
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      spec: JobSpec;
    };
  };
}

const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;

/**
 * Runs of `kubernetes-job` pipelines: the Jobs labelled
 * `mlplatform.io/pipeline=<id>` and the Jobs owned by the CronJob `<id>` in
 * the pipeline's namespace. A run is started like
 * `kubectl create job --from=cronjob/<id>`, with the run parameters as
 * `PARAM_<name>` env vars of the first container. See docs/pipelines.md.
 *
 * @internal
 */
export class KubernetesJobRunsAdapter implements PipelineRunsAdapter {
  readonly type = 'kubernetes-job';

  static create(options: {
    clusters: ClusterService;
    logger: LoggerService;
    /** Logs link; `{{cluster}}`, `{{namespace}}` and `{{name}}` are filled in. */
    logsUrl?: string;
  }): KubernetesJobRunsAdapter {
    return new KubernetesJobRunsAdapter(
      options.clusters,
      options.logger,
      options.logsUrl,
    );
  }

  private constructor(
    private readonly clusters: ClusterService,
    private readonly logger: LoggerService,
    private readonly logsUrl?: string,
  ) {}

  async listRuns(options: {
    pipeline: PipelineEntityV1alpha1;
    limit: number;
  }): Promise<PipelineRun[]> {
    const target = runsTarget(this.clusters, options.pipeline, PRODUCT);
    const { id, namespace, cluster } = target;
    // Jobs a CronJob creates carry only the labels of its jobTemplate, so
    // the owner can't be selected for: read the namespace's Jobs and filter.
    const jobs = await listAll<Job>(
      target,
      jobsPath(namespace),
      {},
      { verb: 'list', resource: 'jobs', object: namespace },
      `namespace ${namespace} not found on cluster ${cluster}`,
      this.logger,
    );
    return newestFirst(
      jobs
        .filter(job => this.isRunOf(job, id))
        .map(job => this.toRun(job, target)),
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
    const cronJob = await kubeCall<CronJob>(
      target,
      'GET',
      `/apis/batch/v1/namespaces/${namespace}/cronjobs/${id}`,
      { verb: 'get', resource: 'cronjobs', object: `${namespace}/${id}` },
      {
        notFound: `CronJob ${namespace}/${id} not found on cluster ${cluster}; runs of kubernetes-job pipelines are created from the CronJob named after spec.orchestrator.id`,
      },
    );
    const template = cronJob.spec.jobTemplate;
    const spec: JobSpec = structuredClone(template.spec);
    const containers = spec.template?.spec?.containers ?? [];
    if (!containers.length) {
      throw new PipelineOrchestratorError(
        'server',
        `CronJob ${namespace}/${id} on cluster ${cluster} has no containers in its jobTemplate`,
      );
    }
    containers[0].env = withParameters(containers[0].env ?? [], parameters);
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        generateName: runGenerateName(id),
        namespace,
        labels: {
          ...(template.metadata?.labels ?? {}),
          [RUN_KEYS.pipeline]: id,
        },
        annotations: {
          ...(template.metadata?.annotations ?? {}),
          [INSTANTIATE]: 'manual',
          ...triggerAnnotations(options.trigger),
        },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: cronJob.metadata.name,
            uid: cronJob.metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec,
    };
    const created = await kubeCall<Job>(
      target,
      'POST',
      jobsPath(namespace),
      { verb: 'create', resource: 'jobs', object: namespace },
      { body: job },
    );
    this.logger.info(
      `Started Job ${namespace}/${created.metadata.name} on cluster ${cluster} from CronJob ${id} (${options.trigger.type})`,
    );
    return this.toRun(created, target);
  }

  private isRunOf(job: Job, id: string): boolean {
    return (
      job.metadata.labels?.[RUN_KEYS.pipeline] === id ||
      !!job.metadata.ownerReferences?.some(
        r => r.kind === 'CronJob' && r.name === id,
      )
    );
  }

  private toRun(job: Job, target: RunsTarget): PipelineRun {
    const { metadata: meta } = job;
    const { status, rawStatus, message, finishedAt } = jobStatus(job);
    const startedAt = isoTime(job.status?.startTime);
    const env = job.spec?.template?.spec?.containers?.[0]?.env ?? [];
    return {
      id: meta.name,
      status,
      rawStatus,
      ...(message ? { message } : {}),
      createdAt: isoTime(meta.creationTimestamp),
      startedAt,
      finishedAt,
      durationSeconds: durationSeconds(startedAt, finishedAt),
      trigger: this.triggerOf(job, target.id),
      parameters: Object.fromEntries(
        env
          .filter(e => e.name.startsWith(PARAM_PREFIX) && !e.valueFrom)
          .map(e => [e.name.slice(PARAM_PREFIX.length), e.value ?? '']),
      ),
      ...annotatedOutputs(meta.annotations),
      ...(this.logsUrl
        ? {
            logsUrl: this.logsUrl
              .replace(
                /\{\{\s*cluster\s*\}\}/g,
                encodeURIComponent(target.cluster),
              )
              .replace(
                /\{\{\s*namespace\s*\}\}/g,
                encodeURIComponent(target.namespace),
              )
              .replace(/\{\{\s*name\s*\}\}/g, encodeURIComponent(meta.name)),
          }
        : {}),
    };
  }

  private triggerOf(job: Job, id: string): PipelineRunTrigger {
    const annotated = annotatedTrigger(job.metadata.annotations);
    if (annotated) return annotated;
    const fromCronJob = job.metadata.ownerReferences?.some(
      r => r.kind === 'CronJob' && r.name === id,
    );
    if (!fromCronJob) return { type: 'unknown' };
    return job.metadata.annotations?.[INSTANTIATE] === 'manual'
      ? { type: 'manual' }
      : { type: 'schedule', by: `CronJob ${id}` };
  }
}

/** Status from the Job's conditions, as `kubectl get jobs` reads them. */
function jobStatus(job: Job): {
  status: PipelineRunStatus;
  rawStatus: string;
  message?: string;
  finishedAt?: string;
} {
  const conditions = (job.status?.conditions ?? []).filter(
    c => c.status === 'True',
  );
  const find = (type: string) => conditions.find(c => c.type === type);
  const complete = find('Complete') ?? find('SuccessCriteriaMet');
  if (complete) {
    return {
      status: 'succeeded',
      rawStatus: 'Complete',
      finishedAt: isoTime(
        job.status?.completionTime ?? complete.lastTransitionTime,
      ),
    };
  }
  const failed = find('Failed') ?? find('FailureTarget');
  if (failed) {
    return {
      status: 'failed',
      rawStatus: 'Failed',
      message: [failed.reason, failed.message].filter(Boolean).join(': '),
      finishedAt: isoTime(failed.lastTransitionTime),
    };
  }
  const suspended = find('Suspended');
  if (suspended || job.spec?.suspend) {
    return {
      status: 'pending',
      rawStatus: 'Suspended',
      ...(suspended?.message ? { message: suspended.message } : {}),
    };
  }
  if ((job.status?.active ?? 0) > 0) {
    return { status: 'running', rawStatus: 'Running' };
  }
  return { status: 'pending', rawStatus: 'Pending' };
}

/** The container's env with `PARAM_<name>` set for each parameter. */
function withParameters(
  env: EnvVar[],
  parameters: Record<string, string>,
): EnvVar[] {
  const values = new Map(
    Object.entries(parameters).map(([n, v]) => [PARAM_PREFIX + n, v]),
  );
  const out = env.map(e =>
    values.has(e.name) ? { name: e.name, value: values.get(e.name)! } : e,
  );
  for (const [name, value] of values) {
    if (!env.some(e => e.name === name)) out.push({ name, value });
  }
  return out;
}
