/**
 * The external systems the ML backend talks to.
 *
 * @public
 */
export type MlIntegrationId =
  | 'kubernetes'
  | 'registry'
  | 'prometheus'
  | 'alertmanager'
  | 'feast';

/**
 * Whether an integration is configured and, when it is, whether it answered.
 *
 * - `not-configured`: nothing under its config key; features that need it say so.
 * - `ok`: every configured target answered its readiness probe.
 * - `degraded`: some targets answered, some did not.
 * - `unreachable`: no target answered.
 *
 * @public
 */
export type MlIntegrationState =
  | 'not-configured'
  | 'ok'
  | 'degraded'
  | 'unreachable';

/**
 * One configured endpoint of an integration (a cluster, a registry, ...).
 * Holds no URL credentials and no secrets: this is shown in the browser.
 *
 * @public
 */
export interface MlIntegrationTarget {
  /** Name from config, e.g. the cluster name. */
  name: string;
  /** Host (and port) the backend contacts; no path, no credentials. */
  host: string;
  /** Whether the last probe succeeded. */
  reachable: boolean;
  /** Round trip of the last probe in milliseconds, when it answered. */
  latencyMs?: number;
  /** Why the probe failed, when it did. */
  error?: string;
}

/** @public */
export interface MlIntegrationStatus {
  id: MlIntegrationId;
  /** Human readable name, e.g. "Prometheus". */
  title: string;
  state: MlIntegrationState;
  /** The config key that configures it, shown in "not configured" hints. */
  configKey: string;
  targets: MlIntegrationTarget[];
}

/**
 * Response of `GET /api/ml/health`.
 *
 * @public
 */
export interface MlHealthResponse {
  /** Version of the ML backend plugin package. */
  version: string;
  /** When the integrations were last probed (ISO 8601). */
  checkedAt: string;
  integrations: MlIntegrationStatus[];
}
