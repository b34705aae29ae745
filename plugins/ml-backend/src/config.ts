// The one reader of the \`ml\` config section (a little over 400 lines on
// purpose): every key is checked at startup here, so a bad config names its
// key before the backend serves anything. Shared rules come from ml-common
// (URLs, registries, label names); logs read their part in logsConfig.ts.
import { Config } from '@backstage/config';
import { LogsConfig, readLogsConfig } from './services/logs/logsConfig';
import { InputError } from '@backstage/errors';
import {
  LABEL_NAME_PATTERN,
  MlRegistryConfig,
  readMlConfigUrl,
  readMlRegistries,
} from '@mlplatform/plugin-ml-common';

/** @internal */
export interface ClusterConfig {
  name: string;
  url?: string;
  token?: string;
  caData?: string;
  caFile?: string;
  kubeconfig?: string;
  context?: string;
  serviceAccount: boolean;
  skipTLSVerify: boolean;
  /** Where a notebook opens; `{{namespace}}` and `{{name}}` are filled in. */
  notebookUrl?: string;
}

/** @internal */
export interface KubernetesSettings {
  /** Namespace label (or annotation) naming the owning team. */
  teamLabel: string;
  /** How long quota data of a cluster is cached, in seconds. */
  refreshSeconds: number;
  /** Timeout of one request to a cluster's API server, in milliseconds. */
  requestTimeoutMs: number;
  /**
   * How long a notebook creation may take to write its objects before it
   * counts as abandoned (its replica died) and is cleaned up, in seconds.
   */
  creationTimeoutSeconds: number;
}

/** An entry of `ml.registries`, as ml-common's one reader reads it. @internal */
export type RegistryConfig = MlRegistryConfig;

/** @internal */
export interface HttpServiceConfig {
  url: string;
  token?: string;
}

/** @internal */
export interface KubeflowConfig {
  url: string;
  token?: string;
  uiUrl?: string;
  timeoutMs?: number;
}

/** @internal */
export interface AirflowConfig {
  url: string;
  username?: string;
  password?: string;
  token?: string;
  uiUrl?: string;
  timeoutMs?: number;
}

/** Settings of the pipeline-runs adapters (`ml.pipelines`). @internal */
export interface PipelinesConfig {
  kubernetesJob: { logsUrl?: string };
  argo: { uiUrl?: string };
  kubeflow?: KubeflowConfig;
  airflow?: AirflowConfig;
}

/** "When an alert with these labels fires, run this action." @internal */
export interface AlertRule {
  /** Label values the alert must have, all of them. */
  match: Record<string, string>;
  /** Action id: `retrain` or one added through mlAlertActionsExtensionPoint. */
  action: string;
  params: Record<string, unknown>;
}

/** The alert webhook receiver (`ml.alerts`). @internal */
export interface AlertsConfig {
  /** Absent: the webhook answers 404. */
  webhook?: { secret: string };
  rateLimit: { maxPerModel: number; windowMinutes: number };
  rules: AlertRule[];
}

/** @internal */
export interface MlConfig {
  clusters: ClusterConfig[];
  kubernetes: KubernetesSettings;
  registries: RegistryConfig[];
  prometheus?: HttpServiceConfig;
  alertmanager?: HttpServiceConfig;
  pipelines: PipelinesConfig;
  alerts: AlertsConfig;
  logs: LogsConfig;
}

function readHttpService(
  config: Config | undefined,
  path: string,
): HttpServiceConfig | undefined {
  if (!config) return undefined;
  return {
    url: readMlConfigUrl(config, 'url', path),
    token: config.getOptionalString('token'),
  };
}

const NOTEBOOK_URL_PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

