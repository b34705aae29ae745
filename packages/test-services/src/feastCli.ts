/*
 * Starts Feast (startFeast with the demo's fraud feature repository) for the
 * local demo stack:
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     ./packages/test-services/src/feastCli.ts --port 19570 --dir .demo/feast
 *
 * Materializes every view up to 15 minutes ago (the last 6 hours), so the
 * Dataset pages' Live facts show a recent materialization, then prints one
 * JSON line ({"url", "project"}); stops the server on SIGTERM/SIGINT (the
 * exit hooks of process.ts).
 */
import path from 'node:path';
import { startFeast } from './feast';
import { cliArg, cliPort } from './cliArgs';

async function main() {
  const port = cliPort();
  const dir = cliArg('dir');
  const feast = await startFeast({
    port,
    ...(dir ? { dir: path.resolve(dir) } : {}),
  });
  const end = Date.now() - 15 * 60_000;
  await feast.materialize(new Date(end - 6 * 3600_000), new Date(end));
  process.stdout.write(
    `${JSON.stringify({ url: feast.url, project: feast.project })}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
