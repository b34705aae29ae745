import {
  AuditorService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_REGISTRY_REF,
  isModelEntity,
  MODEL_ALIAS_PATTERN,
  mlModelPromotePermission,
  ModelVersion,
  ModelVersionsResponse,
  PromoteModelResponse,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditStore } from '../database/AuditStore';
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

const NAME = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;

const promoteBody = z
  .object({
    alias: z
      .string()
      .regex(
        MODEL_ALIAS_PATTERN,
        'must be 1-128 letters, digits, _ . or -, like production',
      ),
    version: z.string().min(1).max(256),
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

function modelRefParams(params: { namespace: string; name: string }) {
  for (const [key, value] of Object.entries(params)) {
    if (!NAME.test(value) || value.length > 63) {
      throw new InputError(`Invalid ${key} "${value}"`);
    }
  }
  return { kind: 'model', namespace: params.namespace, name: params.name };
}

function registryRefOf(entity: Entity, entityRef: string): string {
  const ref =
    entity.metadata.annotations?.[ANNOTATION_REGISTRY_REF] ??
    (entity.spec?.registry as string | undefined);
  if (!ref) {
    throw new NotFoundError(
      `${entityRef} has no registry: set spec.registry or the ${ANNOTATION_REGISTRY_REF} annotation`,
    );
  }
  return ref;
}

function ownerRefOf(entity: Entity): string {
  return stringifyEntityRef(
    parseEntityRef(String(entity.spec?.owner), {
      defaultKind: 'group',
      defaultNamespace: entity.metadata.namespace ?? 'default',
    }),
  );
}

/**
 * The registry part of the ML backend's API: a Model's versions, and moving
 * one of its aliases (promotion), which needs `ml.model.promote` and
 * membership of the owning group, and is recorded in the audit trail.
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
    const compound = modelRefParams(params);
    const entity = await catalog.getEntityByRef(compound, { credentials });
    if (!entity || !isModelEntity(entity)) {
      throw new NotFoundError(
        `No Model ${params.namespace}/${params.name} in the catalog`,
      );
    }
    const entityRef = stringifyEntityRef(entity);
    return { entity, entityRef, registryRef: registryRefOf(entity, entityRef) };
  }

  router.get('/models/:namespace/:name/versions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entityRef, registryRef } = await loadModel(req.params, credentials);
    const versions = await registryService.listVersions(registryRef);
    const body: ModelVersionsResponse = {
      entityRef,
      registryRef,
      registry: registryService.registryName(registryRef),
      // Raw annotations stay server side: they may hold anything a pipeline wrote.
      versions: versions.map(
        ({ annotations: _annotations, ...v }): ModelVersion => v,
      ),
    };
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

    const [decision] = await permissions.authorize(
      [{ permission: mlModelPromotePermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw await refuse(
        `${actor} may not promote ${entityRef}: permission ${mlModelPromotePermission.name} denied`,
      );
    }
    const ownerRef = ownerRefOf(entity);
    const { ownershipEntityRefs } = await userInfo.getUserInfo(credentials);
    if (!ownershipEntityRefs.includes(ownerRef)) {
      throw await refuse(
        `${actor} may not promote ${entityRef}: owned by ${ownerRef}`,
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

  return router;
}
