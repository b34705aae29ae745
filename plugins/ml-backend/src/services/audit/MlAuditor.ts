import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  AuditorServiceEventSeverityLevel,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { MlAuditOutcome } from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { AuditStore } from '../../database/AuditStore';

/** Meta of a Backstage auditor event (a JSON object). @internal */
export type AuditMeta = NonNullable<AuditorServiceCreateEventOptions['meta']>;

/** What an audited action is about, known before it is tried. @internal */
export interface MlAuditBegin {
  /** Backstage auditor event id, kebab-case, e.g. `ml-model-promote`. */
  eventId: string;
  /** ML audit action, e.g. `ml.model.promote` (see `ML_AUDIT_ACTIONS`). */
  action: string;
  /** Who acts: a user entity ref or a service subject (see {@link actorOf}). */
  actor: string;
  /** What is acted upon, e.g. `model:default/fraud-detector`. */
  targetRef: string;
  /** Facts recorded in the ML audit table with every outcome. */
  details: Record<string, unknown>;
  /** Meta of the Backstage auditor event; `details` when absent. */
  meta?: AuditMeta;
  /** The HTTP request, when there is one, for Backstage's auditor. */
  request?: Request;
  /** Backstage auditor severity; `medium` (a write) when absent. */
  severityLevel?: AuditorServiceEventSeverityLevel;
}

/** How an audited action ended, beyond its outcome. @internal */
export interface MlAuditResult {
  /** Why it failed or was refused; recorded in both trails. */
  error?: Error;
  /**
   * Why it failed or was refused when there is no error to record in the
   * ML table (e.g. a rate limit): Backstage's auditor still needs one.
   */
  reason?: string;
  /** Facts learned while acting, added to the details given at the start. */
  details?: Record<string, unknown>;
  /** Meta of the Backstage auditor's success or fail. */
  meta?: AuditMeta;
}

/** One audited action under way: end it exactly once. @internal */
export interface MlAuditedAction {
  succeeded(result?: MlAuditResult): Promise<void>;
  failed(result: MlAuditResult): Promise<void>;
  refused(result: MlAuditResult): Promise<void>;
  /** The same as the three above, by outcome. */
  finish(outcome: MlAuditOutcome, result?: MlAuditResult): Promise<void>;
}

/** Who acts, as recorded in the audit trail. @internal */
export function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as {
    type: string;
    userEntityRef?: string;
    subject?: string;
  };
  if (principal.type === 'user') return principal.userEntityRef!;
  if (principal.type === 'service') return principal.subject!;
  return principal.type;
}

/**
 * The one way the ML backend audits a mutation: the queryable ML audit table
 * (the Audit tab, `GET /api/ml/audit`) and Backstage's auditor (logs) get the
 * same outcome — refused, failed or succeeded — from one call, so the two
 * trails cannot disagree about what happened.
 *
 * @internal
 */
export class MlAuditor {
  static create(options: {
    auditStore: AuditStore;
    /** Backstage's auditor; the ML audit table is written either way. */
    auditor?: AuditorService;
  }): MlAuditor {
    return new MlAuditor(options.auditStore, options.auditor);
  }

  private constructor(
    private readonly auditStore: AuditStore,
    private readonly auditor: AuditorService | undefined,
  ) {}

  /**
   * Opens the Backstage auditor event of an action about to be tried; the
   * returned handle writes both trails when the action ends.
   */
  async begin(options: MlAuditBegin): Promise<MlAuditedAction> {
    const { eventId, action, actor, targetRef, details, request } = options;
    const event = await this.auditor?.createEvent({
      eventId,
      severityLevel: options.severityLevel ?? 'medium',
      ...(request ? { request } : {}),
      meta: options.meta ?? (details as AuditMeta),
    });
    let ended = false;
    const finish = async (
      outcome: MlAuditOutcome,
      result: MlAuditResult = {},
    ) => {
      // A second end would write a second row for the same attempt.
      if (ended) return;
      ended = true;
      await this.auditStore.record({
        actor,
        action,
        targetRef,
        outcome,
        details: { ...details, ...result.details },
        ...(result.error ? { error: result.error.message } : {}),
      });
      if (!event) return;
      if (outcome === 'succeeded') {
        await (result.meta
          ? event.success({ meta: result.meta })
          : event.success());
      } else {
        await event.fail({
          error:
            result.error ?? new Error(result.reason ?? `${action} ${outcome}`),
          ...(result.meta ? { meta: result.meta } : {}),
        });
      }
    };
    return {
      finish,
      succeeded: result => finish('succeeded', result),
      failed: result => finish('failed', result),
      refused: result => finish('refused', result),
    };
  }
}
