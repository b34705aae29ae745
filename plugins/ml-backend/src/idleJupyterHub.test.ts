/*
 * Idle GPUs in JupyterHub named servers, against a real JupyterHub (local
 * process spawner), a real Prometheus scraping a DCGM exporter stand-in
 * whose series carry the labels KubeSpawner puts on a server's pod (as
 * dcgm-exporter --kubernetes-enable-pod-labels copies them), and the test
 * API server for the team's quota: the card's route, the owner's opt-out,
 * the policy's warning and its stop through JupyterHub's API, audited.
 */
import {
  SchedulerService,
  ServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  actionsRegistryServiceFactory,
  actionsServiceFactory,
} from '@backstage/backend-defaults/alpha';
import { mockServices } from '@backstage/backend-test-utils';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import notificationsPlugin from '@backstage/plugin-notifications-backend';
import {
  IdleNotebooksResponse,
  NotebooksResponse,
} from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  dcgmBackfill,
  DcgmExporter,
  DEMO_IDLE_HUB_NOTEBOOK,
  demoMetricsBackfill,
  DcgmGpu,
  describeIfBinary,
  JupyterHubHandle,
  jupyterhubBinary,
  PrometheusHandle,
  startDcgmExporter,
  startJupyterHub,
  startPrometheus,
} from '@mlplatform/test-services';
import request from 'supertest';
import {
  CountingProxy,
  startCountingProxy,
} from './__testUtils__/countingProxy';
import {
  ADA,
  EVE,
  GUEST,
  jupyterhubNotebookBody,
  ROOT,
  startJupyterHubBackend,
} from './__testUtils__/jupyterhubBackend';
import { clusterBSeed, ns } from './__testUtils__/kubeSeeds';
import { asUser as as } from './__testUtils__/testUsers';

jest.setTimeout(180_000);

const NOW = Math.floor(Date.now() / 1000);

/** A GPU of a KubeSpawner pod, labelled as KubeSpawner 7 labels it. */
const serverGpu = (
  user: string,
  server: string,
  gpu: string,
  utilization: DcgmGpu['utilization'],
  namespace = 'fraud',
): DcgmGpu => ({
  namespace,
  pod: `jupyter-${user}--${server}`,
  gpu,
  utilization,
  labels: {
    component: 'singleuser-server',
    app_kubernetes_io_component: 'singleuser-server',
    hub_jupyter_org_username: user,
    hub_jupyter_org_servername: server,
  },
});

/*
 * ada's idle-lab at 1 % and busy-lab at 60 %; a server of the same name of
 * another user, and one in another namespace, which the portal did not
 * create and must not count.
 */
const GPUS: DcgmGpu[] = [
  serverGpu('ada', 'idle-lab', '0', 1),
  serverGpu('ada', 'busy-lab', '1', 60),
  serverGpu('bob', 'idle-lab', '2', 0),
  serverGpu('ada', 'idle-lab', '3', 0, 'ml-sandbox'),
];

type MockScheduler = SchedulerService & { factory(): ServiceFactory };

