import {
  AuditorService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  MODEL_ALIAS_PATTERN,
  mlModelPromotePermission,
  ModelVersionsResponse,
  PromoteModelResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditStore } from '../database/AuditStore';
import { databaseUnavailableErrors } from '../database/unavailable';
import { entityOwnerRefs } from '../permissions/rules';
import {
  listModelVersions,
  readModel,
  registryRefOf,
} from '../services/modelEntities';
import { RegistryService } from '../services/registry/RegistryService';

/** @internal */
export interface RegistryRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  registryService: RegistryService;
  auditStore: AuditStore;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  logger: LoggerService;
  /** Backstage's auditor; the audit store is written either way. */
  auditor?: AuditorService;
}

const promoteBody = z
  .object({
    alias: z
      .string()
      .regex(
        MODEL_ALIAS_PATTERN,
        'must be 1-128 letters, digits, _ . or -, like production',
      ),
    // Checked here, before the permission check and the audit trail: a
    // version is put in registry URLs, so `../` or `?` must never reach one.
    version: z
      .string()
      .regex(
        /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|sha256:[a-f0-9]{64})$/,
        'must be a tag, a version number or a sha256 digest, like v3, 7 or sha256:…',
      ),
  })
  .strict();

function parseBody(input: unknown) {
  const result = promoteBody.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues
      .map(i => `${i.path.join('.') || 'body'}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid body: ${issues}`);
  }
  return result.data;
}

/**
 * The registry part of the ML backend's API: a Model's versions, and moving
 * one of its aliases (promotion), which needs `ml.model.promote` on the Model
 * (the sample policy: conditional on membership of the owning group), and is
 * recorded in the audit trail.
 *
 * @internal
 */
export async function createRegistryRouter(
  options: RegistryRouterOptions,
): Promise<express.Router> {
  const {
    httpAuth,
    catalog,
    registryService,
    auditStore,
    permissions,
    userInfo,
    auditor,
  } = options;
  const router = Router();
  router.use(express.json());

  async function loadModel(
    params: { namespace: string; name: string },
    credentials: BackstageCredentials,
  ) {
    const { entity, entityRef } = await readModel(catalog, params, credentials);
    return { entity, entityRef, registryRef: registryRefOf(entity, entityRef) };
  }

  router.get('/models/:namespace/:name/versions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body: ModelVersionsResponse = await listModelVersions(
      { catalog, registryService },
      req.params,
      credentials,
    );
    res.json(body);
  });

  router.post('/models/:namespace/:name/aliases', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const { alias, version } = parseBody(req.body);
    const { entity, entityRef, registryRef } = await loadModel(
      req.params,
      credentials,
    );
    const actor = (credentials.principal as BackstageUserPrincipal)
      .userEntityRef;
    const details = { alias, toVersion: version, registryRef };
    const auditEvent = await auditor?.createEvent({
      eventId: 'ml-model-promote',
      severityLevel: 'medium',
      request: req,
      meta: { entityRef, ...details },
    });
    const refuse = async (message: string) => {
      const error = new NotAllowedError(message);
      await auditStore.record({
        actor,
        action: 'ml.model.promote',
        targetRef: entityRef,
        outcome: 'refused',
        details,
        error: message,
      });
      await auditEvent?.fail({ error });
      return error;
    };

    // The policy decides; its conditions (e.g. IS_OWNING_TEAM_MEMBER) are
    // evaluated by this plugin against the Model as the catalog has it.
    const [decision] = await permissions.authorize(
      [{ permission: mlModelPromotePermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      const owners = entityOwnerRefs(entity);
      const { ownershipEntityRefs } = await userInfo.getUserInfo(credentials);
      throw await refuse(
        owners.length && !owners.some(o => ownershipEntityRefs.includes(o))
          ? `${actor} may not promote ${entityRef}: not a member of ${owners.join(
              ' or ',
            )}, which owns it`
          : `${actor} may not promote ${entityRef}: permission ${mlModelPromotePermission.name} denied`,
      );
    }

    try {
      const result = await registryService.setAlias(
        registryRef,
        alias,
        version,
      );
      await auditStore.record({
        actor,
        action: 'ml.model.promote',
        targetRef: entityRef,
        outcome: 'succeeded',
        details: {
          ...details,
          fromVersion: result.previousVersion ?? null,
          digest: result.digest ?? null,
        },
      });
      await auditEvent?.success({
        meta: { fromVersion: result.previousVersion ?? null },
      });
      const body: PromoteModelResponse = {
        entityRef,
        alias,
        version,
        previousVersion: result.previousVersion,
        digest: result.digest,
      };
      res.json(body);
    } catch (e) {
      await auditStore.record({
        actor,
        action: 'ml.model.promote',
        targetRef: entityRef,
        outcome: 'failed',
        details,
        error: (e as Error).message,
      });
      await auditEvent?.fail({ error: e as Error });
      throw e;
    }
  });

  router.use(databaseUnavailableErrors);
  return router;
}
