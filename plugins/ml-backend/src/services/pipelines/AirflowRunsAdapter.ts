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

/** `DAGRun` fields of the stable REST API the adapter reads. */
interface AirflowDagRun {
  dag_run_id: string;
  state?: string;
  run_type?: string;
  logical_date?: string;
  execution_date?: string;
  data_interval_end?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  conf?: Record<string, unknown> | null;
  note?: string | null;
}

interface AirflowDag {
  dag_id: string;
  is_paused?: boolean;
}

const STATUS: Record<string, PipelineRunStatus> = {
  queued: 'pending',
  running: 'running',
  success: 'succeeded',
  failed: 'failed',
};
// Airflow's KEY_REGEX for DAG ids.
const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;
// The stable API's default maximum_page_limit.
const MAX_LIMIT = 100;
const PAUSED_MESSAGE =
  'The DAG is paused in Airflow: the run stays queued until it is unpaused';

/**
 * Runs of Airflow DAGs over Airflow's stable REST API v1 (Airflow 2.5 or
 * later, for run notes). `spec.orchestrator.id` is the DAG id. Runs started
 * here carry their parameters as `conf` and who started them in the run's
 * note.
 *
 * @public
 */
export class AirflowRunsAdapter implements PipelineRunsAdapter {
  readonly type = 'airflow';

  /**
   * Creates the adapter: basic auth with `username`/`password`, or a bearer
   * `token`; `uiUrl` is the Airflow webserver when it is not at `url`.
   */
  static create(options: {
    url: string;
    username?: string;
    password?: string;
    token?: string;
    uiUrl?: string;
    timeoutMs?: number;
    logger: LoggerService;
  }): AirflowRunsAdapter {
    return new AirflowRunsAdapter(
      new OrchestratorHttpClient({
        product: 'Airflow',
        url: options.url,
        token: options.token,
        username: options.username,
        password: options.password,
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        errorDetail: body =>
          [body?.title, body?.detail]
            .filter(x => typeof x === 'string' && x)
            .join(' - ') || undefined,
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
    const dagId = this.dagId(options.pipeline);
    const limit = clampLimit(options.limit, MAX_LIMIT);
    // Listing the runs of an unknown DAG answers an empty list; the DAG
    // itself answers 404, and whether it is paused.
    const [dag, page] = await Promise.all([
      this.dag(dagId),
      this.http.request<{ dag_runs?: AirflowDagRun[] }>(
        'GET',
        `/api/v1/dags/${encodeURIComponent(dagId)}/dagRuns`,
        `listing runs of DAG "${dagId}"`,
        { query: { order_by: '-execution_date', limit: String(limit) } },
      ),
    ]);
    const now = Date.now();
    return (page.dag_runs ?? [])
      .slice(0, limit)
      .map(r => this.toRun(dagId, r, dag, now));
  }

  async startRun(options: {
    pipeline: PipelineEntityV1alpha1;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }): Promise<PipelineRun> {
    const dagId = this.dagId(options.pipeline);
    const conf = validateRunParameters(options.parameters, 'Airflow');
    const dag = await this.dag(dagId);
    // Airflow names the run manual__<logical date> itself.
    const created = await this.http.request<AirflowDagRun>(
      'POST',
      `/api/v1/dags/${encodeURIComponent(dagId)}/dagRuns`,
      `triggering DAG "${dagId}"`,
      { body: { conf, note: formatTriggerNote(options.trigger) } },
    );
    return this.toRun(dagId, created, dag, Date.now());
  }

  private dag(dagId: string): Promise<AirflowDag> {
    return this.http.request<AirflowDag>(
      'GET',
      `/api/v1/dags/${encodeURIComponent(dagId)}`,
      `reading DAG "${dagId}"`,
    );
  }

  private dagId(pipeline: PipelineEntityV1alpha1): string {
    const id = pipeline.spec.orchestrator.id;
    if (!DAG_ID.test(id ?? '')) {
      throw new PipelineOrchestratorError(
        'invalid',
        `Invalid Airflow DAG id "${id}" in spec.orchestrator.id: letters, digits, _ . - only`,
      );
    }
    return id;
  }

  private toRun(
    dagId: string,
    r: AirflowDagRun,
    dag: AirflowDag,
    now: number,
  ): PipelineRun {
    const raw = r.state ?? 'none';
    const logical = isoTime(r.logical_date ?? r.execution_date);
    const startedAt = isoTime(r.start_date);
    const finishedAt = isoTime(r.end_date);
    const link = `${this.uiUrl}/dags/${encodeURIComponent(
      dagId,
    )}/grid?dag_run_id=${encodeURIComponent(r.dag_run_id)}`;
    return {
      id: r.dag_run_id,
      name: r.dag_run_id,
      status: STATUS[raw] ?? 'unknown',
      rawStatus: raw,
      message: raw === 'queued' && dag.is_paused ? PAUSED_MESSAGE : undefined,
      // A scheduled run's logical date is the start of its data interval;
      // it is created when the interval ends.
      createdAt:
        r.run_type === 'scheduled'
          ? isoTime(r.data_interval_end) ?? logical
          : logical,
      startedAt,
      finishedAt,
      durationSeconds:
        (raw === 'success' || raw === 'failed') && !finishedAt
          ? undefined
          : durationSeconds(startedAt, finishedAt, now),
      trigger: parseTriggerNote(r.note) ?? triggerOfRunType(r.run_type),
      parameters: stringifyParameters(r.conf),
      logsUrl: link,
      uiUrl: link,
    };
  }
}

function triggerOfRunType(runType: string | undefined): PipelineRunTrigger {
  switch (runType) {
    case 'scheduled':
      return { type: 'schedule' };
    case 'dataset_triggered':
      return { type: 'schedule', by: 'dataset update' };
    case 'manual':
    case 'backfill':
      return { type: 'manual' };
    default:
      return { type: 'unknown' };
  }
}
