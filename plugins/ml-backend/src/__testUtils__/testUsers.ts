import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials } from '@backstage/backend-test-utils';

/**
 * A userInfo service that reports each user's groups as the catalog would:
 * `ownershipEntityRefs` is the user and `groups[user]`.
 */
export function userInfoServiceFactory(groups: Record<string, string[]>) {
  return createServiceFactory({
    service: coreServices.userInfo,
    deps: {},
    factory: () => ({
      async getUserInfo(credentials: any) {
        const ref = credentials.principal.userEntityRef;
        return {
          userEntityRef: ref,
          ownershipEntityRefs: [ref, ...(groups[ref] ?? [])],
        };
      },
    }),
  });
}

/** The headers of a request made as `user` (a mock user token). */
export const asUser = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});
