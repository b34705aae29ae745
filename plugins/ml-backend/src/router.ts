import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  MlAuditEventsResponse,
  mlAuditReadPermission,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
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

const isoInstant = (what: string) =>
  z
    .string()
    .max(64)
    .refine(
      v =>
        /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(
          v,
        ) && !Number.isNaN(Date.parse(v)),
      `${what} must be an ISO 8601 date or date-time with zone, such as 2026-11-23T10:00:00Z`,
    )
    .transform(v => new Date(v));

const auditQuery = z
  .object({
    entity: z.string().min(1).max(512).optional(),
    /** The older name of `entity`, kept for existing callers. */
    targetRef: z.string().min(1).max(512).optional(),
    actor: z.string().min(1).max(255).optional(),
    action: z
      .string()
      .max(64)
      .regex(
        /^[a-z]+(\.[a-z-]+)+$/,
        'must be an action such as ml.model.promote',
      )
      .optional(),
    outcome: z.enum(['succeeded', 'failed', 'refused']).optional(),
    from: isoInstant('from').optional(),
    to: isoInstant('to').optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().min(1).max(128).optional(),
  })
  .strict()
  .refine(q => !q.from || !q.to || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

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
      auditQuery,
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
