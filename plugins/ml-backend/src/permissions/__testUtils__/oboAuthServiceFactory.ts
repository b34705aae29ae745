import {
  AuthService,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';

/**
 * Test infrastructure: the mock auth service, except that a request a plugin
 * makes on behalf of a user arrives as that user with the plugin as `actor`,
 * as with Backstage's real auth service. The permissions registry accepts a
 * user at `apply-conditions` only with an actor (the permission backend), so
 * conditional decisions cannot be tested end to end without this.
 */
export const oboAuthServiceFactory = createServiceFactory({
  service: coreServices.auth,
  deps: {
    plugin: coreServices.pluginMetadata,
    config: coreServices.rootConfig,
  },
  factory({ plugin, config }): AuthService {
    const pluginId = plugin.getId();
    const inner = mockServices.auth({
      pluginId,
      disableDefaultAuthPolicy: Boolean(
        config.getOptionalBoolean(
          'backend.auth.dangerouslyDisableDefaultAuthPolicy',
        ),
      ),
    });
    return Object.assign(Object.create(inner), {
      async getPluginRequestToken(
        options: Parameters<AuthService['getPluginRequestToken']>[0],
      ) {
        const { principal } = options.onBehalfOf;
        if (!inner.isPrincipal(options.onBehalfOf, 'user')) {
          return inner.getPluginRequestToken(options);
        }
        return {
          token: mockCredentials.user.token(
            (principal as { userEntityRef: string }).userEntityRef,
            { actor: { subject: `plugin:${pluginId}` } },
          ),
        };
      },
    });
  },
});
