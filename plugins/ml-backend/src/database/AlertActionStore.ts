import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

/**
 * Where an alert action stands: `pending` while it runs, then what it did.
 *
 * @internal
 */
export type AlertActionRecordStatus =
  | 'pending'
  | 'started'
  | 'rate-limited'
  | 'failed';

/** @internal */
export interface AlertActionRecord {
  id: number;
  fingerprint: string;
  startsAt: string;
  action: string;
  alertname: string;
  entityRef: string;
  status: AlertActionRecordStatus;
  summary: string;
  runId?: string;
  pipelineRef?: string;
  createdAt: string;
}

type AlertActionRow = {
  id: number | string;
  fingerprint: string;
  starts_at: string;
  action: string;
  alertname: string;
  entity_ref: string;
  status: AlertActionRecordStatus;
  summary: string;
  run_id: string | null;
  pipeline_ref: string | null;
  created_at: Date | string | number;
};

// Same normalisation as AuditStore: PostgreSQL gives Dates, SQLite numbers or strings.
function toIso(value: Date | string | number): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return new Date(
    /[zZ+]/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

function fromRow(r: AlertActionRow): AlertActionRecord {
  return {
    id: Number(r.id),
    fingerprint: r.fingerprint,
    startsAt: r.starts_at,
    action: r.action,
    alertname: r.alertname,
    entityRef: r.entity_ref,
    status: r.status,
    summary: r.summary,
    ...(r.run_id ? { runId: r.run_id } : {}),
    ...(r.pipeline_ref ? { pipelineRef: r.pipeline_ref } : {}),
    createdAt: toIso(r.created_at),
  };
}

/** The identity of one alert action: the same alert re-delivered has the same key. @internal */
export interface AlertActionKey {
  fingerprint: string;
  startsAt: string;
  action: string;
  entityRef: string;
}

/**
 * What the alert webhook did per (alert fingerprint, startsAt, action,
 * model). A row is claimed before the action runs, so a re-delivery that
 * arrives while the first is still running finds it and starts nothing.
 *
 * @internal
 */
export class AlertActionStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<AlertActionStore> {
    return new AlertActionStore(await migratedClient(options.database));
  }

  private constructor(private readonly db: Knex) {}

  /**
   * Records that the action is about to run. Returns the existing record
   * instead when this key was claimed before, unless that claim is still
   * `pending` after `stalePendingMs` (default 10 minutes): the backend that
   * made it stopped mid-action, so this delivery takes it over.
   */
  async claim(
    key: AlertActionKey & { alertname: string },
    options: { stalePendingMs?: number } = {},
  ): Promise<
    | { claimed: true; record: AlertActionRecord }
    | { claimed: false; record: AlertActionRecord }
  > {
    const existing = await this.get(key);
    if (existing) {
      const staleBefore =
        Date.now() - (options.stalePendingMs ?? 10 * 60 * 1000);
      if (
        existing.status !== 'pending' ||
        Date.parse(existing.createdAt) > staleBefore
      ) {
        return { claimed: false, record: existing };
      }
      const now = new Date();
      // Only one delivery wins the takeover: the row must still be the one read.
      const taken = await this.db<AlertActionRow>('ml_alert_actions')
        .where({ id: existing.id, status: 'pending' })
        .where('created_at', '<', new Date(staleBefore))
        .update({ created_at: now });
      if (taken === 1) {
        return {
          claimed: true,
          record: { ...existing, createdAt: now.toISOString() },
        };
      }
      return { claimed: false, record: (await this.get(key)) ?? existing };
    }
    const createdAt = new Date();
    try {
      const [row] = await this.db<AlertActionRow>('ml_alert_actions')
        .insert({
          fingerprint: key.fingerprint,
          starts_at: key.startsAt,
          action: key.action,
          alertname: key.alertname,
          entity_ref: key.entityRef,
          status: 'pending',
          summary: `running ${key.action}`,
          created_at: createdAt,
        })
        .returning('id');
      const id = typeof row === 'object' ? row.id : row;
      return {
        claimed: true,
        record: {
          ...key,
          id: Number(id),
          status: 'pending',
          summary: `running ${key.action}`,
          createdAt: createdAt.toISOString(),
        },
      };
    } catch (error) {
      // Lost a race with a concurrent delivery of the same alert.
      const winner = await this.get(key);
      if (winner) return { claimed: false, record: winner };
      throw error;
    }
  }

  async get(key: AlertActionKey): Promise<AlertActionRecord | undefined> {
    const row = await this.db<AlertActionRow>('ml_alert_actions')
      .where({
        fingerprint: key.fingerprint,
        starts_at: key.startsAt,
        action: key.action,
        entity_ref: key.entityRef,
      })
      .first();
    return row ? fromRow(row) : undefined;
  }

  /**
   * How many actions for the entity were claimed before `id` since `since`
   * and did not end rate-limited or failed: what counts against its rate
   * limit. Ordering by id makes concurrent claims agree on who was first.
   */
  async countActiveBefore(
    entityRef: string,
    id: number,
    since: Date,
  ): Promise<number> {
    const [{ count }] = await this.db<AlertActionRow>('ml_alert_actions')
      .where('entity_ref', entityRef)
      .where('id', '<', id)
      .where('created_at', '>=', since)
      .whereIn('status', ['pending', 'started'])
      .count({ count: '*' });
    return Number(count);
  }

  async finish(
    id: number,
    result: {
      status: Exclude<AlertActionRecordStatus, 'pending'>;
      summary: string;
      runId?: string;
      pipelineRef?: string;
    },
  ): Promise<void> {
    await this.db<AlertActionRow>('ml_alert_actions')
      .where({ id })
      .update({
        status: result.status,
        summary: result.summary,
        run_id: result.runId ?? null,
        pipeline_ref: result.pipelineRef ?? null,
      });
  }

  /** Newest first. */
  async listForEntity(
    entityRef: string,
    limit: number,
  ): Promise<AlertActionRecord[]> {
    const rows = await this.db<AlertActionRow>('ml_alert_actions')
      .where('entity_ref', entityRef)
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(limit);
    return rows.map(fromRow);
  }
}
