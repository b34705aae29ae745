/*
 * Argo's workflow controller, reduced to its phases: a new Workflow (no
 * status.phase) goes Pending, then Running and Succeeded after
 * WORKFLOW_STEP_MS each. PHASE_ANNOTATION (Running, Failed, Error) pins
 * where it ends and MESSAGE_ANNOTATION its message. A `workflowTemplateRef`
 * to a missing WorkflowTemplate ends in Error with Argo's message. No pods,
 * nodes or CronWorkflow scheduling.
 */
import {
  ControllerContext,
  MESSAGE_ANNOTATION,
  PHASE_ANNOTATION,
  now,
} from './common';

/** Time a simulated Workflow spends in Pending and then in Running. */
export const WORKFLOW_STEP_MS = 300;

/** Starts a new Workflow on its way through the phases. */
export function workflowController({
  cluster,
  kinds,
}: ControllerContext): (wf: any) => void {
  const { workflow: wfT, workflowTemplate: wftmplT } = kinds;

  const setWorkflowPhase = (
    ns: string,
    name: string,
    uid: string,
    phase: string,
    message?: string,
  ) => {
    const current = wfT && cluster.store.get(wfT, ns, name);
    if (!current || current.metadata.uid !== uid) return;
    const done = !['Pending', 'Running'].includes(phase);
    const status: any = {
      ...(current.status ?? {}),
      phase,
      startedAt: current.status?.startedAt ?? now(),
      ...(done ? { finishedAt: now() } : {}),
      progress: phase === 'Succeeded' ? '1/1' : '0/1',
    };
    if (message) status.message = message;
    else delete status.message;
    cluster.update(wfT!, 'v1alpha1', ns, name, {
      ...current,
      metadata: {
        ...current.metadata,
        labels: {
          ...(current.metadata.labels ?? {}),
          'workflows.argoproj.io/phase': phase,
          ...(done ? { 'workflows.argoproj.io/completed': 'true' } : {}),
        },
      },
      status,
    });
  };

  return wf => {
    const { namespace: ns, name, uid } = wf.metadata;
    const ref = wf.spec?.workflowTemplateRef;
    if (
      ref?.name &&
      !ref.clusterScope &&
      !cluster.store.get(wftmplT!, ns, ref.name)
    ) {
      setWorkflowPhase(
        ns,
        name,
        uid,
        'Error',
        `workflowtemplates.argoproj.io "${ref.name}" not found`,
      );
      return;
    }
    const pinned: string | undefined =
      wf.metadata.annotations?.[PHASE_ANNOTATION];
    const message: string | undefined =
      wf.metadata.annotations?.[MESSAGE_ANNOTATION];
    setWorkflowPhase(ns, name, uid, 'Pending');
    cluster.later(WORKFLOW_STEP_MS, () => {
      setWorkflowPhase(ns, name, uid, 'Running');
      if (pinned === 'Running') return;
      cluster.later(WORKFLOW_STEP_MS, () =>
        setWorkflowPhase(
          ns,
          name,
          uid,
          pinned ?? 'Succeeded',
          pinned && pinned !== 'Succeeded'
            ? message ?? 'child failed'
            : undefined,
        ),
      );
    });
  };
}
