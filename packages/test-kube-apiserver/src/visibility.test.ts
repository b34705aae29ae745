/*
 * Kueue's visibility API as Kueue serves it: pending workloads of a
 * ClusterQueue or LocalQueue with their positions, through plain HTTPS and
 * the real kubectl (`kubectl get --raw`), and the absent / forbidden switch.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeApiServer, startKubeApiServer } from './index';
import { raw } from './__testUtils__/clientNode';

const KUBECTL = '/usr/bin/kubectl';
const G = 'visibility.kueue.x-k8s.io';
const CQ_PATH = `/apis/${G}/v1beta1/clusterqueues/team-cq/pendingworkloads`;

const cq = {
  apiVersion: 'kueue.x-k8s.io/v1beta2',
  kind: 'ClusterQueue',
  metadata: { name: 'team-cq' },
  spec: {
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
};
const lq = (namespace: string, name: string) => ({
  apiVersion: 'kueue.x-k8s.io/v1beta2',
  kind: 'LocalQueue',
  metadata: { namespace, name },
  spec: { clusterQueue: 'team-cq' },
});
const ns = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name },
});
const wl = (
  namespace: string,
  name: string,
  queue: string,
  priority: number,
  reserved = false,
) => ({
  apiVersion: 'kueue.x-k8s.io/v1beta2',
  kind: 'Workload',
  metadata: { namespace, name },
  spec: {
    queueName: queue,
    priority,
    podSets: [
      {
        name: 'main',
        count: 1,
        template: {
          spec: {
            containers: [
              {
                name: 'main',
                image: 'train:1',
                resources: {
                  requests: { 'nvidia.com/gpu': '2' },
                  limits: { 'nvidia.com/gpu': '2' },
                },
              },
            ],
          },
        },
      },
    ],
  },
  status: {
    conditions: [
      {
        type: 'QuotaReserved',
        status: reserved ? 'True' : 'False',
        reason: reserved ? 'QuotaReserved' : 'Pending',
        message: reserved
          ? 'Quota reserved in ClusterQueue team-cq'
          : "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100, 2 more needed",
        lastTransitionTime: '2026-11-23T08:00:00Z',
      },
    ],
  },
});

describe('Kueue visibility API', () => {
  let server: KubeApiServer;

  beforeAll(async () => {
    server = await startKubeApiServer({
      controllers: false,
      seed: [
        ns('fraud'),
        ns('recsys'),
        cq,
        lq('fraud', 'team'),
        lq('recsys', 'team'),
        wl('fraud', 'low', 'team', 0),
        wl('recsys', 'urgent', 'team', 100),
        wl('fraud', 'running', 'team', 1000, true),
        wl('fraud', 'high', 'team', 50),
      ],
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(() => server.setKueueVisibility('served'));

  it('orders a ClusterQueue by priority and counts positions per LocalQueue', async () => {
    const { status, body } = await raw(server, CQ_PATH, server.token);
    expect(status).toBe(200);
    expect(body.kind).toBe('PendingWorkloadsSummary');
    expect(body.apiVersion).toBe(`${G}/v1beta1`);
    expect(
      body.items.map((i: any) => [
        `${i.metadata.namespace}/${i.metadata.name}`,
        i.priority,
        i.localQueueName,
        i.positionInClusterQueue,
        i.positionInLocalQueue,
      ]),
    ).toEqual([
      ['recsys/urgent', 100, 'team', 0, 0],
      ['fraud/high', 50, 'team', 1, 0],
      ['fraud/low', 0, 'team', 2, 1],
    ]);
    expect(server.requests.at(-1)).toMatchObject({
      verb: 'get',
      group: G,
      resource: 'clusterqueues',
      subresource: 'pendingworkloads',
      name: 'team-cq',
      status: 200,
    });
  });

  it('pages with limit and offset, keeping the positions', async () => {
    const { body } = await raw(
      server,
      `${CQ_PATH}?limit=1&offset=1`,
      server.token,
    );
    expect(body.items.map((i: any) => i.metadata.name)).toEqual(['high']);
    expect(body.items[0].positionInClusterQueue).toBe(1);
  });

  it('serves one LocalQueue with its positions in both queues', async () => {
    const { status, body } = await raw(
      server,
      `/apis/${G}/v1beta1/namespaces/fraud/localqueues/team/pendingworkloads`,
      server.token,
    );
    expect(status).toBe(200);
    expect(
      body.items.map((i: any) => [
        i.metadata.name,
        i.positionInClusterQueue,
        i.positionInLocalQueue,
      ]),
    ).toEqual([
      ['high', 1, 0],
      ['low', 2, 1],
    ]);
  });

  it("answers Kueue's 404 for an unknown queue", async () => {
    const { status, body } = await raw(
      server,
      `/apis/${G}/v1beta1/clusterqueues/nope/pendingworkloads`,
      server.token,
    );
    expect(status).toBe(404);
    expect(body.message).toBe(`clusterqueue.${G} "nope" not found`);
  });

  it('is listed in discovery while served, and gone when absent', async () => {
    const groups = await raw(server, '/apis', server.token);
    expect(groups.body.groups.map((g: any) => g.name)).toContain(G);
    const resources = await raw(server, `/apis/${G}/v1beta1`, server.token);
    expect(resources.body.resources.map((r: any) => r.name)).toEqual([
      'clusterqueues',
      'clusterqueues/pendingworkloads',
      'localqueues',
      'localqueues/pendingworkloads',
    ]);

    server.setKueueVisibility('absent');
    expect((await raw(server, CQ_PATH, server.token)).status).toBe(404);
    const after = await raw(server, '/apis', server.token);
    expect(after.body.groups.map((g: any) => g.name)).not.toContain(G);
  });

  it("refuses with RBAC's 403 when forbidden", async () => {
    server.setKueueVisibility('forbidden');
    const { status, body } = await raw(server, CQ_PATH, server.token);
    expect(status).toBe(403);
    expect(body.message).toBe(
      `clusterqueues.${G} "team-cq" is forbidden: User "kubernetes-admin" cannot get resource "clusterqueues/pendingworkloads" in API group "${G}" at the cluster scope`,
    );
  });

  (fs.existsSync(KUBECTL) ? describe : describe.skip)('kubectl', () => {
    let dir: string;
    let kubeconfig: string;
    const kubectl = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>(resolve => {
        execFile(
          KUBECTL,
          [
            '--kubeconfig',
            kubeconfig,
            '--cache-dir',
            path.join(dir, 'cache'),
            ...args,
          ],
          { timeout: 20_000 },
          (err, stdout, stderr) =>
            resolve({
              code: err ? Number((err as any).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      });

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kueue-visibility-'));
      kubeconfig = await server.writeKubeconfig(path.join(dir, 'config'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('kubectl get --raw reads the pending workloads', async () => {
      const r = await kubectl(['get', '--raw', `${CQ_PATH}?limit=2`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const body = JSON.parse(r.stdout);
      expect(body.items.map((i: any) => i.metadata.name)).toEqual([
        'urgent',
        'high',
      ]);
    });

    it('kubectl api-versions lists the group version', async () => {
      // api-resources would list nothing: like Kueue's, the resources
      // themselves have no verbs, only their pendingworkloads subresource
      const r = await kubectl(['api-versions']);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')).toContain(`${G}/v1beta1`);
    });

    it('kubectl shows the 403 and the 404 as Kueue would', async () => {
      server.setKueueVisibility('forbidden');
      const refused = await kubectl(['get', '--raw', CQ_PATH]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('(Forbidden)');
      server.setKueueVisibility('absent');
      const absent = await kubectl(['get', '--raw', CQ_PATH]);
      expect(absent.code).not.toBe(0);
      expect(absent.stderr).toContain('NotFound');
    });
  });
});
