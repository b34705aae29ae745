import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  isDnsLabel,
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunStatus,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';
import {
  PipelineOrchestratorError,
  PipelineRunsAdapter,
} from '@mlplatform/plugin-ml-node';
import {
  clampLimit,
  durationSeconds,
  formatTriggerNote,
  isoTime,
  OrchestratorHttpClient,
  parseTriggerNote,
  stringifyParameters,
  validateRunParameters,
} from './http';

/** `V2beta1Run` fields the adapter reads. */
interface KfpRun {
  run_id: string;
  display_name?: string;
  description?: string;
  state?: string;
  created_at?: string;
  scheduled_at?: string;
  finished_at?: string;
  recurring_run_id?: string;
  pipeline_version_reference?: {
    pipeline_id?: string;
    pipeline_version_id?: string;
  };
  runtime_config?: { parameters?: Record<string, unknown> };
  error?: { code?: number; message?: string };
  state_history?: Array<{ update_time?: string; state?: string }>;
}

const STATUS: Record<string, PipelineRunStatus> = {
  PENDING: 'pending',
  PAUSED: 'pending',
  RUNNING: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  // A skipped run did nothing, like a cancelled one.
  SKIPPED: 'cancelled',
  CANCELING: 'cancelled',
  CANCELED: 'cancelled',
};
const FINISHED = new Set(['SUCCEEDED', 'SKIPPED', 'FAILED', 'CANCELED']);
// KFP pipeline ids are UUIDs, but installations that create pipelines with
// fixed ids use names; anything without / ? # is safe in the path.
const PIPELINE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const MAX_LIMIT = 200;
const PAGE_SIZE = 100;
// Runs older than the namespace's newest PAGE_SIZE * MAX_PAGES are not read.
const MAX_PAGES = 10;
const DEFAULT_EXPERIMENT = 'Default';

/**
 * Runs of Kubeflow Pipelines pipelines over the KFP API server's REST API
 * v2beta1. `spec.orchestrator.id` is the KFP pipeline id and
 * `spec.orchestrator.namespace` the profile namespace (multi-user mode).
 * Runs started here record who started them in the run's description.
 *
 * @public
 */
export class KubeflowRunsAdapter implements PipelineRunsAdapter {
  readonly type = 'kubeflow';

  /** Creates the adapter; `uiUrl` is the KFP UI when it is not at `url`. */
  static create(options: {
    url: string;
    token?: string;
    uiUrl?: string;
    timeoutMs?: number;
    logger: LoggerService;
  }): KubeflowRunsAdapter {
    return new KubeflowRunsAdapter(
      new OrchestratorHttpClient({
        product: 'Kubeflow Pipelines',
        url: options.url,
        token: options.token,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        // google.rpc.Status as grpc-gateway renders it.
        errorDetail: body =>
          [body?.message, body?.error].find(
            (x): x is string => typeof x === 'string' && x.length > 0,
          ),
      }),
      (options.uiUrl ?? options.url).replace(/\/+$/, ''),
    );
  }

  private constructor(
    private readonly http: OrchestratorHttpClient,
    private readonly uiUrl: string,
  ) {}

  close(): void {
    this.http.close();
  }

  async listRuns(options: {
    pipeline: PipelineEntityV1alpha1;
    limit: number;
  }): Promise<PipelineRun[]> {
    const { id, namespace } = this.target(options.pipeline);
    const limit = clampLimit(options.limit, MAX_LIMIT);
    // Released KFP 2.x cannot filter runs by pipeline on the server
    // (kubeflow/pipelines#13578), so the namespace's runs are read newest
    // first and matched on pipeline_version_reference.pipeline_id. The
    // pipeline lookup tells "no runs yet" from "no such pipeline".
    await this.pipelineExists(id);
    const runs = await this.runsOf(id, namespace, limit);
    const now = Date.now();
    return runs.map(r => this.toRun(r, now));
  }

  private async pipelineExists(id: string): Promise<void> {
    await this.http.request(
      'GET',
      `/apis/v2beta1/pipelines/${encodeURIComponent(id)}`,
      `reading pipeline "${id}"`,
    );
  }

