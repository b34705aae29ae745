import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_REGISTRY_REF,
  isModelEntity,
  MLFLOW_REGISTRY_EVENTS,
  MlflowWebhookPayload,
  RegistryEventResponse,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RegistryConfig } from '../../config';
import { MlAuditor } from '../audit/MlAuditor';
import { registryRefOf } from '../modelEntities';
import { RegistryService } from './RegistryService';

/** Oldest delivery accepted, by its signed timestamp. */
const MAX_AGE_SECONDS = 5 * 60;
/** How far a sender's clock may run ahead of ours. */
const MAX_SKEW_SECONDS = 30;

/** The headers MLflow signs a delivery with (`mlflow/webhooks/constants.py`). */
export interface MlflowDeliveryHeaders {
  signature?: string;
  timestamp?: string;
  deliveryId?: string;
}

/** @internal */
export interface RegistryEventServiceOptions {
  registries: RegistryConfig[];
  registryService: RegistryService;
  catalog: CatalogService;
  auth: AuthService;
  audit: MlAuditor;
  logger: LoggerService;
  /** For tests; `Date.now` by default. */
  now?: () => number;
}

/**
 * Registry events pushed by a team's MLflow (its webhooks, MLflow ≥ 3.3):
 * checks each delivery's signature, age and uniqueness, then makes the
 * Models of the registered model it names fresh at once — their cached
 * versions dropped, the catalog asked to refresh the entities — and records
 * it in the audit trail as `ml.registry.event` by `mlflow:<registry>`.
 *
 * Delivery ids are remembered in memory for as long as a delivery is
 * accepted (5 minutes): behind several replicas a replay could reach one
 * that has not seen the id, where it would only refresh the Model again.
 *
 * @internal
 */
export class RegistryEventService {
  static create(options: RegistryEventServiceOptions): RegistryEventService {
    return new RegistryEventService(options);
  }

  /** Delivery id → when it may be forgotten (ms). */
  private readonly seen = new Map<string, number>();
  private readonly now: () => number;

