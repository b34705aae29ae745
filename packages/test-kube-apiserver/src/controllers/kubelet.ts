/*
 * The "kubelet" (and scheduler): binds new pods to node `test-node-1` and
 * marks them Running and Ready. PHASE_ANNOTATION (Pending, Running,
 * Succeeded, Failed) pins a pod's phase, MESSAGE_ANNOTATION its message;
 * Pending pods get PodScheduled=False/Unschedulable. Started containers get
 * a log (podLogs.ts): the seed annotation's lines or a deterministic few;
 * containers of a finished pod have exited, so follows of them end.
 */
import { initialLines } from '../podLogs';
import {
  ControllerContext,
  MESSAGE_ANNOTATION,
  PHASE_ANNOTATION,
  hash,
  now,
} from './common';

const NODE = 'test-node-1';

/** The status the kubelet reports for `pod` in its (pinned) phase. */
function podStatus(pod: any) {
  const phase: string =
    pod.metadata.annotations?.[PHASE_ANNOTATION] ?? 'Running';
  const message: string | undefined =
    pod.metadata.annotations?.[MESSAGE_ANNOTATION];
  const ts = pod.status?.startTime ?? now();
  const containers: any[] = pod.spec?.containers ?? [];
  if (phase === 'Pending') {
    return {
      phase,
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: ts,
          reason: 'Unschedulable',
          message:
            message ?? `0/1 nodes are available: 1 Insufficient resources.`,
        },
      ],
      qosClass: pod.status?.qosClass,
    };
  }
  const running = phase === 'Running';
  const state = running
    ? { running: { startedAt: ts } }
    : {
        terminated: {
          exitCode: phase === 'Succeeded' ? 0 : 1,
          reason: phase === 'Succeeded' ? 'Completed' : 'Error',
          startedAt: ts,
          finishedAt: now(),
          ...(message ? { message } : {}),
        },
      };
  const cond = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: ts,
  });
  return {
    phase,
    conditions: [
      cond('PodReadyToStartContainers', running),
      cond('Initialized', true),
      cond('Ready', running),
      cond('ContainersReady', running),
      cond('PodScheduled', true),
    ],
    hostIP: '10.0.0.11',
    hostIPs: [{ ip: '10.0.0.11' }],
    podIP:
      pod.status?.podIP ??
      `10.244.0.${(parseInt(hash(pod.metadata.uid), 16) % 250) + 2}`,
    startTime: ts,
    containerStatuses: containers.map(c => ({
      name: c.name,
      state,
      ready: running,
      restartCount: 0,
      image: c.image,
      imageID: `${c.image}@sha256:${hash(c.image)}${hash(c.image)}`,
      containerID: `containerd://${hash(pod.metadata.uid + c.name)}`,
      started: running,
    })),
    qosClass: pod.status?.qosClass,
  };
}

/** Starts (and for a finished pod, exits) the pod's containers' logs. */
function writeLogs(cluster: ControllerContext['cluster'], pod: any): void {
  const phase = pod.status?.phase;
  if (!pod.spec?.nodeName || !phase || phase === 'Pending') return;
  const uid = pod.metadata.uid;
  for (const c of pod.spec?.containers ?? []) {
    cluster.podLogs.start(uid, c.name, initialLines(pod, c));
    if (phase === 'Succeeded' || phase === 'Failed') {
      if (!cluster.podLogs.terminated(uid, c.name)) {
        cluster.podLogs.append(
          uid,
          c.name,
          `${c.name}: exited with code ${phase === 'Succeeded' ? 0 : 1}`,
        );
        cluster.podLogs.terminate(uid, c.name);
      }
    }
  }
}

/** Schedules and "runs" a pod, unless it is already where it should be. */
export function kubelet({
  cluster,
  kinds,
  record,
}: ControllerContext): (pod: any) => void {
  const podT = kinds.pod;
  return pod => {
    const pinned = pod.metadata.annotations?.[PHASE_ANNOTATION];
    const want = pinned ?? 'Running';
    writeLogs(cluster, pod);
    if (
      pod.status?.phase === want &&
      (want !== 'Running' || pod.spec?.nodeName)
    )
      return;
    if (!pinned && pod.status?.phase && pod.status.phase !== 'Pending') return;
    let current = pod;
    if (want !== 'Pending' && !pod.spec?.nodeName) {
      record(
        pod,
        podT,
        'Normal',
        'Scheduled',
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${NODE}`,
        'default-scheduler',
      );
      current = cluster.update(
        podT,
        'v1',
        pod.metadata.namespace,
        pod.metadata.name,
        { ...pod, spec: { ...pod.spec, nodeName: NODE } },
      ).object;
    }
    const ran = cluster.update(
      podT,
      'v1',
      pod.metadata.namespace,
      pod.metadata.name,
      { ...current, status: podStatus(current) },
      { status: true },
    ).object;
    writeLogs(cluster, ran);
  };
}
