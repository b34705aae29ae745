import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

/**
 * What GPUs are promised to: a notebook being created or started, or a
 * model deployment being applied (its `gpus` × `maxReplicas`).
 *
 * @internal
 */
export interface GpuHolder {
  kind: 'notebook' | 'deployment';
  /** The notebook's or the deployment's name in its namespace. */
  name: string;
}

/** GPUs promised to one {@link GpuHolder}. @internal */
export interface GpuReservation {
  id: number;
  cluster: string;
  namespace: string;
  resource: string;
  /** Kueue ResourceFlavor; absent for a ResourceQuota. */
  flavor?: string;
  gpus: number;
  holder: GpuHolder;
  /** `applying` while its objects are written, `applied` after. */
  state: 'applying' | 'applied';
  /** Epoch ms after which it no longer counts (its replica died, or it settled). */
  expiresAt: number;
}

type ReservationRow = {
  id: number | string;
  cluster: string;
  namespace: string;
  resource: string;
  flavor: string | null;
  gpus: number | string;
  holder: string;
  holder_kind: GpuHolder['kind'];
  state: 'applying' | 'applied';
  expires_at: number | string;
  created_at: number | string;
};

const TABLE = 'ml_gpu_reservations';

function fromRow(r: ReservationRow): GpuReservation {
  return {
    id: Number(r.id),
    cluster: r.cluster,
    namespace: r.namespace,
    resource: r.resource,
    ...(r.flavor ? { flavor: r.flavor } : {}),
    gpus: Number(r.gpus),
    holder: { kind: r.holder_kind, name: r.holder },
    state: r.state,
    expiresAt: Number(r.expires_at),
  };
}

/** A cluster's reservations that have not expired at `now`, oldest first. */
async function countingOn(
  db: Knex,
  cluster: string,
  now: number,
): Promise<GpuReservation[]> {
  return (
    await db<ReservationRow>(TABLE)
      .where({ cluster })
      .andWhere('expires_at', '>', now)
      .orderBy('id')
  ).map(fromRow);
}

/** What may be done while a cluster's reservations are locked. @internal */
export interface GpuReservationLock {
  /**
   * The cluster's reservations that have not expired at `now`; drops the
   * expired `applied` ones. An expired `applying` notebook's (its replica
   * died mid-creation) no longer counts but stays for
   * {@link GpuReservationStore.abandoned} to clean up after; an expired
   * deployment's is dropped too (what its replica applied, it left as a
   * failed rollback would: labelled, on the Serving card).
   */
  live(now: number): Promise<GpuReservation[]>;
  add(reservation: Omit<GpuReservation, 'id'>): Promise<GpuReservation>;
  /** Drops reservations the cluster already counts. */
  remove(ids: number[]): Promise<void>;
}

/**
 * GPUs promised to notebooks and model deployments, shared by every backend
 * replica through the
 * plugin's database. {@link GpuReservationStore.withClusterLock} serializes
 * the quota checks of one cluster (a cluster, not a namespace: Kueue cohorts
 * lend GPUs across namespaces): an in-process queue, then a transaction that
 * holds a PostgreSQL advisory lock until it commits; on SQLite the single
 * connection's write transaction does the same.
 *
 * @internal
 */
