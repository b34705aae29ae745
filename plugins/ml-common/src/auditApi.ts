/**
 * How an audited action ended: done, failed while doing it, or refused
 * before anything changed (permission, quota, bad input).
 *
 * @public
 */
export type MlAuditOutcome = 'succeeded' | 'failed' | 'refused';

/**
 * The actions the ML backend audits. Each is named after the permission that
 * guards it; `ml.notebook.stop|start|delete` are guarded by
 * `ml.notebook.manage`, `ml.alert.action` by the permission of what the
 * alert's action does (e.g. `ml.pipeline.run`); `ml.registry.event` is a
 * registry's signed webhook delivery (actor `mlflow:<registry>`);
 * `ml.notebook.idle-warn` is the idle policy's notice to an owner (actor
 * `plugin:ml`), `ml.notebook.idle-policy` an owner's opt-out, guarded by
 * `ml.notebook.manage`. `ml.tensorboard.create` starts a run's TensorBoard on
 * a Kubeflow cluster, guarded by `ml.notebook.create` on its namespace.
 *
 * @public
 */
export const ML_AUDIT_ACTIONS = [
  'ml.notebook.create',
  'ml.notebook.stop',
  'ml.notebook.start',
  'ml.notebook.delete',
  'ml.notebook.idle-warn',
  'ml.notebook.idle-policy',
  'ml.tensorboard.create',
  'ml.model.promote',
  'ml.model.rollout',
  'ml.model.deploy',
  'ml.pipeline.run',
  'ml.alert.action',
  'ml.registry.event',
] as const;

/**
 * One row of the ML audit trail (`GET /api/ml/audit`).
 *
 * @public
 */
export interface MlAuditEvent {
  id: number;
  /** ISO 8601, UTC. */
  occurredAt: string;
  /** Entity ref of the user, or the service principal's subject. */
  actor: string;
  /** One of {@link ML_AUDIT_ACTIONS}. */
  action: string;
  /** What was acted upon: an entity ref, or `notebook:<cluster>/<namespace>/<name>`. */
  targetRef: string;
  outcome: MlAuditOutcome;
  /** Action-specific facts (alias, versions, GPUs, ...); never secrets. */
  details: Record<string, unknown>;
  /** Why it failed or was refused. */
  error?: string;
}

/**
 * Query of `GET /api/ml/audit`; every field narrows the result.
 *
 * @public
 */
export interface MlAuditQuery {
  /** Exact actor, e.g. `user:default/alice`. */
  actor?: string;
  /** Exact action, e.g. `ml.model.promote`. */
  action?: string;
  /** Exact target, e.g. `model:default/fraud-detector`. */
  entity?: string;
  outcome?: MlAuditOutcome;
  /** ISO 8601; events at or after this instant. */
  from?: string;
  /** ISO 8601; events before this instant. */
  to?: string;
  /** Page size, 1-500; 50 when absent. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * Response of `GET /api/ml/audit`: newest first, one page.
 *
 * @public
 */
export interface MlAuditEventsResponse {
  items: MlAuditEvent[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
  /**
   * `all` when the caller may read everyone's events (`ml.audit.read`),
   * `own` when the result is limited to the caller's own actions.
   */
  scope: 'all' | 'own';
}
