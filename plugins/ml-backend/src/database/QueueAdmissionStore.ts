import { DatabaseService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

/** One Kueue Workload's admission, as observed. @internal */
export interface QueueAdmission {
  cluster: string;
  namespace: string;
  workload: string;
  /** Workload `metadata.uid`: a workload is recorded once. */
  uid: string;
  clusterQueue: string;
  /** ResourceFlavor its GPUs were assigned from; absent when Kueue named none. */
  flavor?: string;
  resource: string;
  gpus: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of QuotaReserved=True. */
  admittedAt: number;
}

/** Which admissions a wait estimate draws on. @internal */
export interface AdmissionFilter {
  cluster: string;
  clusterQueue: string;
  resource: string;
  /** Undefined: any flavor. */
  flavor?: string;
  minGpus: number;
  /** Inclusive; undefined: no upper bound. */
  maxGpus?: number;
  /** Epoch ms: only admissions at or after it. */
  since: number;
}

type AdmissionRow = {
  cluster: string;
  namespace: string;
  workload: string;
  uid: string;
  cluster_queue: string;
  flavor: string | null;
  resource: string;
  gpus: number | string;
  created_at: number | string;
  admitted_at: number | string;
  wait_seconds: number | string;
};

const TABLE = 'ml_queue_admissions';

/**
 * The admissions the backend observed, shared by every replica through the
 * plugin's database; each workload counts once however often it is seen.
 *
 * @internal
 */
export class QueueAdmissionStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<QueueAdmissionStore> {
    return new QueueAdmissionStore(await migratedClient(options.database));
  }

  private constructor(private readonly db: Knex) {}

  /** Records admissions not recorded before; returns how many were new. */
  async record(admissions: QueueAdmission[]): Promise<number> {
    let added = 0;
    // Chunks keep SQLite under its bound-variable limit.
    for (let i = 0; i < admissions.length; i += 50) {
      const rows: AdmissionRow[] = admissions.slice(i, i + 50).map(a => ({
        cluster: a.cluster,
        namespace: a.namespace,
        workload: a.workload,
        uid: a.uid,
        cluster_queue: a.clusterQueue,
        flavor: a.flavor ?? null,
        resource: a.resource,
        gpus: a.gpus,
        created_at: a.createdAt,
        admitted_at: a.admittedAt,
        wait_seconds: Math.max(0, (a.admittedAt - a.createdAt) / 1000),
      }));
      const inserted = await this.db<AdmissionRow>(TABLE)
        .insert(rows)
        .onConflict(['cluster', 'uid'])
        .ignore()
        .returning('uid');
      added += inserted.length;
    }
    return added;
  }

  /** The waits (seconds) of matching admissions, in admission order. */
  async waits(filter: AdmissionFilter): Promise<number[]> {
    const query = this.db<AdmissionRow>(TABLE)
      .select('wait_seconds')
      .where({
        cluster: filter.cluster,
        cluster_queue: filter.clusterQueue,
        resource: filter.resource,
      })
      .andWhere('admitted_at', '>=', filter.since)
      .andWhere('gpus', '>=', filter.minGpus)
      .orderBy('admitted_at');
    if (filter.maxGpus !== undefined)
      query.andWhere('gpus', '<=', filter.maxGpus);
    if (filter.flavor !== undefined) query.andWhere('flavor', filter.flavor);
    return (await query).map(r => Number(r.wait_seconds));
  }

  /**
   * When a ClusterQueue's workloads were admitted (epoch ms, oldest first),
   * at or after `since`; each workload once, whatever its GPU resources.
   */
  async admissionTimes(filter: {
    cluster: string;
    clusterQueue: string;
    since: number;
  }): Promise<number[]> {
    const rows = await this.db<AdmissionRow>(TABLE)
      .distinct('uid', 'admitted_at')
      .where({ cluster: filter.cluster, cluster_queue: filter.clusterQueue })
      .andWhere('admitted_at', '>=', filter.since)
      .orderBy('admitted_at');
    return rows.map(r => Number(r.admitted_at));
  }

  /** Drops admissions older than `before` (epoch ms); returns how many. */
  async prune(before: number): Promise<number> {
    return this.db<AdmissionRow>(TABLE)
      .where('admitted_at', '<', before)
      .delete();
  }

  /** Every row, oldest admission first (for tests and support). */
  async all(): Promise<QueueAdmission[]> {
    const rows = await this.db<AdmissionRow>(TABLE).orderBy('admitted_at');
    return rows.map(r => ({
      cluster: r.cluster,
      namespace: r.namespace,
      workload: r.workload,
      uid: r.uid,
      clusterQueue: r.cluster_queue,
      ...(r.flavor ? { flavor: r.flavor } : {}),
      resource: r.resource,
      gpus: Number(r.gpus),
      createdAt: Number(r.created_at),
      admittedAt: Number(r.admitted_at),
    }));
  }
}
