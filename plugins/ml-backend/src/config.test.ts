import { ConfigReader } from '@backstage/config';
import { fillNotebookUrl, readMlConfig } from './config';

const read = (ml: unknown) => readMlConfig(new ConfigReader({ ml } as any));

describe('readMlConfig', () => {
  it('reads an empty config as nothing configured', () => {
    expect(readMlConfig(new ConfigReader({}))).toEqual({
      clusters: [],
      kubernetes: {
        teamLabel: 'mlplatform.io/team',
        refreshSeconds: 30,
        requestTimeoutMs: 10_000,
      },
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

  it('reads the Kubernetes settings and notebook URL templates', () => {
    const config = read({
      kubernetes: {
        teamLabel: 'example.com/owner',
        refreshSeconds: 5,
        requestTimeoutSeconds: 2.5,
        clusters: [
          {
            name: 'gpu-a',
            url: 'https://k8s:6443',
            notebookUrl:
              'https://jupyter.example.com/notebook/{{namespace}}/{{ name }}/',
          },
        ],
      },
    });
    expect(config.kubernetes).toEqual({
      teamLabel: 'example.com/owner',
      refreshSeconds: 5,
      requestTimeoutMs: 2500,
    });
    expect(
      fillNotebookUrl(config.clusters[0].notebookUrl!, {
        namespace: 'fraud',
        name: 'nb1',
      }),
    ).toBe('https://jupyter.example.com/notebook/fraud/nb1/');
  });

  it.each([
    [
      { kubernetes: { teamLabel: 'not a label!' } },
      'ml.kubernetes.teamLabel is not a Kubernetes label key: "not a label!"',
    ],
    [
      { kubernetes: { refreshSeconds: -1 } },
      'ml.kubernetes.refreshSeconds must be between 0 and 3600, got -1',
    ],
    [
      { kubernetes: { requestTimeoutSeconds: 0 } },
      'ml.kubernetes.requestTimeoutSeconds must be more than 0 and at most 300, got 0',
    ],
    [{ kubernetes: { refreshSeconds: 'soon' } }, 'refreshSeconds'],
    [
      {
        kubernetes: {
          clusters: [
            {
              name: 'a',
              url: 'https://a',
              notebookUrl: 'https://j/{{user}}/{{name}}',
            },
          ],
        },
      },
      'ml.kubernetes.clusters[0].notebookUrl has unknown placeholder(s) {{user}}; only {{namespace}} and {{name}} are filled in',
    ],
    [
      {
        kubernetes: {
          clusters: [
            { name: 'a', url: 'https://a', notebookUrl: 'jupyter/{{name}}' },
          ],
        },
      },
      'ml.kubernetes.clusters[0].notebookUrl is not a URL: "jupyter/{{name}}"',
    ],
    [
      {
        kubernetes: {
          clusters: [
            {
              name: 'a',
              url: 'https://a',
              notebookUrl: 'ftp://files/{{name}}',
            },
          ],
        },
      },
      'notebookUrl must be http(s), got ftp:',
    ],
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
