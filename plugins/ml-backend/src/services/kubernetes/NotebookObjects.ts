import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { NotebookRecord } from '../../database/NotebookStore';
import { ClusterService } from './ClusterService';
import { KubeApiError } from './KubeClient';
import {
  BuiltManifest,
  KUBEFLOW_STOPPED,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  NotebookManifestInput,
  buildNotebookObjects,
  collectionPath,
  objectPath,
  workspaceClaimName,
} from './manifests';
import { KubeObject } from './quotas';

/** Turns a failed Kubernetes call into the matching Backstage error. @internal */
export function toBackstageError(e: unknown): Error {
  if (!(e instanceof KubeApiError)) return e as Error;
  if (e.status === 404) return new NotFoundError(e.message);
  if (e.status === 409) return new ConflictError(e.message);
  if (e.status === 400 || e.status === 422) return new InputError(e.message);
  return new ServiceUnavailableError(e.message);
}

/** Why applying a notebook failed, and what was undone. @internal */
export interface ApplyFailure {
  /** The Kubernetes error, as a Backstage error. */
  error: Error;
  /** Its message with what the rollback left behind (or that nothing was). */
  message: string;
  /** `Kind/name` of each object that was created, then deleted again. */
  rolledBack: string[];
}

/**
 * A notebook's Kubernetes objects on its cluster: built for the cluster's
 * notebook backend, created all-or-nothing (what was created is deleted
 * again when one fails), scaled, deleted, and read back for their phase.
 *
 * @internal
 */
export class NotebookObjects {
  constructor(
    private readonly deps: { clusters: ClusterService; logger?: LoggerService },
  ) {}

  /**
   * The objects of a new notebook: a Kubeflow Notebook where the cluster
   * serves `kubeflow.org/v1` notebooks, else a StatefulSet + Service + PVC.
   */
  async build(
    cluster: string,
    input: NotebookManifestInput,
  ): Promise<{
    backend: 'kubeflow' | 'statefulset';
    objects: BuiltManifest[];
  }> {
    let apis;
    try {
      apis = await this.deps.clusters.apis(cluster);
    } catch (e) {
      throw toBackstageError(e);
    }
    const backend = apis.kubeflowNotebooks ? 'kubeflow' : 'statefulset';
    try {
      return { backend, objects: buildNotebookObjects(input, backend) };
    } catch (e) {
      throw e instanceof InputError ? e : new InputError((e as Error).message);
    }
  }

  /**
   * Creates the objects in order; when one fails, deletes the ones created
   * before it and says how that went. Undefined when all were created.
   */
  async apply(
    cluster: string,
    objects: BuiltManifest[],
  ): Promise<ApplyFailure | undefined> {
    const client = this.deps.clusters.client(cluster);
    const created: BuiltManifest[] = [];
    try {
      for (const object of objects) {
        const { resource, ...body } = object;
        await client.request(
          'POST',
          collectionPath(object),
          {
            verb: 'create',
            resource,
            object: `${object.metadata.namespace}/${object.metadata.name}`,
          },
          { body },
        );
        created.push(object);
      }
      return undefined;
    } catch (e) {
      const undo = [...created].reverse();
      const left = await this.deleteObjects(cluster, undo);
      const error = toBackstageError(e);
      return {
        error,
        message: left.length
          ? `${error.message}; rollback left behind: ${left.join('; ')}`
          : `${error.message}; nothing was left on the cluster`,
        rolledBack: undo.map(o => `${o.kind}/${o.metadata.name}`),
      };
    }
  }

  /** Scales a notebook to one replica or to none. */
  async setRunning(record: NotebookRecord, running: boolean): Promise<void> {
    const client = this.deps.clusters.client(record.cluster);
    const [workload] = this.objectsOf(record).slice(-1);
    const patch =
      record.spec.backend === 'kubeflow'
        ? {
            metadata: {
              annotations: {
                [KUBEFLOW_STOPPED]: running ? null : new Date().toISOString(),
              },
            },
          }
        : { spec: { replicas: running ? 1 : 0 } };
    await client.request(
      'PATCH',
      objectPath(workload),
      {
        verb: 'patch',
        resource: workload.resource,
        object: `${record.namespace}/${record.name}`,
      },
      { body: patch, contentType: 'application/merge-patch+json' },
    );
  }

  /** Sets (or, with null, removes) an annotation of the notebook's workload. */
  async annotate(
    record: NotebookRecord,
    key: string,
    value: string | null,
  ): Promise<void> {
    const client = this.deps.clusters.client(record.cluster);
    const [workload] = this.objectsOf(record).slice(-1);
    await client.request(
      'PATCH',
      objectPath(workload),
      {
        verb: 'patch',
        resource: workload.resource,
        object: `${record.namespace}/${record.name}`,
      },
      {
        body: { metadata: { annotations: { [key]: value } } },
        contentType: 'application/merge-patch+json',
      },
    );
  }

