import { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { AuditStore } from './database/AuditStore';
import { IntegrationStatusService } from './services/IntegrationStatusService';

/** @internal */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  integrationStatus: IntegrationStatusService;
  auditStore: AuditStore;
}

const auditQuery = z
  .object({
    targetRef: z.string().min(1).optional(),
    actor: z.string().min(1).optional(),
    action: z
      .string()
      .regex(/^[a-z]+(\.[a-z-]+)+$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues
      .map(i => `${i.path.join('.') || what}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${issues}`);
  }
  return result.data;
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
  const { httpAuth, integrationStatus, auditStore } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', async (_req, res) => {
    res.json(await integrationStatus.getStatus());
  });

  router.get('/audit', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const filter = parse(auditQuery, req.query, 'query');
    res.json({ items: await auditStore.list(filter) });
  });

  return router;
}
