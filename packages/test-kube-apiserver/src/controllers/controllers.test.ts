import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeApiServer, startKubeApiServer } from '../index';
import { failure, kubeConfig } from '../__testUtils__/clientNode';

describe('the simulated controllers', () => {
  let server: KubeApiServer;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer();
    kc = kubeConfig(server);
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('runs StatefulSets: ordered pods, status, scale to zero, quota-denied FailedCreate events', async () => {
    await core.createNamespace({ body: { metadata: { name: 'sts' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'sts',
      body: {
        metadata: { name: 'gpu-quota' },
        spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
      },
    });
    const sts = (replicas: number, gpus: number) => ({
      metadata: { name: 'trainer' },
      spec: {
        replicas,
        serviceName: 'trainer',
        selector: { matchLabels: { app: 'trainer' } },
        template: {
          metadata: { labels: { app: 'trainer' } },
          spec: {
            containers: [
              {
                name: 'main',
                image: 'pytorch:2.4',
                resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
              },
            ],
          },
        },
      },
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'sts',
      body: sts(2, 1),
    });
    const pods = await core.listNamespacedPod({
      namespace: 'sts',
      labelSelector: 'app=trainer',
    });
    expect(pods.items.map(p => p.metadata?.name)).toEqual([
      'trainer-0',
      'trainer-1',
    ]);
    expect(pods.items[0].metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'trainer',
      controller: true,
    });
    expect(
      pods.items[0].metadata?.labels?.['statefulset.kubernetes.io/pod-name'],
    ).toBe('trainer-0');
    let status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });

    await apps.patchNamespacedStatefulSet(
      { name: 'trainer', namespace: 'sts', body: { spec: { replicas: 0 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await core.listNamespacedPod({ namespace: 'sts' })).items).toEqual(
      [],
    );
    status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status?.replicas).toBe(0);
    expect(status?.readyReplicas).toBeUndefined();

    await apps.deleteNamespacedStatefulSet({
      name: 'trainer',
      namespace: 'sts',
    });
    await apps.createNamespacedStatefulSet({
      namespace: 'sts',
      body: sts(1, 4),
    });
    status = (
      await apps.readNamespacedStatefulSet({
        name: 'trainer',
        namespace: 'sts',
      })
    ).status;
    expect(status?.readyReplicas ?? 0).toBe(0);
    const events = await core.listNamespacedEvent({
      namespace: 'sts',
      fieldSelector: 'reason=FailedCreate',
    });
    expect(events.items).toHaveLength(1);
    expect(events.items[0].type).toBe('Warning');
    expect(events.items[0].message).toBe(
      'create Pod trainer-0 in StatefulSet trainer failed error: pods "trainer-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=2',
    );

    const immutable = await failure(
      apps.patchNamespacedStatefulSet(
        {
          name: 'trainer',
          namespace: 'sts',
          body: { spec: { serviceName: 'other' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(immutable.code).toBe(422);
    expect(immutable.body.message).toBe(
      "StatefulSet.apps \"trainer\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );

    // deleting the owner collects its pods
    await apps.patchNamespacedStatefulSet(
      {
        name: 'trainer',
        namespace: 'sts',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'main',
                    image: 'pytorch:2.4',
                    resources: { limits: { 'nvidia.com/gpu': '1' } },
                  },
                ],
              },
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      (await core.listNamespacedPod({ namespace: 'sts' })).items,
    ).toHaveLength(1);
    await apps.deleteNamespacedStatefulSet({
      name: 'trainer',
      namespace: 'sts',
    });
    expect((await core.listNamespacedPod({ namespace: 'sts' })).items).toEqual(
      [],
    );
  });

  it('turns a Kubeflow Notebook into a StatefulSet and Service and stops it by annotation', async () => {
    await core.createNamespace({ body: { metadata: { name: 'nb' } } });
    const body = {
      apiVersion: 'kubeflow.org/v1',
      kind: 'Notebook',
      metadata: { name: 'my-nb' },
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'my-nb',
                image: 'jupyter/base-notebook:2024',
                resources: { requests: { cpu: '1', memory: '2Gi' } },
              },
            ],
          },
        },
      },
    };
    await custom.createNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: 'nb',
      plural: 'notebooks',
      body,
    });
    const sts = await apps.readNamespacedStatefulSet({
      name: 'my-nb',
      namespace: 'nb',
    });
    expect(sts.spec?.replicas).toBe(1);
    expect(sts.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Notebook',
      name: 'my-nb',
    });
    await core.readNamespacedService({ name: 'my-nb', namespace: 'nb' });
    let nb: any = await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1',
      namespace: 'nb',
      plural: 'notebooks',
      name: 'my-nb',
    });
    expect(nb.status.readyReplicas).toBe(1);
    expect(nb.status.containerState.running).toBeDefined();

    await custom.patchNamespacedCustomObject(
      {
        group: 'kubeflow.org',
        version: 'v1',
        namespace: 'nb',
        plural: 'notebooks',
        name: 'my-nb',
        body: {
          metadata: {
            annotations: {
              'kubeflow-resource-stopped': '2025-01-01T00:00:00Z',
            },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(
      (await apps.readNamespacedStatefulSet({ name: 'my-nb', namespace: 'nb' }))
        .spec?.replicas,
    ).toBe(0);
    expect((await core.listNamespacedPod({ namespace: 'nb' })).items).toEqual(
      [],
    );
    nb = await custom.getNamespacedCustomObject({
      group: 'kubeflow.org',
      version: 'v1beta1',
      namespace: 'nb',
      plural: 'notebooks',
      name: 'my-nb',
    });
    expect(nb.apiVersion).toBe('kubeflow.org/v1beta1');
    expect(nb.status.readyReplicas).toBe(0);
  });

  it('runs a Job to completion when its pod succeeds, and keeps suspended Jobs without pods', async () => {
    await core.createNamespace({ body: { metadata: { name: 'jobs' } } });
    const batch = kc.makeApiClient(BatchV1Api);
    const job = (name: string, suspend: boolean) => ({
      metadata: { name },
      spec: {
        suspend,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox:1.36' }],
          },
        },
      },
    });
    const created = await batch.createNamespacedJob({
      namespace: 'jobs',
      body: job('train', false),
    });
    expect(
      created.spec?.selector?.matchLabels?.[
        'batch.kubernetes.io/controller-uid'
      ],
    ).toBe(created.metadata?.uid);
    const pods = await core.listNamespacedPod({
      namespace: 'jobs',
      labelSelector: 'job-name=train',
    });
    expect(pods.items).toHaveLength(1);
    expect(
      (await batch.readNamespacedJob({ name: 'train', namespace: 'jobs' }))
        .status?.active,
    ).toBe(1);

    const p = pods.items[0];
    await core.patchNamespacedPodStatus(
      {
        name: p.metadata!.name!,
        namespace: 'jobs',
        body: { status: { phase: 'Succeeded' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const finished = await batch.readNamespacedJob({
      name: 'train',
      namespace: 'jobs',
    });
    expect(finished.status?.succeeded).toBe(1);
    expect(finished.status?.active).toBeUndefined();
    expect(finished.status?.conditions?.map(c => c.type)).toContain('Complete');

    await batch.createNamespacedJob({
      namespace: 'jobs',
      body: job('queued', true),
    });
    expect(
      (
        await core.listNamespacedPod({
          namespace: 'jobs',
          labelSelector: 'job-name=queued',
        })
      ).items,
    ).toEqual([]);
  });
});
