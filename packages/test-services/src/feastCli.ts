/*
 * Starts Feast (startFeast with the demo's fraud feature repository) for the
 * local demo stack:
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     ./packages/test-services/src/feastCli.ts --port 19570 --dir .demo/feast
 *
 * Prints one JSON line ({"url", "project"}) once the registry REST server
 * answers; stops it on SIGTERM/SIGINT (the exit hooks of process.ts).
 */
import path from 'node:path';
import { startFeast } from './feast';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const port = Number(arg('port') ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a TCP port, got "${arg('port')}"`);
  }
  const dir = arg('dir');
  const feast = await startFeast({
    port,
    ...(dir ? { dir: path.resolve(dir) } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ url: feast.url, project: feast.project })}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
