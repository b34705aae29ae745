import {
  mlflowWebhookPayloadSchema,
  RegistryEventResponse,
  registryWebhookParamsSchema,
} from '@mlplatform/plugin-ml-common';
import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { RegistryEventService } from '../services/registry/RegistryEventService';

/** @internal */
export interface RegistryEventsRouterOptions {
  registryEvents: RegistryEventService;
}

/**
 * Registry webhooks: `POST /registry/webhooks/mlflow/:registry` takes an
 * MLflow webhook delivery (no Backstage token: the plugin registers the
 * unauthenticated auth policy, and the delivery's HMAC signature with the
 * registry's `webhookSecret` authenticates it).
 *
 * Mounted before the other routers: the signature covers the exact bytes
 * of the body, so this route must read them before any JSON parser does.
 *
 * @internal
 */
export async function createRegistryEventsRouter(
  options: RegistryEventsRouterOptions,
): Promise<express.Router> {
  const { registryEvents } = options;
  const router = Router();

  router.post(
    '/registry/webhooks/mlflow/:registry',
    // Unknown or disabled registry: 404 before reading a byte of the body.
    (req, _res, next) => {
      registryEvents.mlflowRegistry(req.params.registry);
      next();
    },
    express.raw({ type: () => true, limit: '256kb' }),
    async (req, res) => {
      const { registry } = parseInput(
        registryWebhookParamsSchema,
        req.params,
        'registry',
      );
      const body: Buffer = Buffer.isBuffer(req.body)
        ? req.body
        : Buffer.alloc(0);
      const deliveryId = req.header('x-mlflow-delivery-id');
      registryEvents.verify(
        registry,
        {
          signature: req.header('x-mlflow-signature'),
          timestamp: req.header('x-mlflow-timestamp'),
          deliveryId,
        },
        body,
      );
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new InputError('Invalid payload: not JSON');
      }
      const payload = parseInput(mlflowWebhookPayloadSchema, json, 'payload');
      const answer: RegistryEventResponse = await registryEvents.handle(
        registry,
        payload,
        deliveryId!,
        req,
      );
      res.json(answer);
    },
  );

  // A database outage (the audit table) is a 503 that says so.
  router.use(databaseUnavailableErrors);
  return router;
}
