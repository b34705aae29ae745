import type { AirflowDagRunSeed, AirflowDagSeed } from './airflow';
import type { KfpPipelineSeed, KfpRunSeed } from './kubeflowPipelines';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The latest time at hh:mm UTC on or before `now`, `daysBack` days earlier. */
function dailyAt(now: Date, hour: number, minute: number, daysBack = 0) {
  const t = new Date(now);
  t.setUTCHours(hour, minute, 0, 0);
  if (t.getTime() > now.getTime()) t.setTime(t.getTime() - DAY);
  return new Date(t.getTime() - daysBack * DAY);
}

/** The latest Sunday at hh:mm UTC on or before `now`, `weeksBack` weeks earlier. */
function sundayAt(now: Date, hour: number, weeksBack = 0) {
  const t = dailyAt(now, hour, 0);
  t.setTime(t.getTime() - t.getUTCDay() * DAY);
  return new Date(t.getTime() - weeksBack * 7 * DAY);
}

const plus = (t: Date, ms: number) => new Date(t.getTime() + ms);

// A run planned to end after `now` is still going (or not started yet).
function settleKfp(run: KfpRunSeed, now: Date): KfpRunSeed {
  if (run.started_at && run.started_at > now) {
    return {
      ...run,
      state: 'PENDING',
      started_at: undefined,
      finished_at: undefined,
      error_message: undefined,
    };
  }
  if (run.finished_at && run.finished_at > now) {
    return {
      ...run,
      state: 'RUNNING',
      finished_at: undefined,
      error_message: undefined,
    };
  }
  return run;
}

function settleAirflow(run: AirflowDagRunSeed, now: Date): AirflowDagRunSeed {
  if (run.start_date && run.start_date > now) {
    return {
      ...run,
      state: 'queued',
      start_date: undefined,
      end_date: undefined,
    };
  }
  if (run.end_date && run.end_date > now) {
    return { ...run, state: 'running', end_date: undefined };
  }
  return run;
}

/**
 * What the ML backend writes on runs it starts (Kubeflow description,
 * Airflow note), so demo runs show who started them.
 */
function portalNote(by: string) {
  return `Started from the ML portal by ${by}. [ml-portal-trigger ${JSON.stringify(
    { type: 'manual', by },
  )}]`;
}

const RECSYS_RECURRING_RUN = '3f0c6d1e-7a52-4b8e-9d0f-2c41a9e5b7d3';
const INTENT_RECURRING_RUN = 'b8e2a4c9-15d7-4f36-8a0b-6e9c3d2f1a58';

/**
 * Pipelines and runs of the demo's Kubeflow Pipelines pipelines
 * (examples/ml: intent-classifier-training, recsys-ranker-training), with
 * times relative to `now`.
 *
 * @public
 */
export function demoKubeflowSeed(now: Date = new Date()): {
  pipelines: KfpPipelineSeed[];
  runs: KfpRunSeed[];
} {
  const recsysParams = {
    learning_rate: 0.0005,
    epochs: 12,
    embedding_dim: 128,
    train_window_days: 28,
  };
  const recsys: KfpRunSeed[] = [
    {
      pipeline_id: 'recsys-ranker-training',
      display_name: 'recsys-ranker-training larger embeddings',
      description: portalNote('user:default/carol'),
      state: 'RUNNING',
      created_at: plus(now, -26 * MINUTE),
      started_at: plus(now, -25 * MINUTE),
      parameters: {
        ...recsysParams,
        embedding_dim: 256,
        model_version: 'v15',
      },
    },
    ...[0, 1, 2, 3, 4].map((day): KfpRunSeed => {
      const created = dailyAt(now, 2, 0, day);
      const failed = day === 1;
      return {
        pipeline_id: 'recsys-ranker-training',
        display_name: `Run of recsys-ranker-nightly (${created
          .toISOString()
          .slice(0, 10)})`,
        state: failed ? 'FAILED' : 'SUCCEEDED',
        created_at: created,
        started_at: plus(created, 40_000),
        finished_at: plus(
          created,
          failed ? 38 * MINUTE : (100 + day * 3) * MINUTE,
        ),
        parameters: recsysParams,
        recurring_run_id: RECSYS_RECURRING_RUN,
        error_message: failed
          ? 'train-ranker: pod recsys-ranker-training-7xk2p-system-container-impl OOMKilled (exit code 137) on node gpu-a-07'
          : undefined,
      };
    }),
    {
      pipeline_id: 'recsys-ranker-training',
      display_name: 'recsys-ranker-training retrain after catalog fix',
      description: portalNote('user:default/dave'),
      state: 'SUCCEEDED',
      created_at: plus(dailyAt(now, 2, 0, 2), 9 * HOUR),
      started_at: plus(dailyAt(now, 2, 0, 2), 9 * HOUR + 50_000),
      finished_at: plus(dailyAt(now, 2, 0, 2), 10 * HOUR + 44 * MINUTE),
      parameters: { ...recsysParams, model_version: 'v14' },
    },
  ];

  const intentParams = {
    base_model: 'distilbert-base-uncased',
    learning_rate: 0.00003,
    epochs: 4,
    max_seq_len: 256,
  };
  const intent: KfpRunSeed[] = [
    ...[0, 1, 2, 3].map((week): KfpRunSeed => {
      const created = sundayAt(now, 4, week);
      const failed = week === 2;
      return {
        pipeline_id: 'intent-classifier-training',
        display_name: `Run of intent-classifier-weekly (${created
          .toISOString()
          .slice(0, 10)})`,
        state: failed ? 'FAILED' : 'SUCCEEDED',
        created_at: created,
        started_at: plus(created, 75_000),
        finished_at: plus(created, failed ? 12 * MINUTE : 53 * MINUTE),
        parameters: intentParams,
        recurring_run_id: INTENT_RECURRING_RUN,
        error_message: failed
          ? 'Failed to pull image "registry.example.com/nlp/intent-trainer:2.3.1": rpc error: code = NotFound'
          : undefined,
      };
    }),
    {
      pipeline_id: 'intent-classifier-training',
      display_name: 'intent-classifier-training 42 queues',
      description: portalNote('user:default/erin'),
      state: 'SUCCEEDED',
      created_at: plus(sundayAt(now, 4, 1), 2 * DAY + 3 * HOUR),
      started_at: plus(sundayAt(now, 4, 1), 2 * DAY + 3 * HOUR + MINUTE),
      finished_at: plus(sundayAt(now, 4, 1), 2 * DAY + 4 * HOUR),
      parameters: { ...intentParams, epochs: 6, model_version: 'v7' },
    },
    {
      pipeline_id: 'intent-classifier-training',
      display_name: 'intent-classifier-training lr sweep',
      description: portalNote('user:default/frank'),
      state: 'CANCELED',
      created_at: plus(sundayAt(now, 4, 2), DAY + 5 * HOUR),
      started_at: plus(sundayAt(now, 4, 2), DAY + 5 * HOUR + MINUTE),
      finished_at: plus(sundayAt(now, 4, 2), DAY + 5 * HOUR + 9 * MINUTE),
      parameters: { ...intentParams, learning_rate: 0.0001 },
    },
  ];

  return {
    pipelines: [
      {
        pipeline_id: 'intent-classifier-training',
        display_name: 'intent-classifier-training',
        description: 'Fine-tunes the support-ticket intent classifier.',
        namespace: 'nlp',
      },
      {
        pipeline_id: 'recsys-ranker-training',
        display_name: 'recsys-ranker-training',
        description: 'Trains the product ranker and the item embeddings.',
        namespace: 'recsys',
      },
    ],
    runs: [...recsys, ...intent]
      .filter(r => r.created_at <= now)
      .map(r => settleKfp(r, now)),
  };
}

