import { DatabaseService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { MlAuditEvent, MlAuditOutcome } from '@mlplatform/plugin-ml-common';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

/** @internal */
export type AuditOutcome = MlAuditOutcome;

/** @internal */
export type AuditEvent = MlAuditEvent;

/** What {@link AuditStore.list} narrows by; all optional. @internal */
export interface AuditFilter {
  targetRef?: string;
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit?: number;
  /** From a previous page's `nextCursor`: continue after that event. */
  cursor?: string;
}

// A page ends at an event; the next page starts strictly after it in
// (occurred_at desc, id desc) order, so new events do not shift pages.
function encodeCursor(event: AuditEvent): string {
  return Buffer.from(
    `${Date.parse(event.occurredAt)}.${event.id}`,
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: number } {
  const match = /^(\d{1,15})\.(\d{1,18})$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) {
    throw new InputError('Invalid query: cursor: not a cursor of this API');
  }
  return { at: new Date(Number(match[1])), id: Number(match[2]) };
}

type AuditRow = {
  id: number | string;
  occurred_at: Date | string | number;
  actor: string;
  action: string;
  target_ref: string;
  outcome: AuditOutcome;
  details: string | null;
  error: string | null;
};

// PostgreSQL returns a Date; better-sqlite3 returns what knex stored: epoch
// milliseconds for a Date, or a "YYYY-MM-DD HH:MM:SS" UTC string for defaults.
function toIso(value: Date | string | number): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return new Date(
    /[zZ+]/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

/**
 * The queryable audit trail of the ML backend's mutations: who did what to
 * which entity, when, and how it ended. Complements Backstage's auditor
 * service, whose events go to logs and cannot be listed on an entity page.
 *
 * @internal
 */
export class AuditStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<AuditStore> {
    return new AuditStore(await migratedClient(options.database));
  }

  private constructor(private readonly db: Knex) {}

  async record(
    event: Omit<AuditEvent, 'id' | 'occurredAt'>,
  ): Promise<AuditEvent> {
    const occurredAt = new Date();
    const [row] = await this.db<AuditRow>('ml_audit_events')
      .insert({
        occurred_at: occurredAt,
        actor: event.actor,
        action: event.action,
        target_ref: event.targetRef,
        outcome: event.outcome,
        details: JSON.stringify(event.details ?? {}),
        error: event.error ?? null,
      })
      .returning('id');
    const id = typeof row === 'object' ? row.id : row;
    return { ...event, id: Number(id), occurredAt: occurredAt.toISOString() };
  }

  /** Newest first, optionally narrowed to one target, actor or action. */
  async list(filter: AuditFilter = {}): Promise<AuditEvent[]> {
    return (await this.page(filter)).items;
  }

  /** One page, newest first, with the cursor of the next page if any. */
  async page(
    filter: AuditFilter = {},
  ): Promise<{ items: AuditEvent[]; nextCursor?: string }> {
    const limit = Math.min(filter.limit ?? 100, 1000);
    const query = this.db<AuditRow>('ml_audit_events')
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit + 1);
    if (filter.targetRef) query.where('target_ref', filter.targetRef);
    if (filter.actor) query.where('actor', filter.actor);
    if (filter.action) query.where('action', filter.action);
    if (filter.outcome) query.where('outcome', filter.outcome);
    if (filter.from) query.where('occurred_at', '>=', filter.from);
    if (filter.to) query.where('occurred_at', '<', filter.to);
    if (filter.cursor) {
      const { at, id } = decodeCursor(filter.cursor);
      query.where(q =>
        q
          .where('occurred_at', '<', at)
          .orWhere(q2 => q2.where('occurred_at', at).andWhere('id', '<', id)),
      );
    }
    const rows = await query;
    const items = rows.slice(0, limit).map(r => this.toEvent(r));
    return rows.length > limit
      ? { items, nextCursor: encodeCursor(items[items.length - 1]) }
      : { items };
  }

  private toEvent(r: AuditRow): AuditEvent {
    return {
      id: Number(r.id),
      occurredAt: toIso(r.occurred_at),
      actor: r.actor,
      action: r.action,
      targetRef: r.target_ref,
      outcome: r.outcome,
      details: r.details ? JSON.parse(r.details) : {},
      ...(r.error ? { error: r.error } : {}),
    };
  }
}
