/**
 * Types of the ML backend's alert-actions API:
 * `GET /api/ml/models/:namespace/:name/alert-actions` (what the alert webhook
 * did for a Model) and the answer of `POST /api/ml/alerts/webhook`.
 * See docs/pipelines.md.
 */

/**
 * What the alert webhook did with one alert for one Model.
 *
 * - `started`: the action ran, e.g. a retraining run was started.
 * - `duplicate`: the same alert (fingerprint and start time) was handled
 *   before; nothing was started again.
 * - `rate-limited`: the Model had too many actions in the window
 *   (`ml.alerts.rateLimit`); nothing was started.
 * - `failed`: the action was tried and failed; `summary` says why.
 * - `no-match`: a rule matched the alert but no Model's
 *   `mlplatform.io/alert-selector` did.
 *
 * @public
 */
export type AlertActionStatus =
  | 'started'
  | 'duplicate'
  | 'rate-limited'
  | 'failed'
  | 'no-match';

/**
 * One action the alert webhook ran or refused for an alert.
 *
 * @public
 */
export interface AlertActionItem {
  /** The alert's `alertname` label. */
  alertname: string;
  /** Alertmanager's fingerprint of the alert. */
  fingerprint: string;
  /** When the alert started firing (ISO 8601), part of its identity. */
  startsAt: string;
  /** The action id, e.g. `retrain`. */
  action: string;
  status: AlertActionStatus;
  /** One line for people, e.g. "started run fraud-retrain-x7k2 of pipeline:default/fraud-training". */
  summary: string;
  /** The Model the alert concerns (absent for `no-match`). */
  entityRef?: string;
  /** The run the action started, when it started one. */
  runId?: string;
  /** The Pipeline the run belongs to. */
  pipelineRef?: string;
  /** When the action was handled (ISO 8601). */
  at: string;
}

/**
 * Answer of `GET /api/ml/models/:namespace/:name/alert-actions?limit=`,
 * newest first.
 *
 * @public
 */
export interface AlertActionsResponse {
  items: AlertActionItem[];
}

/**
 * Answer of `POST /api/ml/alerts/webhook`: one item per firing alert, Model
 * and matching rule action; resolved alerts are counted, not acted on.
 *
 * @public
 */
export interface AlertWebhookResponse {
  items: AlertActionItem[];
  /** Alerts in the delivery that were resolved, or firing but matched no rule. */
  ignored: number;
}
