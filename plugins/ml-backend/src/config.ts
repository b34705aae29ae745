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
