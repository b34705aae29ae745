import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  alertActionsQuerySchema,
  AlertActionsResponse,
  alertmanagerWebhookSchema,
  AlertWebhookResponse,
  entityPathParamsSchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { AlertWebhookService } from '../services/alerts/AlertWebhookService';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { readModel } from '../services/modelEntities';

/** @internal */
export interface AlertsRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  alertWebhook: AlertWebhookService;
}

/**
 * The alert part of the ML backend's API: Alertmanager's webhook receiver
 * (`POST /alerts/webhook`, no Backstage token: a shared secret in the
 * Authorization header; the plugin registers the unauthenticated auth
 * policy), and what it did for a Model (`GET /models/:ns/:name/alert-actions`).
 *
 * @internal
 */
export async function createAlertsRouter(
  options: AlertsRouterOptions,
): Promise<express.Router> {
  const { httpAuth, catalog, alertWebhook } = options;
  const router = Router();

  router.post(
    '/alerts/webhook',
    // Before parsing, so an unauthenticated caller cannot make us parse a megabyte.
    (req, _res, next) => {
      alertWebhook.checkAuthorization(req.headers.authorization);
      next();
    },
    express.json({ limit: '1mb' }),
    async (req, res) => {
      const payload = parseInput(
        alertmanagerWebhookSchema,
        req.body,
        'payload',
      );
      const body: AlertWebhookResponse = await alertWebhook.handle(
        payload,
        req,
      );
      res.json(body);
    },
  );

  router.get('/models/:namespace/:name/alert-actions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const ref = parseInput(entityPathParamsSchema, req.params, 'model');
    const { limit } = parseInput(alertActionsQuerySchema, req.query, 'query');
    const { entityRef } = await readModel(catalog, ref, credentials);
    const body: AlertActionsResponse = await alertWebhook.listForModel(
      entityRef,
      limit ?? 50,
    );
    res.json(body);
  });

  // A database outage is a 503 that says so, not a bare 500.
  router.use(databaseUnavailableErrors);
  return router;
}
