import {
  BackstageCredentials,
  BackstageUserPrincipal,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  mlModelPromotePermission,
  ModelEntityV1alpha1,
  PromoteModelRequest,
  PromoteModelResponse,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { entityOwnerRefs } from '../../permissions/rules';
import { MlAuditor } from '../audit/MlAuditor';
import { ModelParams, readModel, registryRefOf } from '../modelEntities';
import { RegistryService } from './RegistryService';

/** @internal */
export interface PromotionServiceOptions {
  catalog: CatalogService;
  registryService: RegistryService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  audit: MlAuditor;
}

/**
 * Promotion: moving an alias of a Model (`production`, `staging`) to one of
 * its versions in the registry. The one place that checks
 * `ml.model.promote` on the Model (the sample policy: membership of the
 * owning group) and audits `ml.model.promote`, whoever asks: the HTTP API
 * or another caller.
 *
 * @internal
 */
export class PromotionService {
  static create(options: PromotionServiceOptions): PromotionService {
    return new PromotionService(options);
  }

  private constructor(private readonly options: PromotionServiceOptions) {}

  /**
   * Moves `alias` to `version` as the given user.
   *
   * @throws NotFoundError when the caller cannot see the Model, it has no
   * registry or the version does not exist; NotAllowedError when the policy
   * refuses (nothing moves).
   */
  async promote(options: {
    model: ModelParams;
    request: PromoteModelRequest;
    credentials: BackstageCredentials<BackstageUserPrincipal>;
    /** The HTTP request, when there is one, for Backstage's auditor. */
    httpRequest?: Request;
  }): Promise<PromoteModelResponse> {
    const { catalog, registryService, permissions, audit } = this.options;
    const { credentials } = options;
    const { alias, version } = options.request;
    const { entity, entityRef } = await readModel(
      catalog,
      options.model,
      credentials,
    );
    const registryRef = registryRefOf(entity, entityRef);
    const actor = credentials.principal.userEntityRef;
    const details = { alias, toVersion: version, registryRef };
    const audited = await audit.begin({
      eventId: 'ml-model-promote',
      action: 'ml.model.promote',
      actor,
      targetRef: entityRef,
      details,
      meta: { entityRef, ...details },
      request: options.httpRequest,
    });

    // The policy decides; its conditions (e.g. IS_OWNING_TEAM_MEMBER) are
    // evaluated by this plugin against the Model as the catalog has it.
    const [decision] = await permissions.authorize(
      [{ permission: mlModelPromotePermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      const error = await this.refusal(entity, entityRef, credentials);
      await audited.refused({ error });
      throw error;
    }

    try {
      const result = await registryService.setAlias(
        registryRef,
        alias,
        version,
      );
      await audited.succeeded({
        details: {
          fromVersion: result.previousVersion ?? null,
          digest: result.digest ?? null,
        },
        meta: { fromVersion: result.previousVersion ?? null },
      });
      return {
        entityRef,
        alias,
        version,
        previousVersion: result.previousVersion,
        digest: result.digest,
      };
    } catch (e) {
      await audited.failed({ error: e as Error });
      throw e;
    }
  }

  // Says why, so that the owner of a Model is not left guessing: not in the
  // owning team, or the policy refused for another reason.
  private async refusal(
    entity: ModelEntityV1alpha1,
    entityRef: string,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<NotAllowedError> {
    const actor = credentials.principal.userEntityRef;
    const owners = entityOwnerRefs(entity);
    const { ownershipEntityRefs } = await this.options.userInfo.getUserInfo(
      credentials,
    );
    return new NotAllowedError(
      owners.length && !owners.some(o => ownershipEntityRefs.includes(o))
        ? `${actor} may not promote ${entityRef}: not a member of ${owners.join(
            ' or ',
          )}, which owns it`
        : `${actor} may not promote ${entityRef}: permission ${mlModelPromotePermission.name} denied`,
    );
  }
}
