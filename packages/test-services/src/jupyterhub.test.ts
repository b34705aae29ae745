import fs from 'node:fs';
import { describeIfBinary, MissingBinaryError } from './binaries';
import {
  JupyterHubHandle,
  jupyterhubBinary,
  startJupyterHub,
} from './jupyterhub';
import { isPortOpen } from './ports';

jest.setTimeout(90_000);

describe('jupyterhubBinary', () => {
  it('tells a reader without the venv to run the bootstrap', () => {
    const missing = { ...jupyterhubBinary, candidates: ['/nonexistent/jh'] };
    expect(new MissingBinaryError(missing).message).toMatch(
      /Install it with: \. scripts\/bootstrap\.sh/,
    );
  });
});

type HubUser = {
  name: string;
  servers: Record<string, { ready: boolean; url: string; pending: string }>;
};

// Reads the event stream of a spawn until JupyterHub says it is ready.
async function readProgress(
  hub: JupyterHubHandle,
  user: string,
  server: string,
) {
  const res = await fetch(
    `${hub.apiUrl}/users/${user}/servers/${server}/progress`,
    { headers: { Authorization: `token ${hub.serviceToken}` } },
  );
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n')
    .filter(line => line.startsWith('data:'))
    .map(line => JSON.parse(line.slice(5)));
}

describeIfBinary(jupyterhubBinary)('startJupyterHub', () => {
  let hub: JupyterHubHandle;

  beforeAll(async () => {
    hub = await startJupyterHub({ progressStepDelayMs: 200 });
  }, 90_000);
  afterAll(() => hub?.stop());

  it('refuses the REST API without the service token', async () => {
    const res = await fetch(`${hub.apiUrl}/users`);
    expect(res.status).toBe(403);
  });

  it('spawns a named server with the profile as user_options and serves JupyterLab through the proxy', async () => {
    await hub.api('POST', '/users/alice');
    const profile = {
      gpus: 1,
      gpuType: 'nvidia-a100',
      cpu: '2',
      memory: '4Gi',
      image: 'jupyter/scipy-notebook:2024-01-01',
    };
    await hub.api('POST', '/users/alice/servers/exp-1', profile);

    const events = await readProgress(hub, 'alice', 'exp-1');
    const messages = events.map(e => e.message);
    expect(messages).toContain(
      'Requesting gpus 1, gpuType nvidia-a100, cpu 2, memory 4Gi',
    );
    expect(messages).toContain(
      'Pulling image jupyter/scipy-notebook:2024-01-01',
    );
    const last = events[events.length - 1];
    expect(last).toMatchObject({ progress: 100, ready: true });
    expect(last.url).toBe('/user/alice/exp-1/');
    expect(hub.spawnedProfile('alice', 'exp-1')).toEqual(profile);

    const user = await hub.api<HubUser>('GET', '/users/alice');
    expect(user.servers['exp-1']).toMatchObject({
      ready: true,
      url: '/user/alice/exp-1/',
    });

    // JupyterLab's own API, through the proxy, with the service's access scope.
    const status = await fetch(`${hub.url}/user/alice/exp-1/api/status`, {
      headers: { Authorization: `token ${hub.serviceToken}` },
    });
    expect(status.status).toBe(200);
    const lab = await fetch(`${hub.url}/user/alice/exp-1/lab`, {
      headers: { Authorization: `token ${hub.serviceToken}` },
    });
    expect(lab.status).toBe(200);
    expect(await lab.text()).toMatch(/JupyterLab/);

    // Answered at once (202); the server is gone once JupyterLab stopped.
    await hub.api('DELETE', '/users/alice/servers/exp-1', { remove: true });
    const serverOnHub = async () =>
      (await hub.api<HubUser>('GET', '/users/alice')).servers['exp-1'];
    for (let i = 0; i < 100 && (await serverOnHub()); i++) {
      await new Promise(r => setTimeout(r, 200));
    }
    expect(await serverOnHub()).toBeUndefined();
  });

  it('stops cleanly: the proxy port closes and the dir is removed', async () => {
    const { port, dir } = hub;
    await hub.stop();
    expect(await isPortOpen(port)).toBe(false);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
