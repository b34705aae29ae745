import {
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeApiServer, startKubeApiServer } from './index';
import { failure, kubeConfig } from './__testUtils__/clientNode';

describe('Kueue custom resources', () => {
  let server: KubeApiServer;
  let custom: CustomObjectsApi;
  let kc: KubeConfig;

  beforeAll(async () => {
    server = await startKubeApiServer();
    kc = kubeConfig(server);
    custom = kc.makeApiClient(CustomObjectsApi);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves Kueue objects in v1beta2 and v1beta1 with a working status subresource', async () => {
    const group = 'kueue.x-k8s.io';
    await custom.createClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'resourceflavors',
      body: {
        apiVersion: `${group}/v1beta2`,
        kind: 'ResourceFlavor',
        metadata: { name: 'a100' },
      },
    });
    await custom.createClusterCustomObject({
      group,
      version: 'v1beta1',
      plural: 'clusterqueues',
      body: {
        apiVersion: `${group}/v1beta1`,
        kind: 'ClusterQueue',
        metadata: { name: 'team-cq' },
        spec: {
          cohort: 'shared',
          namespaceSelector: {},
          resourceGroups: [
            {
              coveredResources: ['nvidia.com/gpu'],
              flavors: [
                {
                  name: 'a100',
                  resources: [{ name: 'nvidia.com/gpu', nominalQuota: 8 }],
                },
              ],
            },
          ],
        },
      },
    });
    const v2: any = await custom.getClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'clusterqueues',
      name: 'team-cq',
    });
    expect(v2.apiVersion).toBe('kueue.x-k8s.io/v1beta2');
    // converted like Kueue's conversion webhook, defaulted from the CRD schema
    expect(v2.spec.cohortName).toBe('shared');
    expect(v2.spec.cohort).toBeUndefined();
    expect(v2.spec.queueingStrategy).toBe('BestEffortFIFO');
    expect(v2.spec.preemption).toEqual({
      borrowWithinCohort: { policy: 'Never' },
      reclaimWithinCohort: 'Never',
      withinClusterQueue: 'Never',
    });
    expect(v2.spec.resourceGroups[0].flavors[0].resources[0].nominalQuota).toBe(
      8,
    );

    const withStatus: any = await custom.patchClusterCustomObjectStatus(
      {
        group,
        version: 'v1beta2',
        plural: 'clusterqueues',
        name: 'team-cq',
        body: {
          status: {
            pendingWorkloads: 2,
            flavorsUsage: [
              {
                name: 'a100',
                resources: [
                  { name: 'nvidia.com/gpu', total: '6', borrowed: '0' },
                ],
              },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(withStatus.status.pendingWorkloads).toBe(2);
    // a write of the main resource does not change the status
    const replaced: any = await custom.replaceClusterCustomObject({
      group,
      version: 'v1beta2',
      plural: 'clusterqueues',
      name: 'team-cq',
      body: { ...withStatus, status: { pendingWorkloads: 99 } },
    });
    expect(replaced.status.pendingWorkloads).toBe(2);

    const invalid = await failure(
      custom.createClusterCustomObject({
        group,
        version: 'v1beta2',
        plural: 'clusterqueues',
        body: {
          apiVersion: `${group}/v1beta2`,
          kind: 'ClusterQueue',
          metadata: { name: 'bad' },
          spec: { queueingStrategy: 'Sometimes' },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.body.message).toContain(
      'ClusterQueue.kueue.x-k8s.io "bad" is invalid',
    );
    expect(invalid.body.message).toContain(
      'spec.queueingStrategy: Unsupported value: "Sometimes"',
    );

    const crds: any = await kc
      .makeApiClient(CustomObjectsApi)
      .listClusterCustomObject({
        group: 'apiextensions.k8s.io',
        version: 'v1',
        plural: 'customresourcedefinitions',
      });
    expect(crds.items.map((c: any) => c.metadata.name)).toContain(
      'notebooks.kubeflow.org',
    );
  });
});
