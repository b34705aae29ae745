import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

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
}

/** @internal */
export interface RegistryConfig {
  name: string;
  type: 'oci' | 'mlflow';
  url: string;
  username?: string;
  password?: string;
  token?: string;
  caFile?: string;
}

/** @internal */
export interface HttpServiceConfig {
  url: string;
  token?: string;
}

/** @internal */
export interface MlConfig {
  clusters: ClusterConfig[];
  kubernetes: KubernetesSettings;
  registries: RegistryConfig[];
  prometheus?: HttpServiceConfig;
  alertmanager?: HttpServiceConfig;
}

function readUrl(config: Config, key: string, path: string): string {
  const value = config.getString(key);
  const name = `${path}.${key}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`ml config: ${name} is not a URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `ml config: ${name} must be http(s), got ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new InputError(
      `ml config: ${name} must not carry credentials; use the username/password/token keys`,
    );
  }
  return value.replace(/\/+$/, '');
}

function readHttpService(
  config: Config | undefined,
  path: string,
): HttpServiceConfig | undefined {
  if (!config) return undefined;
  return {
    url: readUrl(config, 'url', path),
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
  return {
    teamLabel,
    refreshSeconds,
    requestTimeoutMs: Math.round(timeoutSeconds * 1000),
  };
}

function readCluster(config: Config, index: number): ClusterConfig {
  const cluster: ClusterConfig = {
    name: config.getString('name'),
    url: config.has('url')
      ? readUrl(config, 'url', `ml.kubernetes.clusters[${index}]`)
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

function readRegistry(config: Config, index: number): RegistryConfig {
  const type = config.getString('type');
  if (type !== 'oci' && type !== 'mlflow') {
    throw new InputError(
      `ml config: registry "${config.getString(
        'name',
      )}" has type "${type}"; expected oci or mlflow`,
    );
  }
  return {
    name: config.getString('name'),
    type,
    url: readUrl(config, 'url', `ml.registries[${index}]`),
    username: config.getOptionalString('username'),
    password: config.getOptionalString('password'),
    token: config.getOptionalString('token'),
    caFile: config.getOptionalString('caFile'),
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
    registries: (ml?.getOptionalConfigArray('registries') ?? []).map(
      readRegistry,
    ),
    prometheus: readHttpService(
      ml?.getOptionalConfig('prometheus'),
      'ml.prometheus',
    ),
    alertmanager: readHttpService(
      ml?.getOptionalConfig('alertmanager'),
      'ml.alertmanager',
    ),
  };
}
