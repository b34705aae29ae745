import { ConfigReader } from '@backstage/config';
import { jupyterHubServes, readJupyterHubConfig } from './jupyterhubConfig';

const read = (jupyterhub: object) =>
  readJupyterHubConfig(new ConfigReader({ ml: { jupyterhub } }), [
    'gpu-cluster-a',
    'gpu-cluster-b',
  ]);

const base = {
  url: 'http://hub.jupyterhub.svc/',
  apiToken: 'secret-token',
  serves: [{ cluster: 'gpu-cluster-b', namespaces: ['nlp'] }],
};

describe('readJupyterHubConfig', () => {
  it('is undefined when ml.jupyterhub is absent', () => {
    expect(
      readJupyterHubConfig(new ConfigReader({ ml: {} }), ['gpu-cluster-a']),
    ).toBeUndefined();
  });

  it('reads the URLs without trailing slashes, publicUrl defaulting to url', () => {
    const config = read(base)!;
    expect(config.url).toBe('http://hub.jupyterhub.svc');
    expect(config.publicUrl).toBe('http://hub.jupyterhub.svc');
    expect(config.requestTimeoutMs).toBe(10_000);
    expect(
      read({ ...base, publicUrl: 'https://hub.example.com/' })!.publicUrl,
    ).toBe('https://hub.example.com');
  });

  it('serves the listed namespaces, or every namespace of a cluster listed without them', () => {
    const some = read(base);
    expect(jupyterHubServes(some, 'gpu-cluster-b', 'nlp')).toBe(true);
    expect(jupyterHubServes(some, 'gpu-cluster-b', 'fraud')).toBe(false);
    expect(jupyterHubServes(some, 'gpu-cluster-a', 'nlp')).toBe(false);
    const all = read({ ...base, serves: [{ cluster: 'gpu-cluster-a' }] });
    expect(jupyterHubServes(all, 'gpu-cluster-a', 'anything')).toBe(true);
    expect(jupyterHubServes(undefined, 'gpu-cluster-a', 'x')).toBe(false);
  });

  it.each([
    [
      { url: 'not a url' },
      'ml config: ml.jupyterhub.url is not a URL: "not a url"',
    ],
    [
      { url: 'ftp://hub' },
      'ml config: ml.jupyterhub.url must be http(s), got ftp:',
    ],
    [
      { url: 'http://admin:pw@hub' },
      'ml config: ml.jupyterhub.url must be a plain base URL (the token goes in apiToken)',
    ],
    [
      { serves: [{ cluster: 'elsewhere' }] },
      'ml config: ml.jupyterhub.serves names cluster "elsewhere", which is not in ml.kubernetes.clusters (gpu-cluster-a, gpu-cluster-b)',
    ],
    [
      { requestTimeoutSeconds: 0 },
      'ml config: ml.jupyterhub.requestTimeoutSeconds must be a positive number',
    ],
  ])('refuses %j', (patch, message) => {
    expect(() => read({ ...base, ...patch })).toThrow(message);
  });
});