  /** Deletes every object of a notebook, the workload first. */
  async delete(record: NotebookRecord): Promise<void> {
    const objects = this.objectsOf(record).reverse();
    const left = await this.deleteObjects(record.cluster, objects);
    if (left.length) {
      throw new ServiceUnavailableError(
        `could not delete every object of notebook ${record.name}: ${left.join(
          '; ',
        )}`,
      );
    }
  }

  /**
   * Deletes whatever exists of a notebook whose creation was abandoned
   * mid-apply (its replica died): the objects of either backend, the
   * workloads first. Returns `Kind/name` of each object that was there;
   * throws when one could not be deleted.
   */
  async deleteAbandoned(
    cluster: string,
    namespace: string,
    name: string,
  ): Promise<string[]> {
    const at = { namespace, name };
    const kubeflow = this.objectsOf({ ...at, spec: { backend: 'kubeflow' } });
    const statefulset = this.objectsOf({
      ...at,
      spec: { backend: 'statefulset' },
    });
    const objects = [kubeflow[1], ...statefulset.reverse()];
    const deleted: string[] = [];
    const left = await this.deleteObjects(cluster, objects, deleted);
    if (left.length) {
      throw new ServiceUnavailableError(
        `could not delete every object of abandoned notebook ${name}: ${left.join(
          '; ',
        )}`,
      );
    }
    return deleted;
  }

  /** The workloads of a cluster's notebooks, one list call per kind in use. */
  async liveObjects(
    cluster: string,
    rows: NotebookRecord[],
  ): Promise<Map<string, KubeObject>> {
    const selector = `labelSelector=${encodeURIComponent(
      `${LABEL_MANAGED_BY}=${MANAGED_BY}`,
    )}`;
    const kinds = new Set(rows.map(r => r.spec.backend));
    const lists = await Promise.all(
      [...kinds].map(async backend =>
        backend === 'kubeflow'
          ? {
              kind: 'Notebook',
              list: await this.deps.clusters.list(
                cluster,
                `/apis/kubeflow.org/v1/notebooks?${selector}`,
                'notebooks.kubeflow.org',
              ),
            }
          : {
              kind: 'StatefulSet',
              list: await this.deps.clusters.list(
                cluster,
                `/apis/apps/v1/statefulsets?${selector}`,
                'statefulsets',
              ),
            },
      ),
    );
    // Items of a list response carry no kind; key them by the list's.
    const live = new Map<string, KubeObject>();
    for (const { kind, list } of lists) {
      for (const o of list.items) {
        live.set(`${kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o);
      }
    }
    return live;
  }

  /** Just enough of each object to address it (the workload last). */
  private objectsOf(
    record: Pick<NotebookRecord, 'namespace' | 'name'> & {
      spec: Pick<NotebookRecord['spec'], 'backend'>;
    },
  ): BuiltManifest[] {
    const meta = (name: string) => ({ name, namespace: record.namespace });
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      resource: 'persistentvolumeclaims',
      metadata: meta(workspaceClaimName(record.name)),
    };
    if (record.spec.backend === 'kubeflow') {
      return [
        pvc,
        {
          apiVersion: 'kubeflow.org/v1',
          kind: 'Notebook',
          resource: 'notebooks',
          metadata: meta(record.name),
        },
      ];
    }
    return [
      pvc,
      {
        apiVersion: 'v1',
        kind: 'Service',
        resource: 'services',
        metadata: meta(record.name),
      },
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        resource: 'statefulsets',
        metadata: meta(record.name),
      },
    ];
  }

  /**
   * Deletes objects in order; returns what could not be deleted (404 counts
   * as gone), and adds what was there and is deleted now to `deleted`.
   */
  private async deleteObjects(
    cluster: string,
    objects: BuiltManifest[],
    deleted: string[] = [],
  ): Promise<string[]> {
    const left: string[] = [];
    const client = this.deps.clusters.client(cluster);
    for (const o of objects) {
      try {
        await client.request(
          'DELETE',
          `${objectPath(o)}?propagationPolicy=Background`,
          {
            verb: 'delete',
            resource: o.resource,
            object: `${o.metadata.namespace}/${o.metadata.name}`,
          },
        );
        deleted.push(`${o.kind}/${o.metadata.name}`);
      } catch (e) {
        if (e instanceof KubeApiError && e.status === 404) continue;
        left.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
        this.deps.logger?.error(`ML notebooks: ${(e as Error).message}`);
      }
    }
    return left;
  }
}
