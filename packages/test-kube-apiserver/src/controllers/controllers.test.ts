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

  it('runs Deployments through ReplicaSets: rolling update, history, quota-denied pods, scale, cascade delete', async () => {
    const ns = 'deploy';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedResourceQuota({
      namespace: ns,
      body: {
        metadata: { name: 'gpu-quota' },
        spec: { hard: { 'requests.nvidia.com/gpu': '3' } },
      },
    });
    const body = (image: string, replicas: number, gpus = 1) => ({
      metadata: { name: 'server' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'server' } },
        template: {
          metadata: { labels: { app: 'server' } },
          spec: {
            containers: [
              {
                name: 'main',
                image,
                resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
              },
            ],
          },
        },
      },
    });
    const sets = async () =>
      (await apps.listNamespacedReplicaSet({ namespace: ns })).items.sort(
        (a, b) =>
          Number(
            a.metadata?.annotations?.['deployment.kubernetes.io/revision'],
          ) -
          Number(
            b.metadata?.annotations?.['deployment.kubernetes.io/revision'],
          ),
      );
    const pods = async () =>
      (await core.listNamespacedPod({ namespace: ns })).items;
    const read = () =>
      apps.readNamespacedDeployment({ name: 'server', namespace: ns });

    await apps.createNamespacedDeployment({
      namespace: ns,
      body: body('srv:1', 2),
    });
    const [first, ...none] = await sets();
    expect(none).toEqual([]);
    const hash1 = first.metadata?.labels?.['pod-template-hash'];
    expect(hash1).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(first.metadata?.name).toBe(`server-${hash1}`);
    expect(first.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'server',
      controller: true,
    });
    expect(first.spec?.selector?.matchLabels).toEqual({
      app: 'server',
      'pod-template-hash': hash1,
    });
    expect(first.status).toMatchObject({
      replicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    let running = await pods();
    expect(running).toHaveLength(2);
    for (const p of running) {
      expect(p.metadata?.name).toMatch(
        new RegExp(`^server-${hash1}-[0-9a-z]{5}$`),
      );
      expect(p.metadata?.labels).toEqual({
        app: 'server',
        'pod-template-hash': hash1,
      });
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: first.metadata?.name,
      });
      expect(p.status?.phase).toBe('Running');
    }
    let d = await read();
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe(
      '1',
    );
    expect(d.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
    });
    expect(d.status?.unavailableReplicas).toBeUndefined();
    expect(
      d.status?.conditions?.map(c => [c.type, c.status, c.reason, c.message]),
    ).toEqual([
      [
        'Available',
        'True',
        'MinimumReplicasAvailable',
        'Deployment has minimum availability.',
      ],
      [
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "server-${hash1}" has successfully progressed.`,
      ],
    ]);

    // a new image: a second ReplicaSet takes over, the first stays at 0 as history
    await apps.replaceNamespacedDeployment({
      name: 'server',
      namespace: ns,
      body: {
        ...body('srv:2', 2),
        metadata: {
          name: 'server',
          resourceVersion: d.metadata?.resourceVersion,
        },
      },
    });
    const [old, second] = await sets();
    expect(old.metadata?.name).toBe(first.metadata?.name);
    expect(old.spec?.replicas).toBe(0);
    expect(
      second.metadata?.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('2');
    const hash2 = second.metadata?.labels?.['pod-template-hash'];
    expect(hash2).not.toBe(hash1);
    running = await pods();
    expect(running.map(p => p.spec?.containers[0].image)).toEqual([
      'srv:2',
      'srv:2',
    ]);
    d = await read();
    expect(d.status).toMatchObject({
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
    });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBe(
      '2',
    );
    // rolling within maxSurge 25% of 2 (1): never more than 3 GPUs asked at once
    const scaling = (
      await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'reason=ScalingReplicaSet',
      })
    ).items
      .sort(
        (a, b) =>
          Number(a.metadata?.resourceVersion) -
          Number(b.metadata?.resourceVersion),
      )
      .map(e => e.message);
    expect(scaling).toEqual([
      `Scaled up replica set server-${hash1} from 0 to 2`,
      `Scaled up replica set server-${hash2} from 0 to 1`,
      `Scaled down replica set server-${hash1} from 2 to 1`,
      `Scaled up replica set server-${hash2} from 1 to 2`,
      `Scaled down replica set server-${hash1} from 1 to 0`,
    ]);

    // 4 replicas of 1 GPU against a quota of 3: one pod is refused by admission
    await apps.patchNamespacedDeployment(
      { name: 'server', namespace: ns, body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(await pods()).toHaveLength(3);
    d = await read();
    expect(d.status).toMatchObject({ replicas: 3, availableReplicas: 3 });
    const replicaFailure = d.status?.conditions?.find(
      c => c.type === 'ReplicaFailure',
    );
    expect(replicaFailure).toMatchObject({
      status: 'True',
      reason: 'FailedCreate',
    });
    expect(replicaFailure?.message).toMatch(
      /^pods "server-\w+-\w+" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com\/gpu=1, used: requests.nvidia.com\/gpu=3, limited: requests.nvidia.com\/gpu=3$/,
    );
    const failed = await core.listNamespacedEvent({
      namespace: ns,
      fieldSelector: 'reason=FailedCreate',
    });
    expect(failed.items[0].message).toMatch(/^Error creating: pods "server-/);
    expect(failed.items[0].source?.component).toBe('replicaset-controller');

    // back to 2: the surplus goes and the failure clears
    await apps.patchNamespacedDeployment(
      { name: 'server', namespace: ns, body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(await pods()).toHaveLength(2);
    d = await read();
    expect(d.status?.conditions?.map(c => c.type)).toEqual([
      'Available',
      'Progressing',
    ]);

    // a deleted pod is replaced by its ReplicaSet
    const [gone, kept] = (await pods()).map(p => p.metadata!.name!);
    await core.deleteNamespacedPod({ name: gone, namespace: ns });
    const names = (await pods()).map(p => p.metadata!.name!);
    expect(names).toHaveLength(2);
    expect(names).toContain(kept);
    expect(names).not.toContain(gone);

    // deleting the Deployment takes its ReplicaSets and pods
    await apps.deleteNamespacedDeployment({ name: 'server', namespace: ns });
    expect(await sets()).toEqual([]);
    expect(await pods()).toEqual([]);
  });

  it('Deployments: Recreate replaces every pod at once; paused ones wait', async () => {
    const ns = 'recreate';
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const body = (image: string, extra: object = {}) => ({
      metadata: { name: 'batch' },
      spec: {
        replicas: 2,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'batch' } },
        template: {
          metadata: { labels: { app: 'batch' } },
          spec: { containers: [{ name: 'main', image }] },
        },
        ...extra,
      },
    });
    const images = async () =>
      (await core.listNamespacedPod({ namespace: ns })).items.map(
        p => p.spec?.containers[0].image,
      );
    const replace = async (b: any) => {
      const d = await apps.readNamespacedDeployment({
        name: 'batch',
        namespace: ns,
      });
      await apps.replaceNamespacedDeployment({
        name: 'batch',
        namespace: ns,
        body: {
          ...b,
          metadata: {
            name: 'batch',
            resourceVersion: d.metadata?.resourceVersion,
          },
        },
      });
    };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: body('job:1'),
    });
    expect(await images()).toEqual(['job:1', 'job:1']);
    await replace(body('job:2'));
    expect(await images()).toEqual(['job:2', 'job:2']);
    const scaling = (
      await core.listNamespacedEvent({
        namespace: ns,
        fieldSelector: 'reason=ScalingReplicaSet',
      })
    ).items
      .sort(
        (a, b) =>
          Number(a.metadata?.resourceVersion) -
          Number(b.metadata?.resourceVersion),
      )
      .map(e => e.message?.replace(/batch-\w+/, 'batch-<hash>'));
    // the old pods go before any new one is made
    expect(scaling).toEqual([
      'Scaled up replica set batch-<hash> from 0 to 2',
      'Scaled down replica set batch-<hash> from 2 to 0',
      'Scaled up replica set batch-<hash> from 0 to 2',
    ]);

    await replace(body('job:3', { paused: true }));
    expect(await images()).toEqual(['job:2', 'job:2']);
    const d = await apps.readNamespacedDeployment({
      name: 'batch',
      namespace: ns,
    });
    expect(
      d.status?.conditions?.find(c => c.type === 'Progressing'),
    ).toMatchObject({
      status: 'Unknown',
      reason: 'DeploymentPaused',
      message: 'Deployment is paused',
    });
    expect(
      (await apps.listNamespacedReplicaSet({ namespace: ns })).items,
    ).toHaveLength(2);
    await replace(body('job:3'));
    expect(await images()).toEqual(['job:3', 'job:3']);
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
