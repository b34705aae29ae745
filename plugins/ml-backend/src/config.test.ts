import { ConfigReader } from '@backstage/config';
import { readMlConfig } from './config';

const read = (ml: unknown) => readMlConfig(new ConfigReader({ ml } as any));

describe('readMlConfig', () => {
  it('reads an empty config as nothing configured', () => {
    expect(readMlConfig(new ConfigReader({}))).toEqual({
      clusters: [],
      registries: [],
      prometheus: undefined,
      alertmanager: undefined,
    });
  });

  it('reads every integration and strips trailing slashes', () => {
    const config = read({
      kubernetes: {
        clusters: [{ name: 'gpu-a', url: 'https://k8s:6443/', token: 't' }],
      },
      registries: [
        { name: 'models', type: 'oci', url: 'https://registry.local/' },
      ],
      prometheus: { url: 'http://prom:9090/' },
      alertmanager: { url: 'http://am:9093' },
    });
    expect(config.clusters[0]).toMatchObject({
      name: 'gpu-a',
      url: 'https://k8s:6443',
      token: 't',
    });
    expect(config.registries[0].url).toBe('https://registry.local');
    expect(config.prometheus).toEqual({
      url: 'http://prom:9090',
      token: undefined,
    });
  });

  it.each([
    [
      { prometheus: { url: 'not a url' } },
      'ml config: ml.prometheus.url is not a URL: "not a url"',
    ],
    [
      { prometheus: { url: 'ftp://prom' } },
      'ml config: ml.prometheus.url must be http(s), got ftp:',
    ],
    [
      { alertmanager: { url: 'http://user:pw@am:9093' } },
      'ml config: ml.alertmanager.url must not carry credentials',
    ],
    [
      { registries: [{ name: 'r', type: 'docker', url: 'http://r' }] },
      'registry "r" has type "docker"; expected oci or mlflow',
    ],
    [
      {
        kubernetes: {
          clusters: [{ name: 'a', url: 'https://a', kubeconfig: '/k' }],
        },
      },
      'ml.kubernetes.clusters[0] (a) needs exactly one of url, kubeconfig or serviceAccount: true',
    ],
    [{ kubernetes: { clusters: [{ name: 'a' }] } }, 'needs exactly one of'],
    [
      {
        kubernetes: {
          clusters: [
            { name: 'a', url: 'https://a' },
            { name: 'a', url: 'https://b' },
          ],
        },
      },
      'cluster name "a" is used twice',
    ],
  ])('rejects %j', (ml, message) => {
    expect(() => read(ml)).toThrow(message);
  });
});
