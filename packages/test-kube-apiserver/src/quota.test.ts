import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer, PHASE_ANNOTATION, startKubeApiServer } from './index';
import { failure, kubeConfig, pod } from './__testUtils__/clientNode';

describe('quota admission', () => {
  let server: KubeApiServer;
  let core: CoreV1Api;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer();
    kc = kubeConfig(server);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('admits pods against ResourceQuotas with the real message and keeps status.used current', async () => {
    await core.createNamespace({ body: { metadata: { name: 'quota' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'quota',
      body: {
        metadata: { name: 'gpu-quota' },
        spec: {
          hard: {
            'requests.nvidia.com/gpu': '8',
            'requests.cpu': '4',
            'requests.memory': '16Gi',
            pods: '10',
          },
        },
      },
    });
    const gpuPod = (name: string, gpus: number) =>
      pod(name, {
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { 'nvidia.com/gpu': String(gpus) },
        },
      });
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g1', 4),
    });
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g2', 3),
    });
    const rq = await core.readNamespacedResourceQuota({
      name: 'gpu-quota',
      namespace: 'quota',
    });
    expect(rq.status?.used).toEqual({
      'requests.nvidia.com/gpu': '7',
      'requests.cpu': '1',
      'requests.memory': '2Gi',
      pods: '2',
    });
    expect(rq.status?.hard?.['requests.memory']).toBe('16Gi');

    const denied = await failure(
      core.createNamespacedPod({ namespace: 'quota', body: gpuPod('g3', 2) }),
    );
    expect(denied.code).toBe(403);
    expect(denied.body.reason).toBe('Forbidden');
    expect(denied.body.message).toBe(
      'pods "g3" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=7, limited: requests.nvidia.com/gpu=8',
    );

    const noCpu = await failure(
      core.createNamespacedPod({
        namespace: 'quota',
        body: pod('nocpu', {
          resources: { limits: { 'nvidia.com/gpu': '1' } },
        }),
      }),
    );
    expect(noCpu.body.message).toBe(
      'pods "nocpu" is forbidden: failed quota: gpu-quota: must specify requests.cpu for: main; requests.memory for: main',
    );

    await core.deleteNamespacedPod({ name: 'g1', namespace: 'quota' });
    const after = await core.readNamespacedResourceQuota({
      name: 'gpu-quota',
      namespace: 'quota',
    });
    expect(after.status?.used?.['requests.nvidia.com/gpu']).toBe('3');
    expect(after.status?.used?.['requests.cpu']).toBe('500m');
    await core.createNamespacedPod({
      namespace: 'quota',
      body: gpuPod('g3', 2),
    });
  });

  it('charges bare cpu, limits.* and MIG slice keys, and frees quota of finished pods', async () => {
    await core.createNamespace({ body: { metadata: { name: 'mig' } } });
    await core.createNamespacedResourceQuota({
      namespace: 'mig',
      body: {
        metadata: { name: 'mig-quota' },
        spec: {
          hard: {
            cpu: '2',
            'limits.nvidia.com/mig-1g.10gb': '3',
            'limits.memory': '4Gi',
          },
        },
      },
    });
    const migPod = (name: string, slices: number, phase?: string) => ({
      metadata: {
        name,
        ...(phase ? { annotations: { [PHASE_ANNOTATION]: phase } } : {}),
      },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'vllm/vllm-openai:v0.6.0',
            resources: {
              requests: { cpu: '750m' },
              limits: {
                'nvidia.com/mig-1g.10gb': String(slices),
                memory: '1Gi',
              },
            },
          },
        ],
      },
    });
    await core.createNamespacedPod({ namespace: 'mig', body: migPod('m1', 2) });
    const used = (
      await core.readNamespacedResourceQuota({
        name: 'mig-quota',
        namespace: 'mig',
      })
    ).status?.used;
    expect(used).toEqual({
      cpu: '750m',
      'limits.nvidia.com/mig-1g.10gb': '2',
      'limits.memory': '1Gi',
    });
    const denied = await failure(
      core.createNamespacedPod({ namespace: 'mig', body: migPod('m2', 2) }),
    );
    expect(denied.body.message).toBe(
      'pods "m2" is forbidden: exceeded quota: mig-quota, requested: limits.nvidia.com/mig-1g.10gb=2, used: limits.nvidia.com/mig-1g.10gb=2, limited: limits.nvidia.com/mig-1g.10gb=3',
    );
    // a pod that has finished no longer counts
    const done = await core.createNamespacedPod({
      namespace: 'mig',
      body: migPod('m3', 1, 'Succeeded'),
    });
    expect(done.metadata?.name).toBe('m3');
    expect(
      (await core.readNamespacedPod({ name: 'm3', namespace: 'mig' })).status
        ?.phase,
    ).toBe('Succeeded');
    const after = (
      await core.readNamespacedResourceQuota({
        name: 'mig-quota',
        namespace: 'mig',
      })
    ).status?.used;
    expect(after?.['limits.nvidia.com/mig-1g.10gb']).toBe('2');
  });
});
