/*
 * SIMULATED controllers — test behaviour, not Kubernetes behaviour in full,
 * one file each: the kubelet (pods), Deployment and ReplicaSet, StatefulSet,
 * Job, Kubeflow Notebook,
 * Argo Workflow and KServe InferenceService controllers. Kueue is not simulated: ClusterQueue/Workload
 * status comes from seeds and tests through the /status subresource.
 *
 * This file routes every committed change to the controllers that own the
 * object or its owner.
 */
import { Cluster } from '../cluster';
import { ResourceType } from '../resources';
import { StoreEvent } from '../store';
import { ControllerContext, controllerKinds } from './common';
import { deploymentController, replicaSetController } from './deployment';
import { eventRecorder } from './events';
import { inferenceServiceController } from './inferenceService';
import { jobController } from './job';
import { kubelet } from './kubelet';
import { notebookController } from './notebook';
import { statefulSetController } from './statefulSet';
import { workflowController } from './workflow';

export { MESSAGE_ANNOTATION, PHASE_ANNOTATION } from './common';
export { WORKFLOW_STEP_MS } from './workflow';
export { KSERVE_INGRESS_DOMAIN } from './inferenceService';

/** Runs the simulated controllers on every change committed to `cluster`. */
export function installControllers(cluster: Cluster): void {
  const kinds = controllerKinds(cluster);
  const ctx: ControllerContext = {
    cluster,
    kinds,
    record: eventRecorder(cluster, kinds.event),
  };
  const { pod: podT, statefulSet: stsT, job: jobT } = kinds;
  const { deployment: deployT, replicaSet: rsT } = kinds;
  const { notebook: nbT, workflow: wfT, inferenceService: isvcT } = kinds;
  const runPod = kubelet(ctx);
  const reconcileStatefulSet = statefulSetController(ctx);
  const reconcileReplicaSet = replicaSetController(ctx);
  const reconcileDeployment = deploymentController(ctx);
  const reconcileJob = jobController(ctx);
  const reconcileNotebook = notebookController(ctx);
  const startWorkflow = workflowController(ctx);
  const reconcileInferenceService = inferenceServiceController(ctx);

  const ownerOf = (o: any, t: ResourceType | undefined) => {
    if (!t) return undefined;
    const ref = (o.metadata.ownerReferences ?? []).find(
      (r: any) => r.controller && r.kind === t.kind,
    );
    if (!ref) return undefined;
    const owner = cluster.store.get(t, o.metadata.namespace, ref.name);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  };

  // StatefulSets and ReplicaSets short of replicas try again when quota may
  // have been freed, as their controllers' retries do
  const retryShort = (ns: string) => {
    for (const s of cluster.store.list(stsT, ns)) {
      if ((s.status?.replicas ?? 0) < (s.spec?.replicas ?? 1))
        reconcileStatefulSet(s);
    }
    for (const rs of cluster.store.list(rsT, ns)) {
      if ((rs.status?.replicas ?? 0) < (rs.spec?.replicas ?? 1))
        reconcileReplicaSet(rs);
    }
  };
  const reconcileReplicaSetAndOwner = (rs: any) => {
    const live = cluster.store.get(
      rsT,
      rs.metadata.namespace,
      rs.metadata.name,
    );
    if (live) reconcileReplicaSet(live);
    const d = ownerOf(rs, deployT);
    if (d) reconcileDeployment(d);
  };

  cluster.addController((e: StoreEvent) => {
    const o = e.object;
    const ns = o.metadata.namespace;
    if (e.resource === podT) {
      if (e.type !== 'DELETED') {
        const live = cluster.store.get(podT, ns, o.metadata.name);
        if (live) runPod(live);
      }
      const sts = ownerOf(o, stsT);
      if (sts) {
        reconcileStatefulSet(sts);
        const nb = ownerOf(sts, nbT);
        if (nb) reconcileNotebook(nb);
      }
      const job = ownerOf(o, jobT);
      if (job) reconcileJob(job);
      const rs = ownerOf(o, rsT);
      if (rs) reconcileReplicaSetAndOwner(rs);
      if (e.type === 'DELETED') retryShort(ns);
    } else if (e.resource === rsT) {
      reconcileReplicaSetAndOwner(o);
    } else if (e.resource === deployT && e.type !== 'DELETED') {
      const d = cluster.store.get(deployT, ns, o.metadata.name);
      if (d) reconcileDeployment(d);
    } else if (e.resource === stsT && e.type !== 'DELETED') {
      const sts = cluster.store.get(stsT, ns, o.metadata.name);
      if (sts) reconcileStatefulSet(sts);
      const nb = ownerOf(o, nbT);
      if (nb) reconcileNotebook(nb);
    } else if (e.resource === jobT && e.type !== 'DELETED') {
      const job = cluster.store.get(jobT, ns, o.metadata.name);
      if (job) reconcileJob(job);
    } else if (wfT && e.resource === wfT && e.type === 'ADDED') {
      const wf = cluster.store.get(wfT, ns, o.metadata.name);
      if (wf && !wf.status?.phase) startWorkflow(wf);
    } else if (nbT && e.resource === nbT && e.type !== 'DELETED') {
      const nb = cluster.store.get(nbT, ns, o.metadata.name);
      if (nb) reconcileNotebook(nb);
    } else if (isvcT && e.resource === isvcT && e.type !== 'DELETED') {
      const isvc = cluster.store.get(isvcT, ns, o.metadata.name);
      if (isvc) reconcileInferenceService(isvc);
    } else if (e.resource.kind === 'ResourceQuota' && e.type !== 'ADDED') {
      retryShort(ns);
    }
  });
}
