import { ConfigReader } from '@backstage/config';
import { checkLogDir, readTensorBoardConfig } from './tensorboardConfig';

const read = (tensorboard: object, clusters = ['gpu-cluster-a']) =>
  readTensorBoardConfig(new ConfigReader({ ml: { tensorboard } }), clusters);

describe('ml.tensorboard', () => {
  const base = { url: 'http://tb:6006/', logRoots: ['/mnt/tb/'] };

  it('reads the URL, the roots (normalised) and the Kubeflow volumes', () => {
    expect(readTensorBoardConfig(new ConfigReader({ ml: {} }))).toBeUndefined();
    expect(
      read({
        ...base,
        kubeflow: {
          cluster: 'gpu-cluster-a',
          url: 'https://kf.example.com/',
          volumes: [{ logRoot: '/mnt/tb', namespace: 'fraud', claim: 'tb' }],
        },
      }),
    ).toEqual({
      url: 'http://tb:6006',
      publicUrl: 'http://tb:6006',
      logRoots: ['/mnt/tb'],
      requestTimeoutMs: 10_000,
      kubeflow: {
        cluster: 'gpu-cluster-a',
        url: 'https://kf.example.com',
        volumes: [{ logRoot: '/mnt/tb', namespace: 'fraud', claim: 'tb' }],
        maxPerUser: 2,
      },
    });
  });

  it('reads a local TensorBoard per run, with its defaults', () => {
    expect(
      read({ ...base, local: { command: '/opt/py/bin/tensorboard' } })?.local,
    ).toEqual({
      command: '/opt/py/bin/tensorboard',
      host: '127.0.0.1',
      publicHost: '127.0.0.1',
      maxPerUser: 2,
    });
  });

  it.each([
    [{ ...base, url: 'ftp://tb' }, /ml\.tensorboard\.url must be http\(s\)/],
    [{ ...base, url: 'http://u:p@tb' }, /must be a plain base URL/],
    [{ ...base, logRoots: ['logs'] }, /logRoots\[0\] must be an absolute path/],
    [{ ...base, logRoots: [] }, /must name at least one directory/],
    [
      {
        ...base,
        kubeflow: { cluster: 'nope', url: 'https://kf', volumes: [] },
      },
      /kubeflow\.cluster "nope" is not in ml\.kubernetes\.clusters/,
    ],
    [
      {
        ...base,
        kubeflow: {
          cluster: 'gpu-cluster-a',
          url: 'https://kf',
          volumes: [{ logRoot: '/elsewhere', namespace: 'fraud', claim: 'tb' }],
        },
      },
      /volumes\[0\]\.logRoot "\/elsewhere" is not one of ml\.tensorboard\.logRoots/,
    ],
    [
      {
        ...base,
        kubeflow: {
          cluster: 'gpu-cluster-a',
          url: 'https://kf',
          volumes: [{ logRoot: '/mnt/tb', namespace: 'Fraud', claim: 'tb' }],
        },
      },
      /volumes\[0\]\.namespace "Fraud" is not a DNS-1123 label/,
    ],
    [
      {
        ...base,
        local: { command: '/usr/bin/tensorboard' },
        kubeflow: { cluster: 'gpu-cluster-a', url: 'https://kf', volumes: [] },
      },
      /kubeflow and ml\.tensorboard\.local are both set/,
    ],
    [
      { ...base, local: { command: 'tensorboard' } },
      /local\.command must be the absolute path/,
    ],
    [
      { ...base, local: { command: '/bin/tb', host: 'a b' } },
      /local\.host "a b" is not a host name/,
    ],
    [
      { ...base, local: { command: '/bin/tb', maxPerUser: 0 } },
      /local\.maxPerUser must be a positive integer/,
    ],
  ])('refuses %j at startup', (config, message) => {
    expect(() => read(config)).toThrow(message);
  });
});

describe('checkLogDir', () => {
  const roots = ['/mnt/tb', '/data/runs'];
  const tag = 'mlplatform.io/tensorboard-logdir';

  it('accepts a directory inside a root, normalised', () => {
    expect(checkLogDir('/mnt/tb/fraud/run-1/', roots, tag)).toBe(
      '/mnt/tb/fraud/run-1',
    );
    expect(checkLogDir('/data/runs', roots, tag)).toBe('/data/runs');
    expect(checkLogDir('/mnt/tb//a/./b', roots, tag)).toBe('/mnt/tb/a/b');
  });

  it.each([
    ['/mnt/tb2/run', /is outside the configured log roots/],
    ['/mnt', /is outside the configured log roots/],
    ['/mnt/tb/../etc', /has a \.\. segment/],
    ['mnt/tb/run', /is not an absolute path/],
    ['/mnt/tb/run\n/x', /holds control characters/],
  ])('refuses %j naming the tag and the roots', (dir, why) => {
    expect(() => checkLogDir(dir, roots, tag)).toThrow(why);
    expect(() => checkLogDir(dir, roots, tag)).toThrow(`${tag} tag`);
    expect(() => checkLogDir(dir, roots, tag)).toThrow(
      'allowed roots (ml.tensorboard.logRoots): /mnt/tb, /data/runs',
    );
  });
});
