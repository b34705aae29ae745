import {
  buildKubeflowNotebook,
  buildNotebookObjects,
  buildStatefulSet,
  collectionPath,
  labelValue,
  objectPath,
  validateKubeflowNotebook,
} from './manifests';

const input = {
  name: 'ada-gpu',
  namespace: 'fraud',
  image: 'quay.io/jupyter/pytorch-notebook:cuda12-2024-11-18',
  cpu: '2',
  memory: '8Gi',
  storage: '20Gi',
  gpus: 2,
  gpuResource: 'nvidia.com/gpu',
  createdBy: 'user:default/ada',
  queue: 'fraud-queue',
};

describe('notebook manifests', () => {
  it('builds claim, headless Service and StatefulSet with the GPU, labels and queue', () => {
    const [pvc, svc, sts] = buildNotebookObjects(input, 'statefulset');
    expect(pvc).toMatchObject({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      resource: 'persistentvolumeclaims',
      metadata: { name: 'ada-gpu-workspace', namespace: 'fraud' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '20Gi' } },
      },
    });
    expect(svc).toMatchObject({
      kind: 'Service',
      spec: {
        clusterIP: 'None',
        selector: { 'mlplatform.io/notebook': 'ada-gpu' },
      },
    });
    const labels = {
      'app.kubernetes.io/managed-by': 'backstage-ml',
      'mlplatform.io/notebook': 'ada-gpu',
      'mlplatform.io/created-by': 'user.default.ada',
      'kueue.x-k8s.io/queue-name': 'fraud-queue',
    };
    expect(sts.metadata.labels).toEqual(labels);
    expect(sts.metadata.annotations).toEqual({
      'mlplatform.io/created-by': 'user:default/ada',
    });
    const spec = (sts as any).spec;
    expect(spec.replicas).toBe(1);
    expect(spec.serviceName).toBe('ada-gpu');
    expect(spec.template.metadata.labels).toEqual(labels);
    expect(spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '2' },
      limits: { memory: '8Gi', 'nvidia.com/gpu': '2' },
    });
    expect(spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(
      'ada-gpu-workspace',
    );
    expect(collectionPath(sts)).toBe(
      '/apis/apps/v1/namespaces/fraud/statefulsets',
    );
    expect(objectPath(pvc)).toBe(
      '/api/v1/namespaces/fraud/persistentvolumeclaims/ada-gpu-workspace',
    );
  });

  it('leaves GPUs and the queue out of a CPU-only notebook', () => {
    const sts = buildStatefulSet({
      ...input,
      gpus: 0,
      queue: undefined,
    }) as any;
    expect(sts.spec.template.spec.containers[0].resources.requests).toEqual({
      cpu: '2',
      memory: '8Gi',
    });
    expect(sts.metadata.labels['kueue.x-k8s.io/queue-name']).toBeUndefined();
  });

  it('builds a Kubeflow Notebook with the pod template', () => {
    const [pvc, nb] = buildNotebookObjects(input, 'kubeflow');
    expect(pvc.kind).toBe('PersistentVolumeClaim');
    expect(nb).toMatchObject({
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      resource: 'notebooks',
      metadata: {
        name: 'ada-gpu',
        labels: { 'kueue.x-k8s.io/queue-name': 'fraud-queue' },
      },
    });
    expect((nb as any).spec.template.spec.containers[0].env).toEqual([
      { name: 'NB_PREFIX', value: '/notebook/fraud/ada-gpu' },
    ]);
  });

  it.each([
    [{ name: 'Ada_GPU' }, 'name: must be a DNS-1123 label'],
    [{ name: 'a'.repeat(53) }, 'at most 52 characters'],
    [{ cpu: 'two' }, 'cpu: cpu must be a Kubernetes quantity'],
    [{ memory: '8GB' }, 'memory: memory must be a Kubernetes quantity'],
    [{ gpus: 1.5 }, 'gpus: must be a whole number'],
    [{ gpus: -1 }, 'gpus: Too small'],
    [{ queue: 'Fraud_Queue' }, 'queue: must be a DNS-1123 label'],
  ])('rejects %j', (override, message) => {
    expect(() =>
      buildNotebookObjects({ ...input, ...override } as any, 'statefulset'),
    ).toThrow(message);
    expect(() =>
      buildKubeflowNotebook({ ...input, ...override } as any),
    ).toThrow(message);
  });

  it('rejects a Notebook without the shape the CRD needs, or with a bad pod spec', () => {
    const nb = buildKubeflowNotebook(input) as any;
    expect(() => validateKubeflowNotebook({ ...nb, kind: 'Pod' })).toThrow(
      '/kind must be equal to constant',
    );
    expect(() =>
      validateKubeflowNotebook({
        ...nb,
        spec: { template: { spec: { containers: [] } } },
      }),
    ).toThrow('must NOT have fewer than 1 items');
    const bad = JSON.parse(JSON.stringify(nb));
    bad.spec.template.spec.containers[0].resources.requests.cpu = 'lots';
    expect(() => validateKubeflowNotebook(bad)).toThrow(
      'must match format "quantity"',
    );
  });

  it('makes label values from entity refs', () => {
    expect(labelValue('user:default/ada')).toBe('user.default.ada');
    expect(labelValue('user:default/jane.doe@corp')).toBe(
      'user.default.jane.doe-corp',
    );
    expect(labelValue(`user:default/${'x'.repeat(80)}`)).toHaveLength(63);
  });
});
