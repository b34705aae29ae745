/*
 * Starts s3rver (startS3) with the demo's buckets and objects for the local
 * demo stack:
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     ./packages/test-services/src/demoS3Cli.ts --port 19900 --dir .demo/s3/data
 *
 * Seeds demoS3Objects (demoS3.ts), then prints one JSON line
 * ({"storage": <ml.storage>}) that scripts/demo-stack.sh writes into the
 * demo's app-config (JSON is YAML); stops s3rver on SIGTERM/SIGINT (the
 * exit hooks of process.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEMO_S3_BUCKETS, demoS3StorageConfig, seedDemoS3 } from './demoS3';
import { startS3 } from './s3';
import { cliArg, cliPort } from './cliArgs';

async function main() {
  const port = cliPort();
  const dir = cliArg('dir');
  // A new seed each start: times are relative to now.
  if (dir) fs.rmSync(path.resolve(dir), { recursive: true, force: true });
  const s3 = await startS3({
    port,
    buckets: [...DEMO_S3_BUCKETS],
    ...(dir ? { directory: path.resolve(dir) } : {}),
  });
  const objects = await seedDemoS3(s3);
  process.stderr.write(
    `seeded ${objects.length} objects in ${DEMO_S3_BUCKETS.join(', ')}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ storage: demoS3StorageConfig(s3) })}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
