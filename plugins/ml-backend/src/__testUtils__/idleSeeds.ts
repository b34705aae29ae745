import { LABEL_MANAGED_BY, MANAGED_BY } from '../services/kubernetes/manifests';

/*
 * Seeds for the idle-GPU tests and bench: notebooks' StatefulSets as the
 * portal labels them, without going through the create path.
 */

/** A running notebook StatefulSet the portal manages. */
export const notebookStatefulSet = (namespace: string, name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: {
    name,
    namespace,
    labels: { [LABEL_MANAGED_BY]: MANAGED_BY, app: name },
  },
  spec: {
    replicas: 1,
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'notebook', image: 'jupyter/base:1' }],
      },
    },
  },
});

/** The spec of a stored StatefulSet notebook with `gpus` GPUs. */
export const storedSpec = (gpus: number) => ({
  image: 'jupyter/base:1',
  cpu: '1',
  memory: '2Gi',
  storage: '10Gi',
  gpus,
  gpuResource: 'nvidia.com/gpu',
  backend: 'statefulset' as const,
});
