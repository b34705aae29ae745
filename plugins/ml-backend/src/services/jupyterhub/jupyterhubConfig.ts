import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** `ml.jupyterhub`, read and checked. @internal */
export interface JupyterHubConfig {
  /** Base URL the backend calls, without a trailing slash. */
  url: string;
  apiToken: string;
  /** Base URL the browser opens, without a trailing slash. */
  publicUrl: string;
  /** Cluster name → namespaces served (undefined: all of them). */
  serves: Map<string, Set<string> | undefined>;
  /** Images a notebook may ask for; any when undefined. */
  images?: string[];
  requestTimeoutMs: number;
}

function readBaseUrl(config: Config, key: string): string {
  const value = config.getString(key);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `ml config: ml.jupyterhub.${key} is not a URL: "${value}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `ml config: ml.jupyterhub.${key} must be http(s), got ${url.protocol}`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(
      `ml config: ml.jupyterhub.${key} must be a plain base URL (the token goes in apiToken)`,
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * Reads `ml.jupyterhub`; undefined when it is absent. Every cluster it
 * serves must be one of `ml.kubernetes.clusters`: that is where the team's
 * quota is read.
 *
 * @internal
 */
export function readJupyterHubConfig(
  root: Config,
  clusterNames: string[],
): JupyterHubConfig | undefined {
  const config = root.getOptionalConfig('ml.jupyterhub');
  if (!config) return undefined;
  const url = readBaseUrl(config, 'url');
  const serves = new Map<string, Set<string> | undefined>();
  for (const entry of config.getConfigArray('serves')) {
    const cluster = entry.getString('cluster');
    if (!clusterNames.includes(cluster)) {
      throw new InputError(
        `ml config: ml.jupyterhub.serves names cluster "${cluster}", which is not in ml.kubernetes.clusters (${
          clusterNames.join(', ') || 'none'
        })`,
      );
    }
    const namespaces = entry.getOptionalStringArray('namespaces');
    serves.set(cluster, namespaces ? new Set(namespaces) : undefined);
  }
  const timeout = config.getOptionalNumber('requestTimeoutSeconds') ?? 10;
  if (!(timeout > 0)) {
    throw new InputError(
      'ml config: ml.jupyterhub.requestTimeoutSeconds must be a positive number',
    );
  }
  return {
    url,
    apiToken: config.getString('apiToken'),
    publicUrl: config.has('publicUrl') ? readBaseUrl(config, 'publicUrl') : url,
    serves,
    images: config.getOptionalStringArray('images'),
    requestTimeoutMs: timeout * 1000,
  };
}

/** Whether JupyterHub runs the notebooks of this namespace. @internal */
export function jupyterHubServes(
  config: JupyterHubConfig | undefined,
  cluster: string,
  namespace: string,
): boolean {
  if (!config || !config.serves.has(cluster)) return false;
  const namespaces = config.serves.get(cluster);
  return !namespaces || namespaces.has(namespace);
}
