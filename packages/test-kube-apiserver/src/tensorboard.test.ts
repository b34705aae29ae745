import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { KubeApiServer, startKubeApiServer } from './index';
import { failure, kubeConfig } from './__testUtils__/clientNode';

// The Kubeflow Tensorboard resource (tensorboard.kubeflow.org/v1alpha1), from
// the vendored upstream CRD: what a portal creating a TensorBoard per run
// on a cluster would talk to.
describe('Kubeflow Tensorboard custom resources', () => {
  let server: KubeApiServer;
  let custom: CustomObjectsApi;
  const group = 'tensorboard.kubeflow.org';
  const version = 'v1alpha1';
  const plural = 'tensorboards';

  beforeAll(async () => {
    server = await startKubeApiServer();
    const kc = kubeConfig(server);
    custom = kc.makeApiClient(CustomObjectsApi);
    await kc.makeApiClient(CoreV1Api).createNamespace({
      body: { metadata: { name: 'fraud' } },
    });
  });
  afterAll(() => server?.stop());

  const tensorboard = (name: string, spec: Record<string, unknown>) => ({
    apiVersion: `${group}/${version}`,
    kind: 'Tensorboard',
    metadata: {
      name,
      namespace: 'fraud',
      labels: { 'mlplatform.io/created-by': 'ada' },
    },
    spec,
  });

  it('stores a Tensorboard with its logspath and serves its status subresource', async () => {
    const created: any = await custom.createNamespacedCustomObject({
      group,
      version,
      namespace: 'fraud',
      plural,
      body: tensorboard('run-3f2a', {
        logspath: 'pvc://fraud-tensorboard/fraud-detector/low-lr',
      }),
    });
    expect(created.metadata.uid).toBeTruthy();
    expect(created.spec.logspath).toBe(
      'pvc://fraud-tensorboard/fraud-detector/low-lr',
    );
    await custom.replaceNamespacedCustomObjectStatus({
      group,
      version,
      namespace: 'fraud',
      plural,
      name: 'run-3f2a',
      body: {
        ...created,
        status: {
          conditions: [{ deploymentState: 'Available' }],
          readyReplicas: 1,
        },
      },
    });
    const list: any = await custom.listNamespacedCustomObject({
      group,
      version,
      namespace: 'fraud',
      plural,
      labelSelector: 'mlplatform.io/created-by=ada',
    });
    expect(
      list.items.map((t: any) => [t.metadata.name, t.status?.readyReplicas]),
    ).toEqual([['run-3f2a', 1]]);
  });

  it('refuses a Tensorboard without a logspath, as the CRD requires', async () => {
    const error = await failure(
      custom.createNamespacedCustomObject({
        group,
        version,
        namespace: 'fraud',
        plural,
        body: tensorboard('no-logs', {}),
      }),
    );
    expect(error.code).toBe(422);
    expect(error.body.message).toContain('spec.logspath: Required value');
  });
});
