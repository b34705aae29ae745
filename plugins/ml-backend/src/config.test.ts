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
        creationTimeoutSeconds: 120,
      },
      registries: [],
      prometheus: undefined,
      alertmanager: undefined,
      pipelines: { kubernetesJob: {}, argo: {} },
      alerts: {
        webhook: undefined,
        rateLimit: { maxPerModel: 3, windowMinutes: 60 },
        rules: [],
      },
      logs: { maxTailLines: 5000 },
    });
  });

  it('reads ml.logs: the Loki URL checked like the others, maxWindow as seconds', () => {
    expect(
      read({
        logs: {
          maxTailLines: 2000,
          loki: { url: 'http://loki:3100/', maxWindow: '6h', tenant: 'fraud' },
        },
      }).logs,
    ).toEqual({
      maxTailLines: 2000,
      loki: {
        url: 'http://loki:3100',
        maxWindowSeconds: 21600,
        tenant: 'fraud',
        token: undefined,
        timeoutMs: 15000,
      },
    });
    expect(() =>
      read({ logs: { loki: { url: 'http://user:pw@loki:3100' } } }),
    ).toThrow('ml config: ml.logs.loki.url must not carry credentials');
    expect(() => read({ logs: { maxTailLines: 50000 } })).toThrow(
      'ml config: ml.logs.maxTailLines must be a whole number from 1 to 10000, got 50000',
    );
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
        creationTimeoutSeconds: 30,
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
      creationTimeoutSeconds: 30,
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
    [
      { kubernetes: { creationTimeoutSeconds: 0.5 } },
      'ml.kubernetes.creationTimeoutSeconds must be between 1 and 3600, got 0.5',
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

describe('readMlConfig: ml.pipelines and ml.alerts', () => {
  it('reads the orchestrators, the webhook secret, the rate limit and the rules', () => {
    const config = read({
      pipelines: {
        kubernetesJob: {
          logsUrl: 'https://logs.example.com/{{namespace}}/{{name}}',
        },
        argo: { uiUrl: 'https://argo.example.com/' },
        kubeflow: {
          url: 'https://kfp.example.com/',
          token: 'kfp-token',
          timeoutMs: 5000,
        },
        airflow: {
          url: 'http://airflow:8080',
          username: 'admin',
          password: 'admin-pw',
          uiUrl: 'https://airflow.example.com',
        },
      },
      alerts: {
        webhook: { secret: 'a-long-enough-secret' },
        rateLimit: { maxPerModel: 1, windowMinutes: 30 },
        rules: [
          { match: { alertname: 'ModelDriftHigh' }, action: 'retrain' },
          {
            match: { alertname: 'X', severity: 'page' },
            action: 'page-team',
            params: { channel: '#ml' },
          },
        ],
      },
    });
    expect(config.pipelines).toEqual({
      kubernetesJob: {
        logsUrl: 'https://logs.example.com/{{namespace}}/{{name}}',
      },
      argo: { uiUrl: 'https://argo.example.com' },
      kubeflow: {
        url: 'https://kfp.example.com',
        token: 'kfp-token',
        uiUrl: undefined,
        timeoutMs: 5000,
      },
      airflow: {
        url: 'http://airflow:8080',
        username: 'admin',
        password: 'admin-pw',
        token: undefined,
        uiUrl: 'https://airflow.example.com',
        timeoutMs: undefined,
      },
    });
    expect(config.alerts).toEqual({
      webhook: { secret: 'a-long-enough-secret' },
      rateLimit: { maxPerModel: 1, windowMinutes: 30 },
      rules: [
        {
          match: { alertname: 'ModelDriftHigh' },
          action: 'retrain',
          params: {},
        },
        {
          match: { alertname: 'X', severity: 'page' },
          action: 'page-team',
          params: { channel: '#ml' },
        },
      ],
    });
  });

  it.each([
    [
      { pipelines: { kubeflow: { url: 'kfp' } } },
      'ml config: ml.pipelines.kubeflow.url is not a URL: "kfp"',
    ],
    [
      { pipelines: { kubeflow: {} } },
      "Missing required config value at 'ml.pipelines.kubeflow.url'",
    ],
    [
      { pipelines: { airflow: { url: 'http://a', timeoutMs: 0 } } },
      'ml config: ml.pipelines.airflow.timeoutMs must be a whole number between 1 and 300000, got 0',
    ],
    [
      { pipelines: { airflow: { url: 'http://a', username: 'admin' } } },
      'ml config: ml.pipelines.airflow.username and ml.pipelines.airflow.password go together',
    ],
    [
      {
        pipelines: {
          airflow: {
            url: 'http://a',
            username: 'u',
            password: 'p',
            token: 't',
          },
        },
      },
      'ml config: ml.pipelines.airflow has both token and username/password',
    ],
    [
      { pipelines: { argo: { uiUrl: 'ftp://argo' } } },
      'ml config: ml.pipelines.argo.uiUrl must be http(s), got ftp:',
    ],
    [
      { pipelines: { kubernetesJob: { logsUrl: 'logs/{{name}}' } } },
      'ml config: ml.pipelines.kubernetesJob.logsUrl must be an http(s) URL',
    ],
    [
      { alerts: { webhook: {} } },
      "Missing required config value at 'ml.alerts.webhook.secret'",
    ],
    [
      { alerts: { webhook: { secret: 'short' } } },
      'ml config: ml.alerts.webhook.secret must be at least 16 characters',
    ],
    [
      { alerts: { rateLimit: { maxPerModel: 0 } } },
      'ml config: ml.alerts.rateLimit.maxPerModel must be a whole number between 1 and 1000, got 0',
    ],
    [
      { alerts: { rateLimit: { windowMinutes: 1.5 } } },
      'ml.alerts.rateLimit.windowMinutes must be a whole number',
    ],
    [
      { alerts: { rules: [{ match: {}, action: 'retrain' }] } },
      'ml config: ml.alerts.rules[0].match needs at least one label',
    ],
    [
      {
        alerts: {
          rules: [{ match: { 'alert-name': 'x' }, action: 'retrain' }],
        },
      },
      'ml config: ml.alerts.rules[0].match has "alert-name", which is not a Prometheus label name',
    ],
    [
      {
        alerts: { rules: [{ match: { alertname: 'x' }, action: 'Re Train' }] },
      },
      'ml config: ml.alerts.rules[0].action "Re Train" is not an action id',
    ],
    [
      { alerts: { rules: [{ match: { alertname: 'x' } }] } },
      "Missing required config value at 'ml.alerts.rules[0].action'",
    ],
  ])('rejects %j', (ml, message) => {
    expect(() => read(ml)).toThrow(message);
  });
});
