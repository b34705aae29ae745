/*
 * Starts the Kubeflow Pipelines and Airflow stand-ins seeded with the demo's
 * runs, for the local demo stack (neither orchestrator can run here):
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     ./packages/test-services/src/orchestratorsCli.ts \
 *     --kubeflow-port 19880 --airflow-port 19881 \
 *     --airflow-user admin --airflow-password admin [--kubeflow-token T]
 *
 * Prints one JSON line with both URLs once listening; stops on SIGTERM/SIGINT.
 */
import { startAirflowStandIn } from './airflow';
import { demoAirflowSeed, demoKubeflowSeed } from './demoOrchestrators';
import { startKubeflowPipelinesStandIn } from './kubeflowPipelines';

const FLAGS = [
  'kubeflow-port',
  'airflow-port',
  'airflow-user',
  'airflow-password',
  'kubeflow-token',
] as const;
type Flag = (typeof FLAGS)[number];

function parseArgs(argv: string[]): Partial<Record<Flag, string>> {
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    const flag = m?.[1] as Flag | undefined;
    if (!m || !FLAGS.includes(flag!)) {
      throw new Error(
        `Unknown argument "${argv[i]}"; expected ${FLAGS.map(
          f => `--${f}`,
        ).join(', ')}`,
      );
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`--${flag} needs a value`);
    out[flag!] = value;
  }
  return out;
}

function port(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`--${flag} must be a TCP port, got "${value}"`);
  }
  return n;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const now = new Date();
  const kubeflow = await startKubeflowPipelinesStandIn({
    port: port(args['kubeflow-port'], 'kubeflow-port'),
    token: args['kubeflow-token'],
    ...demoKubeflowSeed(now),
  });
  const airflow = await startAirflowStandIn({
    port: port(args['airflow-port'], 'airflow-port'),
    username: args['airflow-user'] ?? 'admin',
    password: args['airflow-password'] ?? 'admin',
    ...demoAirflowSeed(now),
  }).catch(async e => {
    await kubeflow.stop();
    throw e;
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([kubeflow.stop(), airflow.stop()]);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  process.stdout.write(
    `${JSON.stringify({
      kubeflowUrl: kubeflow.url,
      airflowUrl: airflow.url,
    })}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`orchestrators: ${(e as Error).message}\n`);
  process.exit(1);
});
