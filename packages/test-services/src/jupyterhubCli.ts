/*
 * Starts JupyterHub (startJupyterHub) for the local demo stack:
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     ./packages/test-services/src/jupyterhubCli.ts --port 19800 --token T
 *
 * Prints one JSON line ({"url", "serviceName"}) once JupyterHub answers;
 * stops JupyterHub, its proxy and every JupyterLab on SIGTERM/SIGINT (the
 * exit hooks of process.ts). Spawn progress steps are slowed to 0.7 s so a
 * person sees the progress bar move, as with an image pull on a cluster.
 */
import path from 'node:path';
import { startJupyterHub } from './jupyterhub';
import { cliArg, cliPort } from './cliArgs';

async function main() {
  const port = cliPort();
  const token = cliArg('token');
  if (!token) throw new Error('--token is required (the portal uses it)');
  const dir = cliArg('dir');
  const hub = await startJupyterHub({
    port,
    serviceToken: token,
    progressStepDelayMs: 700,
    startTimeoutMs: 120_000,
    ...(dir ? { dir: path.resolve(dir) } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ url: hub.url, serviceName: hub.serviceName })}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
