import { MlConfigReader, readMlRegistries } from '@mlplatform/plugin-ml-common';
import { readFileSync } from 'node:fs';
import { OciRegistryEndpoint } from './types';

/**
 * Reads the OCI entries of `ml.registries` (the ML backend's registry
 * config, through {@link @mlplatform/plugin-ml-common#readMlRegistries})
 * into endpoints, loading each `caFile` once. For modules outside the ML
 * backend, such as the catalog's Model provider, that talk to the same
 * registries with the same credentials. Takes the root config.
 *
 * @throws InputError naming the entry when one is malformed.
 * @public
 */
export function readOciRegistryEndpoints(
  config: MlConfigReader,
): OciRegistryEndpoint[] {
  return readMlRegistries(config)
    .filter(r => r.type === 'oci')
    .map(r => ({
      name: r.name,
      url: r.url,
      username: r.username,
      password: r.password,
      token: r.token,
      ca: r.caFile ? readFileSync(r.caFile) : undefined,
    }));
}