  private async runsOf(
    id: string,
    namespace: string | undefined,
    limit: number,
  ): Promise<KfpRun[]> {
    const runs: KfpRun[] = [];
    let pageToken: string | undefined;
    for (let pages = 0; pages < MAX_PAGES; pages++) {
      const page = await this.http.request<{
        runs?: KfpRun[];
        next_page_token?: string;
      }>('GET', '/apis/v2beta1/runs', `listing runs of pipeline "${id}"`, {
        query: {
          ...(namespace ? { namespace } : {}),
          page_size: String(PAGE_SIZE),
          sort_by: 'created_at desc',
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      });
      for (const run of page.runs ?? []) {
        if (run.pipeline_version_reference?.pipeline_id === id) runs.push(run);
      }
      pageToken = page.next_page_token || undefined;
      if (!pageToken || runs.length >= limit) break;
    }
    return runs.slice(0, limit);
  }

  async startRun(options: {
    pipeline: PipelineEntityV1alpha1;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }): Promise<PipelineRun> {
    const { id, namespace } = this.target(options.pipeline);
    const parameters = validateRunParameters(
      options.parameters,
      'Kubeflow Pipelines',
    );
    // An unknown pipeline fails here, before an experiment is created.
    await this.pipelineExists(id);
    const experimentId = namespace
      ? await this.defaultExperiment(namespace)
      : undefined;
    const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const created = await this.http.request<KfpRun>(
      'POST',
      '/apis/v2beta1/runs',
      `starting a run of pipeline "${id}"`,
      {
        body: {
          display_name: `${options.pipeline.metadata.name} ${stamp}`,
          ...(experimentId ? { experiment_id: experimentId } : {}),
          description: formatTriggerNote(options.trigger),
          // Without a version id KFP runs the pipeline's latest version.
          pipeline_version_reference: { pipeline_id: id },
          runtime_config: { parameters },
        },
      },
    );
    return this.toRun(created, Date.now());
  }

  /**
   * In multi-user mode a run needs an experiment, and lands in that
   * experiment's namespace. Like the KFP SDK, runs go to the namespace's
   * `Default` experiment, created when missing.
   */
  private async defaultExperiment(namespace: string): Promise<string> {
    const what = `finding the Default experiment of namespace "${namespace}"`;
    const found = await this.http.request<{
      experiments?: Array<{ experiment_id: string }>;
    }>('GET', '/apis/v2beta1/experiments', what, {
      query: {
        namespace,
        page_size: '1',
        filter: JSON.stringify({
          predicates: [
            {
              key: 'display_name',
              operation: 'EQUALS',
              string_value: DEFAULT_EXPERIMENT,
            },
          ],
        }),
      },
    });
    // Not cached: an experiment deleted in KFP must not break later starts.
    let experimentId = found.experiments?.[0]?.experiment_id;
    if (!experimentId) {
      const created = await this.http.request<{ experiment_id: string }>(
        'POST',
        '/apis/v2beta1/experiments',
        `creating the Default experiment of namespace "${namespace}"`,
        {
          body: {
            display_name: DEFAULT_EXPERIMENT,
            description: 'Runs started from the ML portal and the KFP SDK.',
            namespace,
          },
        },
      );
      experimentId = created.experiment_id;
    }
    return experimentId;
  }

  private target(pipeline: PipelineEntityV1alpha1) {
    const { id, namespace } = pipeline.spec.orchestrator;
    if (!PIPELINE_ID.test(id ?? '')) {
      throw new PipelineOrchestratorError(
        'invalid',
        `Invalid Kubeflow pipeline id "${id}" in spec.orchestrator.id`,
      );
    }
    if (namespace !== undefined && !isDnsLabel(namespace)) {
      throw new PipelineOrchestratorError(
        'invalid',
        `Invalid Kubeflow namespace "${namespace}" in spec.orchestrator.namespace`,
      );
    }
    return { id, namespace };
  }

  private toRun(r: KfpRun, now: number): PipelineRun {
    const raw = r.state ?? 'RUNTIME_STATE_UNSPECIFIED';
    const history = r.state_history ?? [];
    const startedAt =
      isoTime(history.find(h => h.state === 'RUNNING')?.update_time) ??
      (raw === 'PENDING' ? undefined : isoTime(r.scheduled_at));
    // KFP reports an unset finished_at as the Unix epoch.
    const finishedAt = FINISHED.has(raw)
      ? isoTime(
          r.finished_at?.startsWith('1970-01-01') ? undefined : r.finished_at,
        )
      : undefined;
    const parameters = stringifyParameters(r.runtime_config?.parameters);
    const trigger: PipelineRunTrigger =
      parseTriggerNote(r.description) ??
      (r.recurring_run_id
        ? { type: 'schedule', by: `recurring run ${r.recurring_run_id}` }
        : { type: 'manual' });
    const link = `${this.uiUrl}/#/runs/details/${encodeURIComponent(r.run_id)}`;
    return {
      id: r.run_id,
      name: r.display_name,
      status: STATUS[raw] ?? 'unknown',
      rawStatus: raw,
      message: raw === 'FAILED' ? r.error?.message : undefined,
      createdAt: isoTime(r.created_at),
      startedAt,
      finishedAt,
      durationSeconds:
        FINISHED.has(raw) && !finishedAt
          ? undefined
          : durationSeconds(startedAt, finishedAt, now),
      trigger,
      parameters,
      // Training pipelines here take the version to register as a parameter;
      // only a successful run has registered it.
      producedModelVersion:
        raw === 'SUCCEEDED' ? parameters.model_version || undefined : undefined,
      logsUrl: link,
      uiUrl: link,
    };
  }
}
