import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import {
  createMlPermissionConditionalDecision,
  mlIsOwningTeamMember,
  mlPermissionRules,
} from '../permissions';
import { loadGpuQuotaResource } from '../permissions/register';
import { QuotaService } from '../services/kubernetes/QuotaService';

/**
 * The permissions and userInfo services of a route test, deciding as the
 * sample policy does (members of the owning team) with the ML rules
 * evaluated in-process, as the permission backend would: a `model:` ref on
 * the Model read from `catalog`, any other ref on the GPU quota read from
 * `quotas`. `claimsOf(user)` are the user's ownership refs; `allow()`
 * false denies everything (an outage of the policy).
 */
export function sampleTeamPolicy(options: {
  claimsOf: (user: string) => string[];
  catalog?: {
    getEntityByRef(
      ref: string,
      o: { credentials: BackstageCredentials },
    ): Promise<Entity | undefined>;
  };
  quotas?: QuotaService;
  allow?: () => boolean;
}): { permissions: PermissionsService; userInfo: UserInfoService } {
  const { claimsOf, catalog, quotas, allow = () => true } = options;
  const userOf = (credentials: BackstageCredentials) =>
    (credentials.principal as { userEntityRef: string }).userEntityRef;
  const permissions = mockServices.permissions.mock({
    authorize: (async (requests: any[], { credentials }: any) =>
      Promise.all(
        requests.map(async ({ permission, resourceRef }) => {
          const model = resourceRef.startsWith('model:');
          const resource = model
            ? await catalog!.getEntityByRef(resourceRef, { credentials })
            : await loadGpuQuotaResource(quotas!, resourceRef);
          const decision = createMlPermissionConditionalDecision(
            permission,
            mlIsOwningTeamMember(permission, claimsOf(userOf(credentials))),
          );
          const rules = model
            ? mlPermissionRules.model
            : mlPermissionRules.gpuQuota;
          const allowed =
            allow() &&
            createConditionAuthorizer(Object.values(rules) as any)(
              decision,
              resource,
            );
          return {
            result: allowed ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
          };
        }),
      )) as any,
  });
  const userInfo = mockServices.userInfo.mock({
    getUserInfo: async (credentials: BackstageCredentials) => {
      const user = userOf(credentials);
      return { userEntityRef: user, ownershipEntityRefs: claimsOf(user) };
    },
  });
  return { permissions, userInfo };
}
