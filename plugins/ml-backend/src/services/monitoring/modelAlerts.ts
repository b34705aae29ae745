import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  LabelMatcher,
  ModelHealthAlert,
  ModelHealthSource,
} from '@mlplatform/plugin-ml-common';
import type { AlertmanagerClient } from './AlertmanagerClient';

/**
 * The firing alerts of a Model and where Alertmanager stood.
 *
 * @internal
 */
export interface ModelAlerts {
  alerts: ModelHealthAlert[];
  alertmanager: ModelHealthSource;
}

/**
 * The alerts matching a Model's alert matchers, oldest first. Failures do
 * not throw: the verdict is still judged from the metrics, and the source
 * says Alertmanager was `unreachable` (network, 5xx) or answered an `error`.
 *
 * @internal
 */
export async function readModelAlerts(
  alertmanager: AlertmanagerClient | undefined,
  matchers: LabelMatcher[],
  logger: LoggerService,
): Promise<ModelAlerts> {
  if (!alertmanager) {
    return { alerts: [], alertmanager: { state: 'not-configured' } };
  }
  try {
    const raw = await alertmanager.getAlerts({ matchers });
    const alerts = raw
      .map(
        (a): ModelHealthAlert => ({
          name: a.labels.alertname ?? '(unnamed)',
          severity: a.labels.severity ?? 'none',
          summary: a.annotations?.summary ?? a.annotations?.description,
          startsAt: a.startsAt,
          fingerprint: a.fingerprint,
          generatorURL: a.generatorURL || undefined,
          labels: a.labels,
        }),
      )
      .sort(
        (x, y) =>
          x.startsAt.localeCompare(y.startsAt) ||
          x.fingerprint.localeCompare(y.fingerprint),
      );
    return { alerts, alertmanager: { state: 'ok' } };
  } catch (error) {
    logger.warn(`Reading alerts failed: ${(error as Error).message}`);
    const status = (error as { status?: number }).status ?? 0;
    return {
      alerts: [],
      alertmanager: {
        state: status === 0 || status >= 500 ? 'unreachable' : 'error',
        message: (error as Error).message,
      },
    };
  }
}
