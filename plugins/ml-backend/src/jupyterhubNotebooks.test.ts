import {
  Notebook,
  NotebookProgressEvent,
  NotebooksResponse,
} from '@mlplatform/plugin-ml-common';
import {
  KubeApiServer,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import {
  describeIfBinary,
  getFreePort,
  JupyterHubHandle,
  jupyterhubBinary,
  startJupyterHub,
} from '@mlplatform/test-services';
import request from 'supertest';
import {
  ADA,
  BOB,
  EVE,
  jupyterhubNotebookBody,
  NOTEBOOK_IMAGE as IMAGE,
  ROOT,
  startJupyterHubBackend,
} from './__testUtils__/jupyterhubBackend';
import { clusterBSeed } from './__testUtils__/kubeSeeds';
import { asUser as as } from './__testUtils__/testUsers';

jest.setTimeout(120_000);

async function startBackend(kube: KubeApiServer, jupyterhub: object) {
  return (await startJupyterHubBackend({ kube, jupyterhub })).server;
}

/** Reads the portal's progress stream to its end. */
async function progressEvents(server: any, path: string) {
  const res = await request(server)
    .get(path)
    .set(as(ADA))
    .buffer(true)
    .parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => done(null, text));
    });
  return {
    status: res.status,
    contentType: res.headers['content-type'],
    events: String(res.body)
      .split('\n')
      .filter(l => l.startsWith('data: '))
      .map(l => JSON.parse(l.slice(6)) as NotebookProgressEvent),
  };
}

async function listOf(server: any, user = ADA) {
  return (await request(server).get('/api/ml/notebooks').set(as(user)))
    .body as NotebooksResponse;
}

async function waitForPhase(server: any, name: string, phase: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const nb = (await listOf(server)).items.find(n => n.name === name);
    if (nb?.phase === phase || Date.now() > deadline) return nb;
    await new Promise(r => setTimeout(r, 300));
  }
}

