import {
  AuditorService,
  AuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_ALERT_SELECTOR,
  AlertActionItem,
  AlertmanagerWebhook,
  AlertWebhookResponse,
  isModelEntity,
  LabelMatcher,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import { MlAlert, MlAlertAction } from '@mlplatform/plugin-ml-node';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AlertsConfig } from '../../config';
import {
  AlertActionRecord,
  AlertActionStore,
} from '../../database/AlertActionStore';
import { AuditStore } from '../../database/AuditStore';
import { actorOf, MlAuditor } from '../audit/MlAuditor';
import { matchesLabels } from './matchLabels';

const AUDIT_OUTCOME = {
  started: 'succeeded',
  'rate-limited': 'refused',
  failed: 'failed',
} as const;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** @internal */
export interface AlertWebhookServiceOptions {
  config: AlertsConfig;
  store: AlertActionStore;
  /** By id; must hold every action the rules name. */
  actions: Map<string, MlAlertAction>;
  catalog: CatalogService;
  auth: AuthService;
  auditStore: AuditStore;
  auditor?: AuditorService;
  logger: LoggerService;
}

function itemOf(
  alert: MlAlert,
  action: string,
  record: AlertActionRecord,
  status: AlertActionItem['status'] = record.status as AlertActionItem['status'],
): AlertActionItem {
  return {
    alertname: record.alertname,
    fingerprint: alert.fingerprint,
    startsAt: alert.startsAt,
    action,
    status,
    summary: record.summary,
    entityRef: record.entityRef,
    ...(record.runId ? { runId: record.runId } : {}),
    ...(record.pipelineRef ? { pipelineRef: record.pipelineRef } : {}),
    at: record.createdAt,
  };
}

/**
 * Turns Alertmanager webhook deliveries into actions on the Models the
 * alerts concern: a firing alert matching a rule of `ml.alerts.rules` runs
 * that rule's action for every Model whose `mlplatform.io/alert-selector`
 * matches the alert's labels, once per (fingerprint, startsAt, action,
 * Model), within the per-Model rate limit, audited as `ml.alert.action`.
 *
 * @internal
 */
export class AlertWebhookService {
  static create(options: AlertWebhookServiceOptions): AlertWebhookService {
    return new AlertWebhookService(options);
  }

  private readonly audit: MlAuditor;

  private constructor(private readonly options: AlertWebhookServiceOptions) {
    this.audit = MlAuditor.create(options);
  }

  get enabled(): boolean {
    return Boolean(this.options.config.webhook);
  }

  /**
   * Checks `Authorization: Basic <base64(user:secret)>` in constant time; the
   * user name is not checked. Not `Bearer`: Backstage's own auth middleware
   * takes every bearer token for a Backstage token and refuses the request
   * before the route runs.
   *
   * @throws NotFoundError when no secret is configured (the webhook is off),
   * AuthenticationError when the header is missing or wrong.
   */
  checkAuthorization(header: string | undefined): void {
    const secret = this.options.config.webhook?.secret;
    if (!secret) {
      throw new NotFoundError(
        'The alert webhook is not enabled: set ml.alerts.webhook.secret',
      );
    }
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
    const decoded = match
      ? Buffer.from(match[1], 'base64').toString('utf8')
      : '';
    const given = decoded.includes(':')
      ? decoded.slice(decoded.indexOf(':') + 1)
      : undefined;
    // Comparing digests keeps the time independent of length and content.
    if (
      given === undefined ||
      !timingSafeEqual(digest(given), digest(secret))
    ) {
      throw new AuthenticationError(
        'Missing or wrong webhook secret: send it as the password of HTTP basic auth (Alertmanager: http_config.basic_auth)',
      );
    }
  }

  private async modelsWithSelectors(): Promise<
    Array<{ entity: Entity; entityRef: string; matchers: LabelMatcher[] }>
  > {
    const credentials = await this.options.auth.getOwnServiceCredentials();
    const { items } = await this.options.catalog.getEntities(
      { filter: { kind: 'Model' } },
      { credentials },
    );
    const models = [];
    for (const entity of items) {
      const selector = entity.metadata.annotations?.[ANNOTATION_ALERT_SELECTOR];
      if (!selector || !isModelEntity(entity)) continue;
      const entityRef = stringifyEntityRef(entity);
      try {
        models.push({
          entity,
          entityRef,
          matchers: parseLabelMatchers(selector),
        });
      } catch (e) {
        this.options.logger.warn(
          `${entityRef}: ignoring ${ANNOTATION_ALERT_SELECTOR}: ${
            (e as Error).message
          }`,
        );
      }
    }
    return models;
  }

