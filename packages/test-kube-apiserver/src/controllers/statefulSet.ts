/*
 * The StatefulSet controller: pods `<name>-0..N-1` in order (OrderedReady
 * waits for each to be Ready unless podManagementPolicy is Parallel), PVCs
 * from volumeClaimTemplates, scale down, status counts, and FailedCreate
 * Warning events when admission (quota) rejects a pod.
 */
import { clone } from '../json';
import { StatusError } from '../status';
import { ControllerContext, hash, isReady, ownedBy, ownerRef } from './common';

/** Brings a StatefulSet's pods and claims to its spec and writes its status. */
export function statefulSetController({
  cluster,
  kinds,
  record,
}: ControllerContext): (sts: any) => void {
  const { pod: podT, statefulSet: stsT, persistentVolumeClaim: pvcT } = kinds;
  return sts => {
    const ns = sts.metadata.namespace;
    const replicas: number = sts.spec?.replicas ?? 1;
    const revision = `${sts.metadata.name}-${hash(sts.spec?.template).slice(
      0,
      10,
    )}`;
    const pods = () =>
      cluster.store.list(podT, ns).filter(p => ownedBy(p, sts));
    for (const p of pods()) {
      const ordinal = Number(
        p.metadata.name.slice(sts.metadata.name.length + 1),
      );
      if (ordinal >= replicas) {
        cluster.delete(podT, ns, p.metadata.name);
        record(
          sts,
          stsT,
          'Normal',
          'SuccessfulDelete',
          `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
          'statefulset-controller',
        );
      }
    }
    for (let i = 0; i < replicas; i++) {
      const name = `${sts.metadata.name}-${i}`;
      if (cluster.store.get(podT, ns, name)) continue;
      const tpl = clone(sts.spec?.template ?? {});
      const volumes = [...(tpl.spec?.volumes ?? [])];
      for (const claim of sts.spec?.volumeClaimTemplates ?? []) {
        const claimName = `${claim.metadata.name}-${name}`;
        if (!cluster.store.get(pvcT, ns, claimName)) {
          const pvc = cluster.create(pvcT, 'v1', ns, {
            metadata: {
              name: claimName,
              namespace: ns,
              labels: { ...(sts.spec?.selector?.matchLabels ?? {}) },
            },
            spec: { ...claim.spec },
          }).object;
          cluster.update(
            pvcT,
            'v1',
            ns,
            claimName,
            {
              ...pvc,
              status: {
                phase: 'Bound',
                accessModes: claim.spec?.accessModes,
                capacity: claim.spec?.resources?.requests,
              },
            },
            { status: true },
          );
        }
        if (!volumes.some((v: any) => v.name === claim.metadata.name)) {
          volumes.push({
            name: claim.metadata.name,
            persistentVolumeClaim: { claimName },
          });
        }
      }
      const pod = {
        metadata: {
          ...tpl.metadata,
          name,
          namespace: ns,
          labels: {
            ...(tpl.metadata?.labels ?? {}),
            'apps.kubernetes.io/pod-index': String(i),
            'controller-revision-hash': revision,
            'statefulset.kubernetes.io/pod-name': name,
          },
          ownerReferences: [ownerRef(stsT, sts)],
        },
        spec: {
          ...tpl.spec,
          ...(volumes.length ? { volumes } : {}),
          hostname: name,
          ...(sts.spec?.serviceName ? { subdomain: sts.spec.serviceName } : {}),
        },
      };
      try {
        cluster.create(podT, 'v1', ns, pod);
        record(
          sts,
          stsT,
          'Normal',
          'SuccessfulCreate',
          `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
          'statefulset-controller',
        );
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        record(
          sts,
          stsT,
          'Warning',
          'FailedCreate',
          `create Pod ${name} in StatefulSet ${sts.metadata.name} failed error: ${e.message}`,
          'statefulset-controller',
        );
        break; // OrderedReady: the next ordinal waits for this one
      }
      if (
        sts.spec?.podManagementPolicy !== 'Parallel' &&
        !isReady(cluster.store.get(podT, ns, name))
      )
        break;
    }
    const current = cluster.store.get(stsT, ns, sts.metadata.name);
    if (!current) return;
    const owned = pods();
    const ready = owned.filter(isReady).length;
    const status: any = {
      observedGeneration: current.metadata.generation,
      replicas: owned.length,
      readyReplicas: ready,
      currentReplicas: owned.length,
      updatedReplicas: owned.length,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
      availableReplicas: ready,
    };
    if (!ready) delete status.readyReplicas;
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        stsT,
        'v1',
        ns,
        current.metadata.name,
        { ...current, status },
        { status: true },
      );
    }
  };
}
