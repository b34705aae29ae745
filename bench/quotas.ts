/*
 * Benchmark of GET /api/ml/quotas (DESIGN.md section 8: 3 clusters x 500
 * namespaces in <= 1 s, at most one list call per kind per cluster).
 *
 * Not part of the test suite. Run from the repository root:
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs bench/quotas.ts [namespaces] [runs]
 *
 * Starts 3 test API servers (HTTPS, the project's stand-in) seeded with N
 * namespaces each, every one with a GPU ResourceQuota, plus Kueue queues on
 * one in ten namespaces; starts the ML backend plugin with startTestBackend;
 * times cold (refreshSeconds 0: every request refreshes) and warm (cached)
 * requests over HTTP; counts list calls per refresh on the servers; and times
 * real `kubectl get resourcequota -A` against the same servers.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import request from 'supertest';
import mlPlugin from '@mlplatform/plugin-ml-backend';

const NAMESPACES = Number(process.argv[2] ?? 500);
const RUNS = Number(process.argv[3] ?? 7);
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** One test API server's namespaces, GPU quotas and Kueue queues (bench/overview.ts too). */
export function seed(cluster: number, namespaces = NAMESPACES): object[] {
  const objects: object[] = [
    {
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'ResourceFlavor',
      metadata: { name: 'a100-80gb' },
    },
  ];
  for (let i = 0; i < namespaces; i++) {
    const ns = `team-${cluster}-${String(i).padStart(4, '0')}`;
    objects.push(
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { 'mlplatform.io/team': `team-${i}` } },
      },
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'gpu-quota', namespace: ns },
        spec: {
          hard: {
            'requests.nvidia.com/gpu': String(4 + (i % 8)),
            'requests.nvidia.com/mig-1g.10gb': '7',
            'requests.cpu': '64',
          },
        },
      },
    );
    if (i % 10 === 0) {
      objects.push(
        {
          apiVersion: 'kueue.x-k8s.io/v1beta2',
          kind: 'ClusterQueue',
          metadata: { name: `${ns}-cq` },
          spec: {
            namespaceSelector: {},
            cohortName: 'research',
            resourceGroups: [
              {
                coveredResources: ['nvidia.com/gpu'],
                flavors: [
                  {
                    name: 'a100-80gb',
                    resources: [{ name: 'nvidia.com/gpu', nominalQuota: 8 }],
                  },
                ],
              },
            ],
          },
          status: {
            flavorsUsage: [
              {
                name: 'a100-80gb',
                resources: [{ name: 'nvidia.com/gpu', total: String(i % 9) }],
              },
            ],
          },
        },
        {
          apiVersion: 'kueue.x-k8s.io/v1beta2',
          kind: 'LocalQueue',
          metadata: { name: 'queue', namespace: ns },
          spec: { clusterQueue: `${ns}-cq` },
        },
      );
    }
  }
  return objects;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

async function backend(servers: KubeApiServer[], refreshSeconds: number) {
  const testBackend = await startTestBackend({
    features: [
      mlPlugin,
      mockServices.rootConfig.factory({
        data: {
          ml: {
            kubernetes: {
              refreshSeconds,
              clusters: servers.map((s, i) => ({
                name: `gpu-cluster-${i}`,
                url: s.url,
                token: s.token,
                caData: s.caData,
              })),
            },
          },
        },
      }),
    ],
  });
  const get = async () => {
    const res = await request(testBackend.server)
      .get('/api/ml/quotas')
      .set('Authorization', mockCredentials.user.header());
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const unavailable = res.body.clusters.filter((c: any) => !c.available);
    if (unavailable.length) throw new Error(JSON.stringify(unavailable));
    return res.body;
  };
  return { get, stop: () => testBackend.stop() };
}

async function main() {
  process.stdout.write(
    `seeding 3 test API servers with ${NAMESPACES} namespaces each... `,
  );
  const seedStart = performance.now();
  const servers = await Promise.all(
    [0, 1, 2].map(i => startKubeApiServer({ seed: seed(i) })),
  );
  console.log(`${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-'));
  try {
    const kubeconfigs = await Promise.all(
      servers.map((s, i) => s.writeKubeconfig(join(dir, `kubeconfig-${i}`))),
    );

    const cold = await backend(servers, 0);
    const first = await cold.get();
    const quotaCount = first.quotas.length;
    const coldTimes: number[] = [];
    const listsPerRefresh: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      servers.forEach(s => s.resetRequests());
      coldTimes.push(await time(cold.get));
      const lists = servers.map(
        s => s.requests.filter(q => q.verb === 'list').length,
      );
      listsPerRefresh.push(Math.max(...lists));
      const perKind = servers.map(s => {
        const counts: Record<string, number> = {};
        for (const q of s.requests.filter(x => x.verb === 'list')) {
          counts[q.resource ?? '?'] = (counts[q.resource ?? '?'] ?? 0) + 1;
        }
        return Math.max(...Object.values(counts));
      });
      if (Math.max(...perKind) > 1) {
        throw new Error(`more than one list call per kind: ${perKind}`);
      }
    }
    await cold.stop();

    const warm = await backend(servers, 600);
    await warm.get();
    const warmTimes: number[] = [];
    for (let r = 0; r < RUNS * 3; r++) warmTimes.push(await time(warm.get));
    await warm.stop();

    const run = promisify(execFile);
    const kubectlAll = () =>
      Promise.all(
        kubeconfigs.map(k =>
          run(
            KUBECTL,
            ['--kubeconfig', k, 'get', 'resourcequota', '-A', '-o', 'json'],
            { maxBuffer: 256 * 1024 * 1024 },
          ),
        ),
      );
    const kubectlItems = (await kubectlAll()).reduce(
      (n, o) => n + JSON.parse(o.stdout).items.length,
      0,
    );
    const kubectlTimes: number[] = [];
    for (let r = 0; r < RUNS; r++) kubectlTimes.push(await time(kubectlAll));

    const rows: Array<[string, string]> = [
      ['clusters x namespaces', `3 x ${NAMESPACES}`],
      ['quota entries returned', String(quotaCount)],
      [
        `GET /api/ml/quotas cold, median of ${RUNS}`,
        `${median(coldTimes).toFixed(0)} ms`,
      ],
      [
        `GET /api/ml/quotas warm, median of ${RUNS * 3}`,
        `${median(warmTimes).toFixed(1)} ms`,
      ],
      [
        'list calls per cluster per refresh (max)',
        `${Math.max(
          ...listsPerRefresh,
        )} (namespaces, resourcequotas, events + 5 Kueue kinds)`,
      ],
      [
        `kubectl get resourcequota -A x3 in parallel, median of ${RUNS}`,
        `${median(kubectlTimes).toFixed(0)} ms (${kubectlItems} items)`,
      ],
      [
        'cold / kubectl',
        `${(median(coldTimes) / median(kubectlTimes)).toFixed(2)}x`,
      ],
      ['target (DESIGN.md 8)', '<= 1000 ms cold, 1 list per kind per cluster'],
    ];
    const width = Math.max(...rows.map(r => r[0].length));
    console.log();
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await Promise.all(servers.map(s => s.stop()));
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    e => {
      console.error(e);
      process.exit(1);
    },
  );
}
