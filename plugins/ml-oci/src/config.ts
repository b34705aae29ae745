import { RootConfigService } from '@backstage/backend-plugin-api';
import { readFileSync } from 'node:fs';
import { OciRegistryEndpoint } from './OciDistributionClient';

/**
 * Reads the OCI entries of `ml.registries` (the ML backend's registry
 * config) into endpoints, loading each `caFile` once. For modules outside
 * the ML backend, such as the catalog's Model provider, that talk to the same
 * registries with the same credentials.
 *
 * @public
 */
export function readOciRegistryEndpoints(
  config: RootConfigService,
): OciRegistryEndpoint[] {
  const entries = config.getOptionalConfigArray('ml.registries') ?? [];
  return entries
    .filter(r => r.getString('type') === 'oci')
    .map(r => {
      const url = r.getString('url');
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new Error(
          `ml.registries: "${r.getString('name')}" url must be http(s), got ${
            parsed.protocol
          }`,
        );
      }
      const caFile = r.getOptionalString('caFile');
      return {
        name: r.getString('name'),
        url: url.replace(/\/+$/, ''),
        username: r.getOptionalString('username'),
        password: r.getOptionalString('password'),
        token: r.getOptionalString('token'),
        ca: caFile ? readFileSync(caFile) : undefined,
      };
    });
}
