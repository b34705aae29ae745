import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@mlplatform/plugin-ml-backend',
  'migrations',
);

/** @internal */
export type AuditOutcome = 'succeeded' | 'failed' | 'refused';

/** @internal */
export interface AuditEvent {
  id: number;
  occurredAt: string;
  actor: string;
  action: string;
  targetRef: string;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
  error?: string;
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
    const client = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new AuditStore(client);
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
  async list(
    filter: {
      targetRef?: string;
      actor?: string;
      action?: string;
      limit?: number;
    } = {},
  ): Promise<AuditEvent[]> {
    const query = this.db<AuditRow>('ml_audit_events')
      .orderBy([
        { column: 'occurred_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.targetRef) query.where('target_ref', filter.targetRef);
    if (filter.actor) query.where('actor', filter.actor);
    if (filter.action) query.where('action', filter.action);
    const rows = await query;
    return rows.map(r => ({
      id: Number(r.id),
      occurredAt: toIso(r.occurred_at),
      actor: r.actor,
      action: r.action,
      targetRef: r.target_ref,
      outcome: r.outcome,
      details: r.details ? JSON.parse(r.details) : {},
      ...(r.error ? { error: r.error } : {}),
    }));
  }
}
