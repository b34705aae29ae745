import { LoggerService } from '@backstage/backend-plugin-api';
import {
  QueueAdmission,
  QueueAdmissionStore,
} from '../../database/QueueAdmissionStore';
import { ClusterService, KUEUE_GROUP } from '../kubernetes/ClusterService';
import { KubeObject, workloadGpus } from '../kubernetes/quotas';

const condition = (wl: KubeObject, type: string) =>
  (wl.status?.conditions ?? []).find((c: any) => c?.type === type);

/**
 * The admissions visible in a list of Kueue Workloads: each workload whose
 * QuotaReserved (or, from older Kueue, Admitted) condition is True, with
 * the GPUs it asked for and the flavor Kueue assigned them from. The wait is
 * creation → that condition's transition; a workload evicted and admitted
 * again is recorded at its first observed admission only (the store keeps
 * one row per uid).
 *
 * @internal
 */
export function admissionsOf(
  cluster: string,
  workloads: KubeObject[],
): QueueAdmission[] {
  const out: QueueAdmission[] = [];
  for (const wl of workloads) {
    const reserved = [condition(wl, 'QuotaReserved'), condition(wl, 'Admitted')]
      .filter(c => c?.status === 'True' && c.lastTransitionTime)
      .map(c => Date.parse(c.lastTransitionTime))
      .filter(Number.isFinite);
    const createdAt = Date.parse(wl.metadata?.creationTimestamp ?? '');
    const clusterQueue: string | undefined = wl.status?.admission?.clusterQueue;
    if (!reserved.length || !Number.isFinite(createdAt) || !clusterQueue) {
      continue;
    }
    const gpus = Object.entries(workloadGpus(wl))
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b));
    if (!gpus.length) continue;
    const [resource, count] = gpus[0];
    const flavor = (wl.status.admission.podSetAssignments ?? [])
      .map((a: any) => a?.flavors?.[resource])
      .find((f: unknown): f is string => typeof f === 'string' && f !== '');
    const namespace = wl.metadata?.namespace ?? '';
    const name = wl.metadata?.name ?? '';
    out.push({
      cluster,
      namespace,
      workload: name,
      // Without a uid (never on a real API server) the creation time tells
      // two workloads of the same name apart.
      uid:
        (wl.metadata as { uid?: string } | undefined)?.uid ??
        `${namespace}/${name}@${createdAt}`,
      clusterQueue,
      ...(flavor ? { flavor } : {}),
      resource,
      gpus: count,
      createdAt,
      admittedAt: Math.min(...reserved),
    });
  }
  return out;
}

/**
 * Watches the configured clusters' Kueue Workloads for admissions, one list
 * of workloads per Kueue cluster per run (a scheduled task), and records
 * the new ones. A cluster that fails is logged and skipped until next run.
 *
 * @internal
 */
export class AdmissionObserver {
  constructor(
    private readonly options: {
      clusters: ClusterService;
      store: QueueAdmissionStore;
      historyDays: number;
      logger: LoggerService;
    },
  ) {}

  /** One observation of every cluster; returns the admissions newly recorded. */
  async run(): Promise<number> {
    const { clusters, store, logger } = this.options;
    let added = 0;
    for (const cluster of clusters.names()) {
      try {
        const { kueue } = await clusters.apis(cluster);
        if (!kueue) continue;
        const list = await clusters.list(
          cluster,
          `/apis/${KUEUE_GROUP}/${kueue}/workloads`,
          `workloads.${KUEUE_GROUP}`,
        );
        added += await store.record(admissionsOf(cluster, list.items ?? []));
      } catch (e) {
        logger.warn(
          `Kueue admissions of cluster ${cluster} not observed: ${
            (e as Error).message
          }`,
        );
      }
    }
    await store.prune(Date.now() - this.options.historyDays * 2 * 86_400_000);
    return added;
  }
}
