/*
 * What the simulated controllers share: the annotations tests pin outcomes
 * with, the kinds they watch, owner references, and readiness.
 */
import { createHash } from 'node:crypto';
import { Cluster } from '../cluster';
import { ResourceType, apiVersionOf } from '../resources';
import type { RecordEvent } from './events';

/** Pins the phase a simulated pod or Workflow ends in. */
export const PHASE_ANNOTATION = 'kube-apiserver.test/phase';
/** The message that goes with a pinned phase. */
export const MESSAGE_ANNOTATION = 'kube-apiserver.test/message';

/** The resource types the controllers read and write; custom ones only when served. */
export interface ControllerKinds {
  pod: ResourceType;
  statefulSet: ResourceType;
  deployment: ResourceType;
  replicaSet: ResourceType;
  service: ResourceType;
  job: ResourceType;
  event: ResourceType;
  persistentVolumeClaim: ResourceType;
  notebook?: ResourceType;
  workflow?: ResourceType;
  workflowTemplate?: ResourceType;
  inferenceService?: ResourceType;
}

/** What each controller is built with. */
export interface ControllerContext {
  cluster: Cluster;
  kinds: ControllerKinds;
  record: RecordEvent;
}

/** Looks up the kinds the controllers use in the cluster's served types. */
export function controllerKinds(cluster: Cluster): ControllerKinds {
  const T = (kind: string) => cluster.types.find(t => t.kind === kind);
  return {
    pod: T('Pod')!,
    statefulSet: T('StatefulSet')!,
    deployment: T('Deployment')!,
    replicaSet: T('ReplicaSet')!,
    service: T('Service')!,
    job: T('Job')!,
    event: T('Event')!,
    persistentVolumeClaim: T('PersistentVolumeClaim')!,
    notebook: T('Notebook'),
    workflow: T('Workflow'),
    workflowTemplate: T('WorkflowTemplate'),
    inferenceService: T('InferenceService'),
  };
}

/** Timestamps as the API server writes them. */
export { now } from '../serverOwned';

/** The controller owner reference to `owner`, of type `t`. */
export function ownerRef(t: ResourceType, owner: any) {
  return {
    apiVersion: apiVersionOf(t),
    kind: t.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Whether `owner` is the controller owner of `o`. */
export function ownedBy(o: any, owner: any): boolean {
  return (o.metadata.ownerReferences ?? []).some(
    (r: any) => r.uid === owner.metadata.uid && r.controller,
  );
}

/** A short stable digest (revision hashes, pod IPs, container ids). */
export function hash(o: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(o))
    .digest('hex')
    .slice(0, 10);
}

/** A Running pod with condition Ready=True. */
export function isReady(p: any): boolean {
  return (
    p.status?.phase === 'Running' &&
    (p.status?.conditions ?? []).some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    )
  );
}