  private constructor(private readonly options: RegistryEventServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * The MLflow registry `name` whose webhook is enabled.
   *
   * @throws NotFoundError when there is no such registry or it has no
   * `webhookSecret` (its webhook is off).
   */
  mlflowRegistry(name: string): RegistryConfig & { webhookSecret: string } {
    const registry = this.options.registries.find(
      r => r.name === name && r.type === 'mlflow',
    );
    if (!registry) {
      throw new NotFoundError(
        `No MLflow registry "${name}" under ml.registries`,
      );
    }
    if (!registry.webhookSecret) {
      throw new NotFoundError(
        `The webhook of MLflow registry "${name}" is not enabled: set its webhookSecret under ml.registries`,
      );
    }
    return registry as RegistryConfig & { webhookSecret: string };
  }

  /**
   * Checks a delivery the way MLflow signs it: `X-MLflow-Signature:
   * v1,<base64 HMAC-SHA256 of "<delivery id>.<timestamp>.<body>">` with the
   * webhook's secret (Standard Webhooks), compared in constant time; then
   * its timestamp (at most 5 minutes old, 30 s ahead) and its delivery id
   * (never seen). Only a verified delivery id is remembered, so forged
   * requests cannot block real ones.
   *
   * @throws AuthenticationError naming what is wrong.
   */
  verify(
    registryName: string,
    headers: MlflowDeliveryHeaders,
    body: Buffer,
  ): void {
    const { webhookSecret } = this.mlflowRegistry(registryName);
    const { signature, timestamp, deliveryId } = headers;
    if (!signature || !timestamp || !deliveryId) {
      throw new AuthenticationError(
        "Missing X-MLflow-Signature, X-MLflow-Timestamp or X-MLflow-Delivery-Id: create the MLflow webhook with the secret set as this registry's webhookSecret",
      );
    }
    if (!/^[0-9]{1,12}$/.test(timestamp) || deliveryId.length > 128) {
      throw new AuthenticationError('Malformed webhook delivery headers');
    }
    const expected = createHmac('sha256', webhookSecret)
      .update(`${deliveryId}.${timestamp}.`)
      .update(body)
      .digest();
    // Standard Webhooks allows several space-separated signatures.
    const valid = signature.split(' ').some(candidate => {
      const [version, value] = candidate.split(',', 2);
      if (version !== 'v1' || !value) return false;
      const given = Buffer.from(value, 'base64');
      return (
        given.length === expected.length && timingSafeEqual(given, expected)
      );
    });
    if (!valid) {
      throw new AuthenticationError(
        `Wrong webhook signature for MLflow registry "${registryName}"`,
      );
    }
    const nowMs = this.now();
    const age = nowMs / 1000 - Number(timestamp);
    if (age > MAX_AGE_SECONDS || age < -MAX_SKEW_SECONDS) {
      throw new AuthenticationError(
        `Webhook delivery timestamp ${timestamp} is ${Math.round(
          Math.abs(age),
        )} s ${
          age > 0 ? 'old' : 'ahead'
        }: deliveries older than ${MAX_AGE_SECONDS} s are refused (check the clocks)`,
      );
    }
    for (const [id, until] of this.seen) {
      if (until <= nowMs) this.seen.delete(id);
    }
    const key = `${registryName}\u0000${deliveryId}`;
    if (this.seen.has(key)) {
      throw new AuthenticationError(
        `Webhook delivery ${deliveryId} was received before: replays are refused`,
      );
    }
    this.seen.set(
      key,
      nowMs + (MAX_AGE_SECONDS + MAX_SKEW_SECONDS) * 1000 + 1000,
    );
  }

  /**
   * Acts on a verified delivery: every Model whose registry ref is
   * `mlflow://<registry>/<registered model>` or `mlflow://<registered model>`
   * and resolves to this registry gets its versions reloaded and a catalog
   * refresh, each audited.
   */
  async handle(
    registryName: string,
    payload: MlflowWebhookPayload,
    deliveryId: string,
    request?: Request,
  ): Promise<RegistryEventResponse> {
    const { registryService, catalog, auth, audit, logger } = this.options;
    const event = `${payload.entity}.${payload.action}`;
    const model = payload.data.name;
    if (!(MLFLOW_REGISTRY_EVENTS as readonly string[]).includes(event)) {
      return { event, ignored: 'not a model registry event', entities: [] };
    }
    if (!model) {
      return { event, ignored: 'names no registered model', entities: [] };
    }
    const ref = `mlflow://${model}`;
    const refs = [ref, `mlflow://${registryName}/${model}`];
    for (const r of refs) registryService.invalidate(r);

    const credentials = await auth.getOwnServiceCredentials();
    const { items } = await catalog.getEntities(
      {
        filter: [
          { kind: 'Model', 'spec.registry': refs },
          {
            kind: 'Model',
            [`metadata.annotations.${ANNOTATION_REGISTRY_REF}`]: refs,
          },
        ],
      },
      { credentials },
    );
    // The catalog matches case-insensitively; MLflow names are not.
    const models = items.filter(entity => {
      if (!isModelEntity(entity)) return false;
      const entityRef = stringifyEntityRef(entity);
      const own = registryRefOf(entity, entityRef);
      if (!own || !refs.includes(own)) return false;
      try {
        return registryService.registryName(own) === registryName;
      } catch {
        return false;
      }
    });

    const details = {
      registry: registryName,
      event,
      model,
      ...(payload.data.version ? { version: payload.data.version } : {}),
      ...(payload.data.alias ? { alias: payload.data.alias } : {}),
      deliveryId,
    };
    const actor = `mlflow:${registryName}`;
    if (models.length === 0) {
      const audited = await audit.begin({
        eventId: 'ml-registry-event',
        action: 'ml.registry.event',
        actor,
        targetRef: ref,
        details,
        request,
        severityLevel: 'low',
      });
      await audited.succeeded({ details: { entities: [] } });
      return { event, model, entities: [] };
    }

    const entities: RegistryEventResponse['entities'] = [];
    for (const entity of models) {
      const entityRef = stringifyEntityRef(entity);
      const audited = await audit.begin({
        eventId: 'ml-registry-event',
        action: 'ml.registry.event',
        actor,
        targetRef: entityRef,
        details,
        request,
        severityLevel: 'low',
      });
      try {
        await catalog.refreshEntity(entityRef, { credentials });
        entities.push({ entityRef, refreshed: true });
        await audited.succeeded({ details: { refreshed: true } });
      } catch (e) {
        const error = e as Error;
        logger.warn(
          `MLflow ${registryName} ${event} of ${model}: refreshing ${entityRef} failed: ${error.message}`,
        );
        entities.push({ entityRef, refreshed: false });
        await audited.failed({ error, details: { refreshed: false } });
      }
    }
    logger.info(
      `MLflow ${registryName} ${event} of ${model}: versions reloaded for ${entities
        .map(e => e.entityRef)
        .join(', ')}`,
    );
    return { event, model, entities };
  }
}
