import {
  Notebook,
  NotebookPhase,
  PendingWorkload,
} from '@mlplatform/plugin-ml-common';
import { fillNotebookUrl } from '../../config';
import { NotebookRecord } from '../../database/NotebookStore';
import { KUBEFLOW_STOPPED } from './manifests';
import { KubeObject } from './quotas';

/**
 * Running when a replica is ready; Stopped when scaled to 0 (or, for
 * Kubeflow, annotated stopped); otherwise Pending with the reason from a
 * quota FailedCreate event or a pending Kueue workload of the notebook.
 *
 * @internal
 */
export function phaseOf(
  r: NotebookRecord,
  live: Map<string, KubeObject>,
  pending: Array<
    Pick<PendingWorkload, 'kind' | 'name' | 'namespace' | 'message'>
  >,
): { phase: NotebookPhase; message?: string } {
  const kind = r.spec.backend === 'kubeflow' ? 'Notebook' : 'StatefulSet';
  const object = live.get(`${kind}/${r.namespace}/${r.name}`);
  if (!object) {
    return {
      phase: 'Failed',
      message: `its ${kind} no longer exists on ${r.cluster}`,
    };
  }
  const stopped =
    r.spec.backend === 'kubeflow'
      ? object.metadata?.annotations?.[KUBEFLOW_STOPPED] !== undefined
      : object.spec?.replicas === 0;
  if (stopped) return { phase: 'Stopped' };
  if ((object.status?.readyReplicas ?? 0) >= 1) return { phase: 'Running' };
  const pod = `${r.name}-0`;
  // Kueue names a workload after its owner: `statefulset-<name>-<hash>`
  // (StatefulSet integration) or `pod-<name>-0-<hash>` (pod integration).
  const workloadPrefixes = [
    `statefulset-${r.name}-`,
    `pod-${pod}-`,
    `notebook-${r.name}-`,
  ];
  const reason = pending.find(
    p =>
      p.namespace === r.namespace &&
      ((p.kind === 'Pod' && p.name === pod) ||
        (p.kind === 'Workload' &&
          workloadPrefixes.some(prefix => p.name.startsWith(prefix)))),
  );
  const waiting = object.status?.containerState?.waiting;
  return {
    phase: 'Pending',
    message:
      reason?.message ??
      (waiting
        ? `${waiting.reason ?? 'Waiting'}${
            waiting.message ? `: ${waiting.message}` : ''
          }`
        : 'waiting for the notebook pod to become ready'),
  };
}

/**
 * A stored notebook as the API shows it, in the given state, with its URL
 * when the cluster has a notebook URL configured.
 *
 * @internal
 */
export function toNotebook(
  r: NotebookRecord,
  notebookUrl: string | undefined,
  state: { phase: NotebookPhase; message?: string },
): Notebook {
  return {
    name: r.name,
    cluster: r.cluster,
    namespace: r.namespace,
    ...(r.team ? { team: r.team } : {}),
    createdBy: r.createdBy,
    image: r.spec.image,
    cpu: r.spec.cpu,
    memory: r.spec.memory,
    storage: r.spec.storage,
    gpus: r.spec.gpus,
    gpuResource: r.spec.gpuResource,
    ...(r.spec.flavor ? { flavor: r.spec.flavor } : {}),
    backend: r.spec.backend,
    ...(r.spec.queue ? { queue: r.spec.queue } : {}),
    phase: state.phase,
    ...(state.message ? { message: state.message } : {}),
    ...(notebookUrl
      ? {
          url: fillNotebookUrl(notebookUrl, {
            namespace: r.namespace,
            name: r.name,
          }),
        }
      : {}),
    createdAt: r.createdAt,
  };
}
