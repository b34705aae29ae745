import { InputError } from '@backstage/errors';

/**
 * The part of `@backstage/config`'s `Config` that {@link readMlRegistries}
 * uses, so that this isomorphic package need not depend on it.
 *
 * @public
 */
export interface MlConfigReader {
  getOptionalConfigArray(key: string): MlConfigReader[] | undefined;
  getString(key: string): string;
  getOptionalString(key: string): string | undefined;
}

/**
 * One entry of `ml.registries`: where model (and dataset) versions live.
 *
 * @public
 */
export interface MlRegistryConfig {
  name: string;
  type: 'oci' | 'mlflow';
  /** http(s), without credentials and without a trailing slash. */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  /** Path of a PEM CA bundle for a registry with a private CA. */
  caFile?: string;
  /**
   * Secret of the registry's webhook to the portal (MLflow: the webhook's
   * `secret`, which signs each delivery); webhooks are refused without it.
   */
  webhookSecret?: string;
}

/**
 * Reads the http(s) URL of an upstream service from `ml` config (a
 * registry, Prometheus, a cluster, an orchestrator): the one URL rule of
 * the ML config, with the trailing slash removed. Credentials in the URL
 * are refused: they go in the entry's own keys, which are secret.
 *
 * @param path - Where `config` sits, for the message, e.g. `ml.registries[0]`.
 * @throws InputError naming `path.key` when the value is not such a URL.
 * @public
 */
export function readMlConfigUrl(
  config: Pick<MlConfigReader, 'getString'>,
  key: string,
  path: string,
): string {
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

/**
 * Reads `ml.registries` from the root config: the one reader of that key,
 * for the ML backend and for the backend modules that talk to the same
 * registries (the catalog's Model provider).
 *
 * @throws InputError naming the entry when one is malformed.
 * @public
 */
export function readMlRegistries(root: MlConfigReader): MlRegistryConfig[] {
  const entries = root.getOptionalConfigArray('ml.registries') ?? [];
  return entries.map((config, index) => {
    const name = config.getString('name');
    const type = config.getString('type');
    if (type !== 'oci' && type !== 'mlflow') {
      throw new InputError(
        `ml config: registry "${name}" has type "${type}"; expected oci or mlflow`,
      );
    }
    return {
      name,
      type,
      url: readMlConfigUrl(config, 'url', `ml.registries[${index}]`),
      username: config.getOptionalString('username'),
      password: config.getOptionalString('password'),
      token: config.getOptionalString('token'),
      caFile: config.getOptionalString('caFile'),
      webhookSecret: config.getOptionalString('webhookSecret'),
    };
  });
}