function readNotebookUrl(config: Config, index: number): string | undefined {
  const template = config.getOptionalString('notebookUrl');
  if (template === undefined) return undefined;
  const key = `ml.kubernetes.clusters[${index}].notebookUrl`;
  const unknown = [...template.matchAll(NOTEBOOK_URL_PLACEHOLDER)]
    .map(m => m[1])
    .filter(p => p !== 'namespace' && p !== 'name');
  if (unknown.length) {
    throw new InputError(
      `ml config: ${key} has unknown placeholder(s) ${unknown
        .map(p => `{{${p}}}`)
        .join(', ')}; only {{namespace}} and {{name}} are filled in`,
    );
  }
  const sample = fillNotebookUrl(template, { namespace: 'ns', name: 'nb' });
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    throw new InputError(`ml config: ${key} is not a URL: "${template}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `ml config: ${key} must be http(s), got ${url.protocol}`,
    );
  }
  return template;
}

/**
 * Fills `{{namespace}}` and `{{name}}` of a notebook URL template. Both are
 * DNS-1123 labels, so they need no escaping.
 *
 * @internal
 */
export function fillNotebookUrl(
  template: string,
  values: { namespace: string; name: string },
): string {
  return template.replace(NOTEBOOK_URL_PLACEHOLDER, (_m, key: string) =>
    key === 'namespace' ? values.namespace : values.name,
  );
}

const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function readKubernetesSettings(
  config: Config | undefined,
): KubernetesSettings {
  const teamLabel =
    config?.getOptionalString('teamLabel') ?? 'mlplatform.io/team';
  if (!LABEL_KEY.test(teamLabel) || teamLabel.length > 316) {
    throw new InputError(
      `ml config: ml.kubernetes.teamLabel is not a Kubernetes label key: "${teamLabel}"`,
    );
  }
  const refreshSeconds = config?.getOptionalNumber('refreshSeconds') ?? 30;
  if (
    !Number.isFinite(refreshSeconds) ||
    refreshSeconds < 0 ||
    refreshSeconds > 3600
  ) {
    throw new InputError(
      `ml config: ml.kubernetes.refreshSeconds must be between 0 and 3600, got ${refreshSeconds}`,
    );
  }
  const timeoutSeconds =
    config?.getOptionalNumber('requestTimeoutSeconds') ?? 10;
  if (
    !Number.isFinite(timeoutSeconds) ||
    timeoutSeconds <= 0 ||
    timeoutSeconds > 300
  ) {
    throw new InputError(
      `ml config: ml.kubernetes.requestTimeoutSeconds must be more than 0 and at most 300, got ${timeoutSeconds}`,
    );
  }
  const creationTimeoutSeconds =
    config?.getOptionalNumber('creationTimeoutSeconds') ?? 120;
  if (
    !Number.isFinite(creationTimeoutSeconds) ||
    creationTimeoutSeconds < 1 ||
    creationTimeoutSeconds > 3600
  ) {
    throw new InputError(
      `ml config: ml.kubernetes.creationTimeoutSeconds must be between 1 and 3600, got ${creationTimeoutSeconds}`,
    );
  }
  return {
    teamLabel,
    refreshSeconds,
    requestTimeoutMs: Math.round(timeoutSeconds * 1000),
    creationTimeoutSeconds,
  };
}

function readCluster(config: Config, index: number): ClusterConfig {
  const cluster: ClusterConfig = {
    name: config.getString('name'),
    url: config.has('url')
      ? readMlConfigUrl(config, 'url', `ml.kubernetes.clusters[${index}]`)
      : undefined,
    token: config.getOptionalString('token'),
    caData: config.getOptionalString('caData'),
    caFile: config.getOptionalString('caFile'),
    kubeconfig: config.getOptionalString('kubeconfig'),
    context: config.getOptionalString('context'),
    serviceAccount: config.getOptionalBoolean('serviceAccount') ?? false,
    skipTLSVerify: config.getOptionalBoolean('skipTLSVerify') ?? false,
    notebookUrl: readNotebookUrl(config, index),
  };
  const ways = [
    cluster.url,
    cluster.kubeconfig,
    cluster.serviceAccount || undefined,
  ].filter(Boolean).length;
  if (ways !== 1) {
    throw new InputError(
      `ml config: ml.kubernetes.clusters[${index}] (${cluster.name}) needs exactly one of url, kubeconfig or serviceAccount: true`,
    );
  }
  return cluster;
}

function readOptionalUrl(
  config: Config | undefined,
  key: string,
  path: string,
) {
  return config?.has(key) ? readMlConfigUrl(config, key, path) : undefined;
}

function readNumber(
  config: Config | undefined,
  key: string,
  path: string,
  range: { min: number; max: number; integer?: boolean },
): number | undefined {
  const value = config?.getOptionalNumber(key);
  if (value === undefined) return undefined;
  if (
    !Number.isFinite(value) ||
    value < range.min ||
    value > range.max ||
    (range.integer && !Number.isInteger(value))
  ) {
    throw new InputError(
      `ml config: ${path}.${key} must be ${
        range.integer ? 'a whole number ' : ''
      }between ${range.min} and ${range.max}, got ${value}`,
    );
  }
  return value;
}

const TIMEOUT_RANGE = { min: 1, max: 300_000, integer: true };

function readPipelines(config: Config | undefined): PipelinesConfig {
  const path = 'ml.pipelines';
  const kubeflow = config?.getOptionalConfig('kubeflow');
  const airflow = config?.getOptionalConfig('airflow');
  const result: PipelinesConfig = {
    kubernetesJob: {
      logsUrl: config?.getOptionalString('kubernetesJob.logsUrl'),
    },
    argo: {
      uiUrl: readOptionalUrl(
        config?.getOptionalConfig('argo'),
        'uiUrl',
        `${path}.argo`,
      ),
    },
  };
  const logsUrl = result.kubernetesJob.logsUrl;
  if (logsUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(logsUrl)) {
    throw new InputError(
      `ml config: ${path}.kubernetesJob.logsUrl must be an http(s) URL, got "${logsUrl}"`,
    );
  }
  if (kubeflow) {
    const p = `${path}.kubeflow`;
    result.kubeflow = {
      url: readMlConfigUrl(kubeflow, 'url', p),
      token: kubeflow.getOptionalString('token'),
      uiUrl: readOptionalUrl(kubeflow, 'uiUrl', p),
      timeoutMs: readNumber(kubeflow, 'timeoutMs', p, TIMEOUT_RANGE),
    };
  }
  if (airflow) {
    const p = `${path}.airflow`;
    result.airflow = {
      url: readMlConfigUrl(airflow, 'url', p),
      username: airflow.getOptionalString('username'),
      password: airflow.getOptionalString('password'),
      token: airflow.getOptionalString('token'),
      uiUrl: readOptionalUrl(airflow, 'uiUrl', p),
      timeoutMs: readNumber(airflow, 'timeoutMs', p, TIMEOUT_RANGE),
    };
    const { username, password, token } = result.airflow;
    if (Boolean(username) !== Boolean(password)) {
      throw new InputError(
        `ml config: ${p}.username and ${p}.password go together; set both or neither`,
      );
    }
    if (token && username) {
      throw new InputError(
        `ml config: ${p} has both token and username/password; set one`,
      );
    }
  }
  return result;
}

const ACTION_ID = /^[a-z][a-z0-9-]*(:[a-z0-9-]+)*$/;

function readAlertRule(config: Config, index: number): AlertRule {
  const path = `ml.alerts.rules[${index}]`;
  const match = config.getConfig('match');
  const labels: Record<string, string> = {};
  for (const key of match.keys()) {
    if (!LABEL_NAME_PATTERN.test(key)) {
      throw new InputError(
        `ml config: ${path}.match has "${key}", which is not a Prometheus label name`,
      );
    }
    labels[key] = match.getString(key);
  }
  if (Object.keys(labels).length === 0) {
    throw new InputError(
      `ml config: ${path}.match needs at least one label, e.g. alertname: ModelDriftHigh`,
    );
  }
  const action = config.getString('action');
  if (!ACTION_ID.test(action)) {
    throw new InputError(
      `ml config: ${path}.action "${action}" is not an action id like retrain`,
    );
  }
  const params = config.getOptional('params') ?? {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new InputError(`ml config: ${path}.params must be an object`);
  }
  return { match: labels, action, params: params as Record<string, unknown> };
}

/** Shortest accepted webhook secret, in characters. @internal */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

function readAlerts(config: Config | undefined): AlertsConfig {
  const webhook = config?.getOptionalConfig('webhook');
  let secret: string | undefined;
  if (webhook) {
    secret = webhook.getString('secret');
    if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw new InputError(
        `ml config: ml.alerts.webhook.secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`,
      );
    }
  }
  const rateLimit = config?.getOptionalConfig('rateLimit');
  return {
    webhook: secret ? { secret } : undefined,
    rateLimit: {
      maxPerModel:
        readNumber(rateLimit, 'maxPerModel', 'ml.alerts.rateLimit', {
          min: 1,
          max: 1000,
          integer: true,
        }) ?? 3,
      windowMinutes:
        readNumber(rateLimit, 'windowMinutes', 'ml.alerts.rateLimit', {
          min: 1,
          max: 7 * 24 * 60,
          integer: true,
        }) ?? 60,
    },
    rules: (config?.getOptionalConfigArray('rules') ?? []).map(readAlertRule),
  };
}

/**
 * Reads and checks the `ml` config section. Throws an InputError naming the
 * key for anything malformed, so a bad config stops the backend at startup
 * instead of failing later on a user's request.
 *
 * @internal
 */
export function readMlConfig(root: Config): MlConfig {
  const ml = root.getOptionalConfig('ml');
  const clusters = (
    ml?.getOptionalConfigArray('kubernetes.clusters') ?? []
  ).map(readCluster);
  const names = new Set<string>();
  for (const c of clusters) {
    if (names.has(c.name)) {
      throw new InputError(`ml config: cluster name "${c.name}" is used twice`);
    }
    names.add(c.name);
  }
  return {
    clusters,
    kubernetes: readKubernetesSettings(ml?.getOptionalConfig('kubernetes')),
    registries: readMlRegistries(root),
    prometheus: readHttpService(
      ml?.getOptionalConfig('prometheus'),
      'ml.prometheus',
    ),
    alertmanager: readHttpService(
      ml?.getOptionalConfig('alertmanager'),
      'ml.alertmanager',
    ),
    pipelines: readPipelines(ml?.getOptionalConfig('pipelines')),
    alerts: readAlerts(ml?.getOptionalConfig('alerts')),
    logs: readLogsConfig(ml?.getOptionalConfig('logs'), readMlConfigUrl),
  };
}
