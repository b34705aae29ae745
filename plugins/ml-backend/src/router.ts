import express from 'express';
import Router from 'express-promise-router';
import { IntegrationStatusService } from './services/IntegrationStatusService';

/** @internal */
export interface RouterOptions {
  integrationStatus: IntegrationStatusService;
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
  const { integrationStatus } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', async (_req, res) => {
    res.json(await integrationStatus.getStatus());
  });

  return router;
}
