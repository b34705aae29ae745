import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  AuthorizeResult,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { mlAuditReadPermission } from '@mlplatform/plugin-ml-common';
import {
  createMlPermissionConditionalDecision,
  isMlResourcePermission,
  mlIsOwningTeamMember,
} from '../conditions';

/**
 * Test infrastructure: the policy the repo's backend ships, in its smallest
 * form (owning-team members may act on ML resources; `admins` read the whole
 * audit trail), so this package's tests go through the real permission
 * backend and the ML rules.
 */
export function mlTestPolicyModule(options: { admins?: string[] } = {}) {
  const policy: PermissionPolicy = {
    async handle(
      request: PolicyQuery,
      user?: PolicyQueryUser,
    ): Promise<PolicyDecision> {
      const claims = user?.info.ownershipEntityRefs ?? [];
      if (isMlResourcePermission(request.permission)) {
        return createMlPermissionConditionalDecision(
          request.permission,
          mlIsOwningTeamMember(request.permission, claims),
        );
      }
      if (request.permission.name === mlAuditReadPermission.name) {
        return {
          result: claims.some(c => options.admins?.includes(c))
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
        };
      }
      return { result: AuthorizeResult.ALLOW };
    },
  };
  return createBackendModule({
    pluginId: 'permission',
    moduleId: 'ml-test-policy',
    register(env) {
      env.registerInit({
        deps: { policy: policyExtensionPoint },
        async init(deps) {
          deps.policy.setPolicy(policy);
        },
      });
    },
  });
}
