import { spawn } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

jest.setTimeout(30_000);

describe('cli', () => {
  it('prints {url, caData} when ready, serves the seed and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(root, 'node_modules/@backstage/cli/config/nodeTransform.cjs'),
        path.join(__dirname, 'cli.ts'),
        '--port',
        '0',
        '--token',
        'T',
        '--seed',
        path.join(root, 'examples/kube/gpu-cluster-b.yaml'),
        '--no-kubeflow',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', d => {
          out += d;
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.stderr.on('data', d => (err += d));
        child.on('exit', code => reject(new Error(`exited ${code}: ${err}`)));
      });
      const ready = JSON.parse(line);
      expect(ready.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = Buffer.from(ready.caData, 'base64').toString();
      const body = await new Promise<any>((resolve, reject) => {
        https
          .get(
            `${ready.url}/apis/kueue.x-k8s.io/v1beta2/clusterqueues`,
            { ca, headers: { Authorization: 'Bearer T' } },
            res => {
              let t = '';
              res.on('data', c => (t += c));
              res.on('end', () => resolve(JSON.parse(t)));
            },
          )
          .on('error', reject);
      });
      expect(body.items.map((i: any) => i.metadata.name)).toEqual([
        'batch-inference-cq',
        'nlp-cq',
      ]);
    } finally {
      const exited = new Promise(resolve => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('rejects unknown arguments', async () => {
    const child = spawn(process.execPath, [
      '--require',
      path.join(root, 'node_modules/@backstage/cli/config/nodeTransform.cjs'),
      path.join(__dirname, 'cli.ts'),
      '--bogus',
    ]);
    let err = '';
    child.stderr.on('data', d => (err += d));
    const code = await new Promise(resolve => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('unknown argument: --bogus');
  });
});