describeIfBinary(jupyterhubBinary)(
  'JupyterHub notebooks against a real JupyterHub',
  () => {
    let hub: JupyterHubHandle;
    let kube: KubeApiServer;
    const body = jupyterhubNotebookBody('ada-lab');

    beforeAll(async () => {
      [hub, kube] = await Promise.all([
        startJupyterHub({ progressStepDelayMs: 300 }),
        startKubeApiServer({ seed: clusterBSeed(), controllers: true }),
      ]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all([hub?.stop(), kube?.stop()]);
    });

    it('creates a named server with the team profile, streams its progress, opens JupyterLab, stops, starts and deletes it', async () => {
      const server = await startBackend(kube, {
        url: hub.url,
        apiToken: hub.serviceToken,
        publicUrl: 'http://hub.example.test',
      });
      const created = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send(body);
      expect(created.status).toBe(201);
      expect(created.body as Notebook).toMatchObject({
        name: 'ada-lab',
        backend: 'jupyterhub',
        team: 'group:default/fraud-team',
        gpus: 1,
        phase: 'Pending',
        url: 'http://hub.example.test/user/ada/ada-lab/lab',
      });
      // The spawner got the profile the quota check passed.
      expect(hub.spawnedProfile('ada', 'ada-lab')).toEqual({
        gpus: 1,
        gpuType: 'nvidia.com/gpu',
        cpu: '2',
        memory: '4Gi',
        storage: '10Gi',
        image: IMAGE,
        cluster: 'gpu-cluster-b',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
      });
      // Nothing is created on the cluster for a JupyterHub notebook.
      expect(kube.list('apps/v1', 'StatefulSet', 'fraud')).toEqual([]);

      const progress = await progressEvents(
        server,
        '/api/ml/notebooks/gpu-cluster-b/fraud/ada-lab/progress',
      );
      expect(progress.status).toBe(200);
      expect(progress.contentType).toMatch(/^text\/event-stream/);
      const messages = progress.events.map(e => e.message);
      expect(messages).toContain(
        'Requesting gpus 1, gpuType nvidia.com/gpu, cpu 2, memory 4Gi',
      );
      expect(messages).toContain(`Pulling image ${IMAGE}`);
      const percents = progress.events
        .map(e => e.progress)
        .filter((p): p is number => p !== undefined);
      expect(percents).toEqual([...percents].sort((x, y) => x - y));
      expect(progress.events[progress.events.length - 1]).toMatchObject({
        progress: 100,
        ready: true,
        url: 'http://hub.example.test/user/ada/ada-lab/lab',
      });
      // The token stays in the backend.
      expect(JSON.stringify(progress.events)).not.toContain(hub.serviceToken);
      // Only its creator follows its start, even within the team.
      const bobs = await request(server)
        .get('/api/ml/notebooks/gpu-cluster-b/fraud/ada-lab/progress')
        .set(as(BOB));
      expect(bobs.status).toBe(403);

      expect((await listOf(server)).items).toEqual([
        expect.objectContaining({ name: 'ada-lab', phase: 'Running' }),
      ]);
      // The open URL is JupyterLab on the hub (here reached directly, with
      // the service's access scope instead of a browser login).
      const lab = await fetch(`${hub.url}/user/ada/ada-lab/lab`, {
        headers: { Authorization: `token ${hub.serviceToken}` },
      });
      expect(lab.status).toBe(200);
      expect(await lab.text()).toMatch(/JupyterLab/);

      const stop = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-lab/stop')
        .set(as(ADA));
      expect(stop.status).toBe(204);
      expect((await waitForPhase(server, 'ada-lab', 'Stopped'))?.phase).toBe(
        'Stopped',
      );

      const start = await request(server)
        .post('/api/ml/notebooks/gpu-cluster-b/fraud/ada-lab/start')
        .set(as(ADA));
      expect(start.status).toBe(204);
      expect((await waitForPhase(server, 'ada-lab', 'Running'))?.phase).toBe(
        'Running',
      );

      const del = await request(server)
        .delete('/api/ml/notebooks/gpu-cluster-b/fraud/ada-lab')
        .set(as(ADA));
      expect(del.status).toBe(204);
      expect((await listOf(server)).items).toEqual([]);
      // JupyterHub answers a delete at once and forgets the server once
      // JupyterLab has stopped.
      const serverOnHub = async () =>
        (
          await hub.api<{ servers: Record<string, object> }>(
            'GET',
            '/users/ada?include_stopped_servers=1',
          )
        ).servers['ada-lab'];
      for (let i = 0; i < 100 && (await serverOnHub()); i++) {
        await new Promise(r => setTimeout(r, 200));
      }
      expect(await serverOnHub()).toBeUndefined();

      const audit = await request(server)
        .get('/api/ml/audit?entity=notebook:gpu-cluster-b/fraud/ada-lab')
        .set(as(ROOT));
      expect(
        audit.body.items
          .map((e: any) => [e.action, e.outcome, e.details.backend])
          .reverse(),
      ).toEqual([
        ['ml.notebook.create', 'succeeded', 'jupyterhub'],
        ['ml.notebook.stop', 'succeeded', 'jupyterhub'],
        ['ml.notebook.start', 'succeeded', 'jupyterhub'],
        ['ml.notebook.delete', 'succeeded', 'jupyterhub'],
      ]);
    });

    it('refuses GPUs beyond the quota, another team, an image not offered and bad input, spawning nothing', async () => {
      const server = await startBackend(kube, {
        url: hub.url,
        apiToken: hub.serviceToken,
      });
      // fraud on gpu-cluster-b: 8 hard, 6 used by training pods.
      const tooMany = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, name: 'too-many', gpus: 3 });
      expect(tooMany.status).toBe(409);
      expect(tooMany.body.error.message).toMatch(/2/);

      const other = await request(server)
        .post('/api/ml/notebooks')
        .set(as(EVE))
        .send({ ...body, name: 'eve-lab' });
      expect(other.status).toBe(403);
      expect(other.body.error.message).toBe(
        'user:default/eve is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-b',
      );

      const image = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, name: 'odd-image', image: 'docker.io/evil/miner:1' });
      expect(image.status).toBe(400);
      expect(image.body.error.message).toMatch(
        /image docker.io\/evil\/miner:1 is not offered by JupyterHub/,
      );

      const badName = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, name: 'Not_A_Label' });
      expect(badName.status).toBe(400);

      for (const name of ['too-many', 'eve-lab', 'odd-image']) {
        expect(hub.spawnedProfile('ada', name)).toBeUndefined();
        expect(hub.spawnedProfile('eve', name)).toBeUndefined();
      }
      const audit = await request(server)
        .get('/api/ml/audit?action=ml.notebook.create')
        .set(as(ROOT));
      expect(
        audit.body.items
          .filter((e: any) =>
            ['too-many', 'eve-lab', 'odd-image'].some(n =>
              e.targetRef.endsWith(`/${n}`),
            ),
          )
          .map((e: any) => e.outcome),
      ).toEqual(['refused', 'refused', 'refused']);

      // Progress is its creator's only.
      const progress = await request(server)
        .get('/api/ml/notebooks/gpu-cluster-b/fraud/nothing-here/progress')
        .set(as(ADA));
      expect(progress.status).toBe(404);
    });

    it('promises at most the free GPUs to concurrent creations (2 free: 2 × 201, 1 × 409)', async () => {
      const server = await startBackend(kube, {
        url: hub.url,
        apiToken: hub.serviceToken,
      });
      const names = ['race-1', 'race-2', 'race-3'];
      const answers = await Promise.all(
        names.map(name =>
          request(server)
            .post('/api/ml/notebooks')
            .set(as(ADA))
            .send({ ...body, name, gpus: 1 }),
        ),
      );
      expect(answers.map(a => a.status).sort()).toEqual([201, 201, 409]);
      const spawned = names.filter(n => hub.spawnedProfile('ada', n));
      expect(spawned).toHaveLength(2);
      for (const name of spawned) {
        const del = await request(server)
          .delete(`/api/ml/notebooks/gpu-cluster-b/fraud/${name}`)
          .set(as(ADA));
        expect(del.status).toBe(204);
      }
    });

    it('creates a name once: concurrent and later creations of it get 409 and leave the first running', async () => {
      const server = await startBackend(kube, {
        url: hub.url,
        apiToken: hub.serviceToken,
      });
      const twice = { ...body, name: 'same-name', gpus: 0 };
      const answers = await Promise.all(
        [1, 2].map(() =>
          request(server).post('/api/ml/notebooks').set(as(ADA)).send(twice),
        ),
      );
      expect(answers.map(a => a.status).sort()).toEqual([201, 409]);
      const refused = answers.find(a => a.status === 409)!;
      expect(refused.body.error.message).toBe(
        'a notebook named same-name already exists in fraud on gpu-cluster-b',
      );
      expect((await waitForPhase(server, 'same-name', 'Running'))?.phase).toBe(
        'Running',
      );
      const again = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send(twice);
      expect(again.status).toBe(409);
      const listed = (await listOf(server)).items.filter(
        n => n.name === 'same-name',
      );
      expect(listed.map(n => n.phase)).toEqual(['Running']);
      const del = await request(server)
        .delete('/api/ml/notebooks/gpu-cluster-b/fraud/same-name')
        .set(as(ADA));
      expect(del.status).toBe(204);
      // Deleted, the name is free again.
      expect((await listOf(server)).items.map(n => n.name)).not.toContain(
        'same-name',
      );
    });

    it('answers 503 when JupyterHub is down and keeps nothing half-created', async () => {
      const closedPort = await getFreePort();
      const server = await startBackend(kube, {
        url: `http://127.0.0.1:${closedPort}`,
        apiToken: 'unused',
      });
      const res = await request(server)
        .post('/api/ml/notebooks')
        .set(as(ADA))
        .send({ ...body, name: 'hub-down' });
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(
        new RegExp(
          `JupyterHub at http://127.0.0.1:${closedPort} is unavailable`,
        ),
      );
      expect((await listOf(server)).items).toEqual([]);
      const audit = await request(server)
        .get('/api/ml/audit?entity=notebook:gpu-cluster-b/fraud/hub-down')
        .set(as(ROOT));
      expect(audit.body.items[0]).toMatchObject({ outcome: 'failed' });
    });
  },
);