export class GpuReservationStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<GpuReservationStore> {
    return new GpuReservationStore(await migratedClient(options.database));
  }

  /** Per cluster, the end of the last queued lock holder in this process. */
  private readonly queues = new Map<string, Promise<void>>();

  private constructor(private readonly db: Knex) {}

  /**
   * Runs `fn` while no other check of the cluster runs, in this process or
   * any other replica. `fn` must use only the lock it is given for the
   * database: the lock's transaction may hold the only connection.
   */
  async withClusterLock<T>(
    cluster: string,
    fn: (lock: GpuReservationLock) => Promise<T>,
  ): Promise<T> {
    const previous = this.queues.get(cluster) ?? Promise.resolve();
    let done!: () => void;
    const released = new Promise<void>(r => (done = r));
    const mine = previous.then(() => released);
    this.queues.set(cluster, mine);
    await previous;
    try {
      return await this.db.transaction(async tx => {
        if (this.db.client.dialect === 'postgresql') {
          // Released by COMMIT or ROLLBACK, also when the replica dies.
          await tx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [
            `${TABLE}:${cluster}`,
          ]);
        }
        return fn(this.lockOn(tx, cluster));
      });
    } finally {
      done();
      if (this.queues.get(cluster) === mine) this.queues.delete(cluster);
    }
  }

  /** The holder's objects exist: the reservation counts until `expiresAt`. */
  async markApplied(id: number, expiresAt: number): Promise<void> {
    await this.db<ReservationRow>(TABLE)
      .where({ id })
      .update({ state: 'applied', expires_at: expiresAt });
  }

  async release(id: number): Promise<void> {
    await this.db<ReservationRow>(TABLE).where({ id }).delete();
  }

  /** Drops what a holder held, e.g. a notebook once stopped or deleted. */
  async releaseHolder(
    cluster: string,
    namespace: string,
    holder: GpuHolder,
  ): Promise<void> {
    await this.db<ReservationRow>(TABLE)
      .where({
        cluster,
        namespace,
        holder: holder.name,
        holder_kind: holder.kind,
      })
      .delete();
  }

  /**
   * Notebook creations whose replica died mid-apply: `applying`
   * reservations expired at `now`, on every cluster, oldest first.
   */
  async abandoned(now: number): Promise<GpuReservation[]> {
    return (
      await this.db<ReservationRow>(TABLE)
        .where({ state: 'applying', holder_kind: 'notebook' })
        .andWhere('expires_at', '<=', now)
        .orderBy('id')
    ).map(fromRow);
  }

  /**
   * Takes an abandoned creation over until `until`: true for exactly one
   * caller (the row still has the expiry it was read with). While taken it
   * counts again, as the objects it cleans up may hold the GPUs; when the
   * taker dies too, it is abandoned again at `until`.
   */
  async takeOver(reservation: GpuReservation, until: number): Promise<boolean> {
    const changed = await this.db<ReservationRow>(TABLE)
      .where({
        id: reservation.id,
        state: 'applying',
        expires_at: reservation.expiresAt,
      })
      .update({ expires_at: until });
    return Number(changed) === 1;
  }

  /**
   * A cluster's reservations that count at `now`, read without its lock and
   * without dropping the expired ones: for showing what is promised, never
   * for spending GPUs (that is {@link GpuReservationLock.live}).
   */
  async counting(cluster: string, now: number): Promise<GpuReservation[]> {
    return countingOn(this.db, cluster, now);
  }

  /** Every row, expired or not (for tests and support). */
  async all(): Promise<GpuReservation[]> {
    return (await this.db<ReservationRow>(TABLE).orderBy('id')).map(fromRow);
  }

  private lockOn(tx: Knex.Transaction, cluster: string): GpuReservationLock {
    return {
      live: async now => {
        await tx<ReservationRow>(TABLE)
          .where({ cluster })
          .andWhere('expires_at', '<=', now)
          .andWhere(q =>
            q
              .where({ state: 'applied' })
              .orWhereNot({ holder_kind: 'notebook' }),
          )
          .delete();
        return countingOn(tx, cluster, now);
      },
      add: async reservation => {
        const [row] = await tx<ReservationRow>(TABLE)
          .insert({
            cluster: reservation.cluster,
            namespace: reservation.namespace,
            resource: reservation.resource,
            flavor: reservation.flavor ?? null,
            gpus: reservation.gpus,
            holder: reservation.holder.name,
            holder_kind: reservation.holder.kind,
            state: reservation.state,
            expires_at: reservation.expiresAt,
            created_at: Date.now(),
          })
          .returning('id');
        const id = typeof row === 'object' ? row.id : row;
        return { ...reservation, id: Number(id) };
      },
      remove: async ids => {
        if (ids.length === 0) return;
        await tx<ReservationRow>(TABLE).whereIn('id', ids).delete();
      },
    };
  }
}