  /** Handles one delivery; every firing alert is handled on its own. */
  async handle(
    payload: AlertmanagerWebhook,
    request?: Request,
  ): Promise<AlertWebhookResponse> {
    const { rules } = this.options.config;
    const items: AlertActionItem[] = [];
    let ignored = 0;
    let models:
      | Awaited<ReturnType<typeof this.modelsWithSelectors>>
      | undefined;
    for (const raw of payload.alerts) {
      const alert: MlAlert = {
        status: raw.status,
        fingerprint: raw.fingerprint,
        labels: raw.labels,
        annotations: raw.annotations,
        startsAt: raw.startsAt,
      };
      const matching = rules.filter(
        rule =>
          alert.status === 'firing' &&
          Object.entries(rule.match).every(([k, v]) => alert.labels[k] === v),
      );
      if (matching.length === 0) {
        ignored++;
        continue;
      }
      models ??= await this.modelsWithSelectors();
      const concerned = models.filter(m => {
        try {
          return matchesLabels(m.matchers, alert.labels);
        } catch {
          return false;
        }
      });
      const seen = new Set<string>();
      for (const rule of matching) {
        if (seen.has(rule.action)) continue;
        seen.add(rule.action);
        if (concerned.length === 0) {
          items.push({
            alertname: alert.labels.alertname ?? '',
            fingerprint: alert.fingerprint,
            startsAt: alert.startsAt,
            action: rule.action,
            status: 'no-match',
            summary: `no Model's ${ANNOTATION_ALERT_SELECTOR} matches the alert's labels`,
            at: new Date().toISOString(),
          });
          continue;
        }
        for (const model of concerned) {
          items.push(
            await this.runOnce(
              alert,
              rule.action,
              rule.params,
              model.entityRef,
              request,
            ),
          );
        }
      }
    }
    return { items, ignored };
  }

  private async runOnce(
    alert: MlAlert,
    actionId: string,
    params: Record<string, unknown>,
    entityRef: string,
    request?: Request,
  ): Promise<AlertActionItem> {
    const { store, config, actions, auth, logger } = this.options;
    const alertname = alert.labels.alertname ?? '';
    const claim = await store.claim({
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      action: actionId,
      entityRef,
      alertname,
    });
    if (!claim.claimed) {
      logger.debug(
        `alert ${alertname} ${alert.fingerprint}: ${actionId} for ${entityRef} was handled before`,
      );
      return itemOf(alert, actionId, claim.record, 'duplicate');
    }
    const { record } = claim;
    const actor = actorOf(await auth.getOwnServiceCredentials());
    const details = {
      alertname,
      fingerprint: alert.fingerprint,
      startsAt: alert.startsAt,
      action: actionId,
    };
    const audited = await this.audit.begin({
      eventId: 'ml-alert-action',
      action: 'ml.alert.action',
      actor,
      targetRef: entityRef,
      details,
      meta: { entityRef, ...details },
      request,
    });
    const finish = async (
      status: 'started' | 'rate-limited' | 'failed',
      summary: string,
      extra: { runId?: string; pipelineRef?: string; error?: Error } = {},
    ) => {
      await store.finish(record.id, {
        status,
        summary,
        runId: extra.runId,
        pipelineRef: extra.pipelineRef,
      });
      await audited.finish(AUDIT_OUTCOME[status], {
        details: {
          status,
          summary,
          runId: extra.runId ?? null,
          pipelineRef: extra.pipelineRef ?? null,
        },
        error: extra.error,
        reason: summary,
        meta: status === 'started' ? { status, summary } : { status },
      });
      return itemOf(alert, actionId, {
        ...record,
        status,
        summary,
        runId: extra.runId,
        pipelineRef: extra.pipelineRef,
      });
    };

    const { maxPerModel, windowMinutes } = config.rateLimit;
    const since = new Date(Date.now() - windowMinutes * 60_000);
    const earlier = await store.countActiveBefore(entityRef, record.id, since);
    if (earlier >= maxPerModel) {
      return finish(
        'rate-limited',
        `not run: ${entityRef} already had ${earlier} alert action(s) in the last ${windowMinutes} minutes (ml.alerts.rateLimit.maxPerModel is ${maxPerModel})`,
      );
    }
    const action = actions.get(actionId);
    if (!action) {
      return finish('failed', `no alert action "${actionId}" is installed`);
    }
    try {
      const result = (await action.run({ alert, entityRef, params })) as {
        summary: string;
        ref?: string;
        runId?: string;
        pipelineRef?: string;
      };
      logger.info(
        `alert ${alertname} ${alert.fingerprint}: ${actionId} for ${entityRef}: ${result.summary}`,
      );
      return finish('started', result.summary, {
        runId: result.runId,
        pipelineRef: result.pipelineRef,
      });
    } catch (e) {
      const error = e as Error;
      logger.warn(
        `alert ${alertname} ${alert.fingerprint}: ${actionId} for ${entityRef} failed: ${error.message}`,
      );
      return finish('failed', `${actionId} failed: ${error.message}`, {
        error,
      });
    }
  }

  /** What the webhook did for one Model, newest first. */
  async listForModel(entityRef: string, limit: number) {
    const records = await this.options.store.listForEntity(entityRef, limit);
    return {
      items: records.map(
        (r): AlertActionItem => ({
          alertname: r.alertname,
          fingerprint: r.fingerprint,
          startsAt: r.startsAt,
          action: r.action,
          // Still running: report it as started, it is counted as such.
          status: r.status === 'pending' ? 'started' : r.status,
          summary: r.summary,
          entityRef: r.entityRef,
          ...(r.runId ? { runId: r.runId } : {}),
          ...(r.pipelineRef ? { pipelineRef: r.pipelineRef } : {}),
          at: r.createdAt,
        }),
      ),
    };
  }
}
