import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
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
import {
  createMlPermissionConditionalDecision,
  isMlResourcePermission,
  mlIsOwningTeamMember,
} from '@mlplatform/plugin-ml-backend';
import { mlAuditReadPermission } from '@mlplatform/plugin-ml-common';

/** Who reads everyone's ML audit trail when `ml.permissions.adminGroups` is not set. */
export const DEFAULT_ML_ADMIN_GROUPS = ['group:default/platform-team'];

/**
 * The portal's permission policy:
 *
 * - ML resource permissions (`ml.notebook.create`, `ml.notebook.manage`,
 *   `ml.model.promote`, `ml.model.rollout`, `ml.model.deploy`,
 *   `ml.pipeline.run`, `ml.logs.read`): allowed on the condition that the
 *   user is a member of the team owning the GPU quota (namespace), Model or
 *   Pipeline
 *   (claims = the user's ownership refs). The ML backend evaluates it.
 * - `ml.audit.read` (everyone's audit trail): members of
 *   `ml.permissions.adminGroups` only; others still see their own rows.
 * - Everything else (catalog, scaffolder, ...): allowed, as before.
 *
 * Requests by service principals never reach a policy: Backstage allows them
 * unless the calling token's access restrictions say otherwise.
 */
export class MlPermissionPolicy implements PermissionPolicy {
  static fromConfig(config: Config): MlPermissionPolicy {
    const groups =
      config.getOptionalStringArray('ml.permissions.adminGroups') ??
      DEFAULT_ML_ADMIN_GROUPS;
    return new MlPermissionPolicy(groups);
  }

  /** @param adminGroups - entity refs of the groups that read everyone's audit trail */
  constructor(readonly adminGroups: readonly string[]) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const claims = user?.info.ownershipEntityRefs ?? [];
    const { permission } = request;
    if (isMlResourcePermission(permission)) {
      return createMlPermissionConditionalDecision(
        permission,
        mlIsOwningTeamMember(permission, claims),
      );
    }
    if (permission.name === mlAuditReadPermission.name) {
      return {
        result: claims.some(ref => this.adminGroups.includes(ref))
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
      };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/**
 * Installs {@link MlPermissionPolicy} in the permission backend, in place of
 * the allow-all policy.
 */
export const permissionModuleMlPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'ml-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
      },
      async init({ policy, config, logger }) {
        const mlPolicy = MlPermissionPolicy.fromConfig(config);
        logger.info(
          `ML permission policy: owning-team members act on ML resources; audit admins: ${
            mlPolicy.adminGroups.join(', ') || 'none'
          }`,
        );
        policy.setPolicy(mlPolicy);
      },
    });
  },
});