/**
 * DAGs and DAG runs of the demo's Airflow pipelines (examples/ml:
 * fraud_features_daily, support_ticket_curation), with times relative to
 * `now`.
 *
 * @public
 */
export function demoAirflowSeed(now: Date = new Date()): {
  dags: AirflowDagSeed[];
  runs: AirflowDagRunSeed[];
} {
  const scheduledDaily = (
    dagId: string,
    hour: number,
    minute: number,
    days: number[],
    minutes: (day: number) => number,
    failedDay: number,
  ) =>
    days.map((day): AirflowDagRunSeed => {
      const due = dailyAt(now, hour, minute, day);
      const start = plus(due, 6_000);
      return {
        dag_id: dagId,
        run_type: 'scheduled',
        state: day === failedDay ? 'failed' : 'success',
        logical_date: plus(due, -DAY),
        data_interval_end: due,
        start_date: start,
        end_date: plus(start, minutes(day) * MINUTE),
      };
    });

  const fraud: AirflowDagRunSeed[] = [
    {
      dag_id: 'fraud_features_daily',
      run_type: 'manual',
      state: 'running',
      logical_date: plus(now, -7 * MINUTE),
      start_date: plus(now, -6 * MINUTE),
      conf: { start_date: '2026-11-01', full_refresh: 'true' },
      note: portalNote('user:default/alice'),
    },
    ...scheduledDaily(
      'fraud_features_daily',
      1,
      0,
      [0, 1, 2, 3, 4, 5],
      day => 21 + (day % 3) * 2,
      2,
    ),
  ];
  const tickets: AirflowDagRunSeed[] = [
    ...scheduledDaily(
      'support_ticket_curation',
      0,
      30,
      [0, 1, 2, 3, 4],
      day => 9 + day,
      3,
    ),
    {
      dag_id: 'support_ticket_curation',
      run_type: 'manual',
      state: 'success',
      logical_date: plus(dailyAt(now, 0, 30, 3), 6 * HOUR),
      start_date: plus(dailyAt(now, 0, 30, 3), 6 * HOUR + 4_000),
      end_date: plus(dailyAt(now, 0, 30, 3), 6 * HOUR + 14 * MINUTE),
      conf: { redact_pii: 'strict' },
      note: 'Re-run after the PII redaction rules were fixed.',
    },
  ];

  return {
    dags: [
      {
        dag_id: 'fraud_features_daily',
        description: 'Nightly feature computation into the feature store.',
        schedule: '0 1 * * *',
        owners: ['fraud-team'],
        tags: ['fraud', 'features'],
      },
      {
        dag_id: 'support_ticket_curation',
        description: 'Curates and redacts support tickets for training.',
        schedule: '30 0 * * *',
        owners: ['nlp-team'],
        tags: ['nlp', 'curation'],
      },
    ],
    runs: [...fraud, ...tickets]
      .filter(r => r.logical_date <= now)
      .map(r => settleAirflow(r, now)),
  };
}
