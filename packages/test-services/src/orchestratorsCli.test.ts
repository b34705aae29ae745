import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { getFreePort } from './ports';

jest.setTimeout(60_000);

const CLI = path.resolve(__dirname, 'orchestratorsCli.ts');

function startCli(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      CLI,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', d => {
    stderr += d;
  });
  const exited = new Promise<number | null>(resolve =>
    child.once('exit', code => resolve(code)),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    exited.then(code =>
      reject(new Error(`exited with ${code} before printing: ${stderr}`)),
    );
  });
  // Not every test waits for the line.
  firstLine.catch(() => undefined);
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('orchestratorsCli', () => {
  it('serves the seeded demo runs until SIGTERM', async () => {
    const [kubeflowPort, airflowPort] = [
      await getFreePort(),
      await getFreePort(),
    ];
    const cli = startCli([
      '--kubeflow-port',
      String(kubeflowPort),
      '--airflow-port',
      String(airflowPort),
      '--airflow-user',
      'admin',
      '--airflow-password',
      'admin',
    ]);
    try {
      const line = await cli.firstLine;
      expect(JSON.parse(line)).toEqual({
        kubeflowUrl: `http://127.0.0.1:${kubeflowPort}`,
        airflowUrl: `http://127.0.0.1:${airflowPort}`,
      });
      expect(line).toBe(
        `{"kubeflowUrl":"http://127.0.0.1:${kubeflowPort}","airflowUrl":"http://127.0.0.1:${airflowPort}"}`,
      );

      const kfp = await fetch(
        `http://127.0.0.1:${kubeflowPort}/apis/v2beta1/runs?namespace=recsys&sort_by=created_at%20desc`,
      ).then(r => r.json());
      expect(kfp.runs.length).toBeGreaterThanOrEqual(5);
      expect(kfp.runs[0].state).toBe('RUNNING');

      const anonymous = await fetch(
        `http://127.0.0.1:${airflowPort}/api/v1/dags/fraud_features_daily/dagRuns`,
      );
      expect(anonymous.status).toBe(401);
      const dagRuns = await fetch(
        `http://127.0.0.1:${airflowPort}/api/v1/dags/fraud_features_daily/dagRuns?order_by=-execution_date&limit=10`,
        {
          headers: {
            authorization: `Basic ${Buffer.from('admin:admin').toString(
              'base64',
            )}`,
          },
        },
      ).then(r => r.json());
      expect(dagRuns.total_entries).toBe(7);
      expect(dagRuns.dag_runs.map((r: { state: string }) => r.state)).toContain(
        'failed',
      );
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exited).toBe(0);
  });

  it('rejects unknown arguments', async () => {
    const cli = startCli(['--kubeflow-port', '0', '--mlflow-port', '1']);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('Unknown argument "--mlflow-port"');
  });
});
