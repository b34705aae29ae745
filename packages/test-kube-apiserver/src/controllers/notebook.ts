/*
 * Kubeflow's notebook controller: per Notebook a StatefulSet (replicas 0
 * when annotated `kubeflow-resource-stopped`) and a Service, and the
 * Notebook's status mirrored from its pod.
 */
import { clone } from '../json';
import { ControllerContext, ownerRef } from './common';

/** Brings a Notebook's StatefulSet and Service to its spec and writes its status. */
export function notebookController({
  cluster,
  kinds,
}: ControllerContext): (nb: any) => void {
  const { notebook: nbT, statefulSet: stsT, service: svcT, pod: podT } = kinds;
  return nb => {
    if (!nbT) return;
    const ns = nb.metadata.namespace;
    const name = nb.metadata.name;
    const stopped =
      nb.metadata.annotations?.['kubeflow-resource-stopped'] !== undefined;
    const tpl = clone(nb.spec?.template ?? {});
    const labels = { statefulset: name, 'notebook-name': name };
    const desired = {
      metadata: {
        name,
        namespace: ns,
        labels: { ...labels },
        ownerReferences: [ownerRef(nbT, nb)],
      },
      spec: {
        replicas: stopped ? 0 : 1,
        selector: { matchLabels: { statefulset: name } },
        serviceName: '',
        template: {
          metadata: {
            ...(tpl.metadata ?? {}),
            labels: { ...(tpl.metadata?.labels ?? {}), ...labels },
          },
          spec: tpl.spec,
        },
      },
    };
    const sts = cluster.store.get(stsT, ns, name);
    if (!sts) cluster.create(stsT, 'v1', ns, desired);
    else if (
      sts.spec.replicas !== desired.spec.replicas ||
      JSON.stringify(sts.spec.template.spec) !==
        JSON.stringify({
          ...sts.spec.template.spec,
          ...desired.spec.template.spec,
        })
    ) {
      cluster.update(stsT, 'v1', ns, name, {
        ...sts,
        spec: {
          ...sts.spec,
          replicas: desired.spec.replicas,
          template: {
            ...sts.spec.template,
            spec: { ...sts.spec.template.spec, ...desired.spec.template.spec },
          },
        },
      });
    }
    if (!cluster.store.get(svcT, ns, name)) {
      cluster.create(svcT, 'v1', ns, {
        metadata: { name, namespace: ns, ownerReferences: [ownerRef(nbT, nb)] },
        spec: {
          type: 'ClusterIP',
          selector: { statefulset: name },
          ports: [
            {
              name: `http-${name}`,
              port: 80,
              targetPort: 8888,
              protocol: 'TCP',
            },
          ],
        },
      });
    }
    const current = cluster.store.get(nbT, ns, name);
    if (!current) return;
    const pod = cluster.store.get(podT, ns, `${name}-0`);
    const stsNow = cluster.store.get(stsT, ns, name);
    const status: any = {
      conditions: (pod?.status?.conditions ?? []).map((c: any) => ({
        type: c.type,
        status: c.status,
        lastProbeTime: c.lastProbeTime ?? c.lastTransitionTime,
        ...(c.reason ? { reason: c.reason } : {}),
        ...(c.message ? { message: c.message } : {}),
      })),
      readyReplicas: stsNow?.status?.readyReplicas ?? 0,
      containerState:
        pod?.status?.containerStatuses?.find((c: any) => c.name === name)
          ?.state ??
        pod?.status?.containerStatuses?.[0]?.state ??
        {},
    };
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        nbT,
        current.apiVersion.split('/')[1],
        ns,
        name,
        { ...current, status },
        { status: true },
      );
    }
  };
}
