import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  MlAuditEventsResponse,
  mlAuditQuerySchema,
  mlAuditReadPermission,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { AuditStore } from './database/AuditStore';
import { databaseUnavailableErrors } from './database/unavailable';
import { IntegrationStatusService } from './services/IntegrationStatusService';
import { parseInput } from './parseInput';

/** @internal */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  integrationStatus: IntegrationStatusService;
  auditStore: AuditStore;
  permissions: PermissionsService;
}

/**
 * Maps the ML backend's HTTP API onto its services. Errors thrown here are
 * typed `@backstage/errors` and turned into responses by the backend.
 *
 * @internal
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, integrationStatus, auditStore, permissions } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', async (_req, res) => {
    res.json(await integrationStatus.getStatus());
  });

  // Everyone may read their own trail; everyone's needs ml.audit.read.
  router.get('/audit', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entity, targetRef, limit, ...filter } = parseInput(
      mlAuditQuerySchema,
      req.query,
      'query',
    );
    const [decision] = await permissions.authorize(
      [{ permission: mlAuditReadPermission }],
      { credentials },
    );
    const all = decision.result === AuthorizeResult.ALLOW;
    let actor = filter.actor;
    if (!all) {
      const self =
        credentials.principal.type === 'user'
          ? credentials.principal.userEntityRef
          : undefined;
      if (!self || (actor && actor !== self)) {
        throw new NotAllowedError(
          `${
            self ?? 'this caller'
          } may only read their own audit events: permission ${
            mlAuditReadPermission.name
          } denied`,
        );
      }
      actor = self;
    }
    const page = await auditStore.page({
      ...filter,
      actor,
      targetRef: entity ?? targetRef,
      limit: limit ?? 50,
    });
    const body: MlAuditEventsResponse = { ...page, scope: all ? 'all' : 'own' };
    res.json(body);
  });

  router.use(databaseUnavailableErrors);
  return router;
}
