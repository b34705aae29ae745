import { createExtensionPoint } from '@backstage/backend-plugin-api';

/**
 * A firing or resolved alert as Alertmanager's webhook delivers it.
 *
 * @public
 */
export interface MlAlert {
  status: 'firing' | 'resolved';
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
}

/**
 * What an alert action did, recorded in the audit trail and shown on the
 * Model page.
 *
 * @public
 */
export interface MlAlertActionResult {
  /** One line for people, e.g. "started retraining job fraud-retrain-x7k2". */
  summary: string;
  /** Reference to what was started, if anything. */
  ref?: string;
}

/**
 * An automated reaction to an alert, chosen by config rules such as
 * "alertname=ModelDriftHigh -> retrain".
 *
 * @public
 */
export interface MlAlertAction {
  /** Action id used in config, e.g. `retrain`. */
  id: string;
  run(options: {
    alert: MlAlert;
    /** The entity the alert concerns, e.g. `model:ml/fraud-detector`. */
    entityRef: string;
    /** Parameters from the config rule. */
    params: Record<string, unknown>;
  }): Promise<MlAlertActionResult>;
}

/**
 * Lets backend modules add alert actions to the webhook receiver.
 *
 * @public
 */
export interface MlAlertActionsExtensionPoint {
  addAlertAction(...actions: MlAlertAction[]): void;
}

/**
 * Extension point for {@link MlAlertActionsExtensionPoint}.
 *
 * @public
 */
export const mlAlertActionsExtensionPoint =
  createExtensionPoint<MlAlertActionsExtensionPoint>({
    id: 'ml.alertActions',
  });
