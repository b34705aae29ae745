import {
  DatabaseService,
  isDatabaseConflictError,
} from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { migratedClient } from './migrations';

/**
 * The refusal of a second live notebook of a name: from the API's check and
 * from the store's unique index when two creations race. @internal
 */
export function notebookExists(where: {
  cluster: string;
  namespace: string;
  name: string;
}): ConflictError {
  return new ConflictError(
    `a notebook named ${where.name} already exists in ${where.namespace} on ${where.cluster}`,
  );
}

/** What was asked for when the notebook was created. @internal */
export interface NotebookSpec {
  image: string;
  cpu: string;
  memory: string;
  storage: string;
  gpus: number;
  gpuResource: string;
  flavor?: string;
  backend: 'kubeflow' | 'statefulset' | 'jupyterhub';
  queue?: string;
  /** GpuQuota entity ref, when the notebook was created from one. */
  quota?: string;
  /**
   * The owner's opt-out from the idle policy, for backends without an
   * object of the portal's to annotate (JupyterHub named servers).
   */
  idlePolicy?: 'exempt';
}

/** @internal */
export interface NotebookRecord {
  id: number;
  cluster: string;
  namespace: string;
  name: string;
  createdBy: string;
  team?: string;
  spec: NotebookSpec;
  createdAt: string;
  deletedAt?: string;
}

type NotebookRow = {
  id: number | string;
  cluster: string;
  namespace: string;
  name: string;
  created_by: string;
  team: string | null;
  spec: string;
  created_at: Date | string | number;
  deleted_at: Date | string | number | null;
};

// Same normalisation as AuditStore: PostgreSQL gives Dates, SQLite numbers or strings.
function toIso(value: Date | string | number): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  return new Date(
    /[zZ+]/.test(value) ? value : `${value.replace(' ', 'T')}Z`,
  ).toISOString();
}

function fromRow(r: NotebookRow): NotebookRecord {
  return {
    id: Number(r.id),
    cluster: r.cluster,
    namespace: r.namespace,
    name: r.name,
    createdBy: r.created_by,
    ...(r.team ? { team: r.team } : {}),
    spec: JSON.parse(r.spec),
    createdAt: toIso(r.created_at),
    ...(r.deleted_at ? { deletedAt: toIso(r.deleted_at) } : {}),
  };
}

/**
 * The notebooks the ML backend created. A deleted notebook keeps its row
 * with `deleted_at` set, so the history stays queryable.
 *
 * @internal
 */
export class NotebookStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<NotebookStore> {
    return new NotebookStore(await migratedClient(options.database));
  }

  private constructor(private readonly db: Knex) {}

  async add(
    notebook: Omit<NotebookRecord, 'id' | 'createdAt' | 'deletedAt'>,
  ): Promise<NotebookRecord> {
    const createdAt = new Date();
    const [row] = await this.db<NotebookRow>('ml_notebooks')
      .insert({
        cluster: notebook.cluster,
        namespace: notebook.namespace,
        name: notebook.name,
        created_by: notebook.createdBy,
        team: notebook.team ?? null,
        spec: JSON.stringify(notebook.spec),
        created_at: createdAt,
      })
      .returning('id')
      .catch(e => {
        // One live notebook per name (ml_notebooks_live_name_idx).
        if (!isDatabaseConflictError(e)) throw e;
        throw notebookExists(notebook);
      });
    const id = typeof row === 'object' ? row.id : row;
    return { ...notebook, id: Number(id), createdAt: createdAt.toISOString() };
  }

  /** The live (not deleted) notebook of that name, if any. */
  async get(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<NotebookRecord | undefined> {
    const row = await this.db<NotebookRow>('ml_notebooks')
      .where({ cluster, namespace, name })
      .whereNull('deleted_at')
      .first();
    return row ? fromRow(row) : undefined;
  }

  /** Live notebooks, optionally only one user's, oldest first. */
  async list(filter: { createdBy?: string } = {}): Promise<NotebookRecord[]> {
    const query = this.db<NotebookRow>('ml_notebooks')
      .whereNull('deleted_at')
      .orderBy([
        { column: 'created_at', order: 'asc' },
        { column: 'id', order: 'asc' },
      ]);
    if (filter.createdBy) query.where('created_by', filter.createdBy);
    return (await query).map(fromRow);
  }

  /** Replaces what is kept about a live notebook. */
  async updateSpec(id: number, spec: NotebookSpec): Promise<void> {
    await this.db<NotebookRow>('ml_notebooks')
      .where({ id })
      .whereNull('deleted_at')
      .update({ spec: JSON.stringify(spec) });
  }

  async markDeleted(id: number): Promise<void> {
    await this.db<NotebookRow>('ml_notebooks')
      .where({ id })
      .update({ deleted_at: new Date() });
  }
}