describeIfBinary(jupyterhubBinary)(
  'idle GPUs in JupyterHub named servers',
  () => {
    let hub: JupyterHubHandle;
    let kube: KubeApiServer;
    let exporter: DcgmExporter;
    let prometheus: PrometheusHandle;
    let proxy: CountingProxy;

    beforeAll(async () => {
      [hub, kube, exporter] = await Promise.all([
        startJupyterHub({ progressStepDelayMs: 50 }),
        startKubeApiServer({ seed: clusterBSeed(), controllers: true }),
        startDcgmExporter(GPUS),
      ]);
      prometheus = await startPrometheus({
        backfill: dcgmBackfill(GPUS, { now: NOW, hours: 3 }),
        scrapeConfigs: exporter.scrapeConfigs,
      });
      proxy = await startCountingProxy(prometheus.url);
    }, 180_000);
    afterAll(async () => {
      await Promise.all([
        hub?.stop(),
        kube?.stop(),
        prometheus?.stop(),
        exporter?.stop(),
        proxy?.stop(),
      ]);
    });

    it('finds the idle server by its KubeSpawner labels, honours the opt-out, warns, then stops it through JupyterHub', async () => {
      const scheduler = mockServices.scheduler() as MockScheduler;
      const { server } = await startJupyterHubBackend({
        kube,
        jupyterhub: { url: hub.url, apiToken: hub.serviceToken },
        ml: {
          prometheus: { url: proxy.url },
          notebooks: {
            idle: {
              threshold: 5,
              after: '1h',
              action: 'stop',
              warning: '0s',
              frequency: '1h',
            },
          },
        },
        config: { backend: { actions: { pluginSources: ['ml'] } } },
        features: [
          scheduler.factory(),
          notificationsPlugin,
          mcpActionsPlugin,
          actionsRegistryServiceFactory,
          actionsServiceFactory,
        ],
      });
      for (const name of ['idle-lab', 'busy-lab']) {
        const created = await request(server)
          .post('/api/ml/notebooks')
          .set(as(ADA))
          .send(jupyterhubNotebookBody(name));
        expect(created.status).toBe(201);
      }
      const phaseOf = async (name: string) =>
        (
          (await request(server).get('/api/ml/notebooks').set(as(ADA)))
            .body as NotebooksResponse
        ).items.find(n => n.name === name)?.phase;
      const waitFor = async (name: string, phase: string) => {
        const deadline = Date.now() + 90_000;
        while ((await phaseOf(name)) !== phase && Date.now() < deadline) {
          await new Promise(r => setTimeout(r, 300));
        }
        return phaseOf(name);
      };
      expect(await waitFor('idle-lab', 'Running')).toBe('Running');
      expect(await waitFor('busy-lab', 'Running')).toBe('Running');

      const idleOf = async (user = ADA) =>
        (await request(server).get('/api/ml/notebooks/idle').set(as(user)))
          .body as IdleNotebooksResponse;
      const before = proxy.count('/api/v1/query');
      const found = await idleOf();
      // One Prometheus query for the whole cycle.
      expect(proxy.count('/api/v1/query') - before).toBe(1);
      expect(found.status).toBe('ok');
      expect(found.items).toEqual([
        expect.objectContaining({
          cluster: 'gpu-cluster-b',
          namespace: 'fraud',
          name: 'idle-lab',
          backend: 'jupyterhub',
          createdBy: ADA,
          team: 'group:default/fraud-team',
          gpus: 1,
          utilization: 1,
          exempt: false,
        }),
      ]);
      expect(found.items[0].idleSeconds).toBeGreaterThanOrEqual(3600);
      expect(found.namespaces).toEqual([
        expect.objectContaining({ namespace: 'fraud', gpus: 1, notebooks: 1 }),
      ]);
      const promql = new URLSearchParams(
        proxy.requests.filter(r => r.path === '/api/v1/query').at(-1)!.body,
      ).get('query')!;
      expect(promql).toContain('component="singleuser-server"');
      expect(promql).toContain('hub_jupyter_org_username=~"ada"');
      expect(promql).toContain(
        'hub_jupyter_org_servername=~"busy-lab|idle-lab"',
      );

      // An assistant asking over MCP gets the same cycle, in sentences too.
      const rpc = await request(server)
        .post('/api/mcp-actions/v1')
        .set(as(ADA))
        .set('Accept', 'application/json, text/event-stream')
        .set('Content-Type', 'application/json')
        .send({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'ml.get-idle-notebooks', arguments: { mine: true } },
        });
      expect(rpc.status).toBe(200);
      const [answer] = rpc.text
        .split('\n')
        .filter(l => l.startsWith('data: '))
        .map(l => JSON.parse(l.slice(6)));
      expect(answer.result.isError).toBeFalsy();
      const tool = answer.result.structuredContent;
      expect(tool.status).toBe('ok');
      expect(tool.summary).toEqual([
        '1 GPU held by 1 idle notebook in fraud on gpu-cluster-b',
      ]);
      expect(tool.notebooks).toEqual([
        expect.objectContaining({
          name: 'idle-lab',
          backend: 'jupyterhub',
          createdBy: ADA,
          gpus: 1,
          utilization: 1,
          exempt: false,
        }),
      ]);
      expect(tool.notebooks[0].idle).toMatch(
        /^idle for \d+h(\d+m)? at 1% GPU$/,
      );
      expect(tool.namespaces).toEqual(found.namespaces);

      // The opt-out: the owner's team only, kept by the portal, audited.
      const path = '/api/ml/notebooks/gpu-cluster-b/fraud/idle-lab/idle-policy';
      const refused = await request(server)
        .put(path)
        .set(as(EVE))
        .send({ policy: 'exempt' });
      expect(refused.status).toBe(403);
      expect((await idleOf()).items[0].exempt).toBe(false);
      expect(
        (
          await request(server)
            .put(path)
            .set(as(ADA))
            .send({ policy: 'exempt' })
        ).status,
      ).toBe(204);
      expect((await idleOf()).items[0].exempt).toBe(true);
      await scheduler.triggerTask('ml-idle-notebooks');
      const auditOf = async () =>
        (
          await request(server)
            .get('/api/ml/audit?entity=notebook:gpu-cluster-b/fraud/idle-lab')
            .set(as(ROOT))
        ).body.items as Array<{
          action: string;
          actor: string;
          outcome: string;
          details: Record<string, unknown>;
        }>;
      expect((await auditOf()).map(e => e.action)).not.toContain(
        'ml.notebook.idle-warn',
      );
      expect(await phaseOf('idle-lab')).toBe('Running');

      // Back under the policy: warned in one cycle, stopped in the next.
      expect(
        (
          await request(server)
            .put(path)
            .set(as(ADA))
            .send({ policy: 'default' })
        ).status,
      ).toBe(204);
      await scheduler.triggerTask('ml-idle-notebooks');
      expect(await phaseOf('idle-lab')).toBe('Running');
      await scheduler.triggerTask('ml-idle-notebooks');
      const trail = (await auditOf()).reverse();
      expect(trail.map(e => [e.action, e.actor, e.outcome])).toEqual([
        ['ml.notebook.create', ADA, 'succeeded'],
        ['ml.notebook.idle-policy', EVE, 'refused'],
        ['ml.notebook.idle-policy', ADA, 'succeeded'],
        ['ml.notebook.idle-policy', ADA, 'succeeded'],
        ['ml.notebook.idle-warn', 'plugin:ml', 'succeeded'],
        ['ml.notebook.stop', 'plugin:ml', 'succeeded'],
      ]);
      expect(trail.at(-1)!.details).toMatchObject({
        backend: 'jupyterhub',
        reason: 'idle',
        threshold: 5,
        utilization: 1,
      });
      // JupyterHub stopped it; busy-lab runs on.
      const hubUser = await hub.api<{
        servers: Record<string, { ready: boolean; stopped?: boolean }>;
      }>('GET', '/users/ada?include_stopped_servers=1');
      expect(hubUser.servers['idle-lab']).toMatchObject({ ready: false });
      expect(hubUser.servers['busy-lab']).toMatchObject({ ready: true });
      expect(await waitFor('idle-lab', 'Stopped')).toBe('Stopped');
      // Stopped, it holds no GPUs: gone from the card.
      expect((await idleOf(ROOT)).items).toEqual([]);
      const notes = await request(server)
        .get('/api/notifications/notifications')
        .set(as(ADA));
      expect(
        notes.body.notifications.map(
          (n: { payload: { title: string } }) => n.payload.title,
        ),
      ).toContain('Notebook idle-lab was stopped: its GPUs sat idle');
    });

    it("finds the demo's idle JupyterHub server in the demo data", async () => {
      const { cluster, namespace, name, user, utilization } =
        DEMO_IDLE_HUB_NOTEBOOK;
      const [demo, demoKube] = await Promise.all([
        startPrometheus({ backfill: demoMetricsBackfill({ hours: 6 }) }),
        startKubeApiServer({
          controllers: true,
          seed: [
            ns(namespace, { 'mlplatform.io/team': 'fraud-team' }),
            {
              apiVersion: 'v1',
              kind: 'ResourceQuota',
              metadata: { name: 'gpu-quota', namespace },
              spec: { hard: { 'requests.nvidia.com/gpu': '2' } },
            },
          ],
        }),
      ]);
      try {
        const { server } = await startJupyterHubBackend({
          kube: demoKube,
          jupyterhub: {
            url: hub.url,
            apiToken: hub.serviceToken,
            serves: [{ cluster, namespaces: [namespace] }],
          },
          ml: {
            prometheus: { url: demo.url },
            notebooks: { idle: { threshold: 5, after: '1h' } },
          },
        });
        const created = await request(server)
          .post('/api/ml/notebooks')
          .set(as(GUEST))
          .send({ ...jupyterhubNotebookBody(name), namespace });
        expect(created.status).toBe(201);
        expect(user).toBe('guest');
        const deadline = Date.now() + 90_000;
        let body: IdleNotebooksResponse;
        do {
          body = (
            await request(server)
              .get('/api/ml/notebooks/idle?mine=true')
              .set(as(GUEST))
          ).body;
          if (body.items.length) break;
          await new Promise(r => setTimeout(r, 500));
        } while (Date.now() < deadline);
        expect(
          body.items.map(n => [
            n.name,
            n.backend,
            n.utilization,
            n.idleAtLeast,
          ]),
        ).toEqual([[name, 'jupyterhub', utilization, true]]);
        expect(body.namespaces).toEqual([
          expect.objectContaining({
            cluster,
            namespace,
            gpus: 1,
            notebooks: 1,
          }),
        ]);
      } finally {
        await Promise.all([demo.stop(), demoKube.stop()]);
      }
    });
  },
);
