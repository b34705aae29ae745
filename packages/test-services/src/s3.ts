import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { makeTempDir, removeTempDir, trackChild } from './process';

/**
 * Options for {@link startS3}.
 *
 * @public
 */
export interface S3Options {
  /** Buckets to create at start; default none. */
  buckets?: string[];
  /** Startup timeout in ms. Default 20000. */
  startTimeoutMs?: number;
  /** Port on 127.0.0.1; a free one unless given (the demo uses a fixed one). */
  port?: number;
  /** Keep the objects here instead of a temp dir (not removed on stop). */
  directory?: string;
}

/**
 * A running S3-compatible server (s3rver) on 127.0.0.1.
 *
 * @public
 */
export interface S3Handle {
  /** `http://127.0.0.1:<port>`; use path-style addressing (`forcePathStyle`). */
  endpoint: string;
  port: number;
  /**
   * The only key pair s3rver knows: another access key id is refused
   * (InvalidAccessKeyId); SigV4 signatures themselves are not verified.
   */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /**
   * Every request received so far, in order: method and URL. Settled: a
   * marker request is sent and awaited first, so nothing received before
   * the call is missing from the answer.
   */
  requests(): Promise<Array<{ method: string; url: string }>>;
  /**
   * Sets an object's Last-Modified (s3rver reports its file's mtime), so a
   * test can make data look days old.
   */
  setLastModified(bucket: string, key: string, at: Date): void;
  /** Stops the server and removes its data (unless `directory` was given). */
  stop(): Promise<void>;
}

// Runs in the child: s3rver on a free port, one JSON line per request on
// stdout, the port first.
const CHILD = `
const S3rver = require(process.argv[1]);
const [directory, buckets, port] =
  [process.argv[2], JSON.parse(process.argv[3]), Number(process.argv[4])];
const server = new S3rver({
  address: '127.0.0.1', port, silent: true, directory, vhostBuckets: false,
  configureBuckets: buckets.map(name => ({ name })),
});
server.run().then(address => {
  server.httpServer.on('request', req =>
    process.stdout.write(JSON.stringify({ method: req.method, url: req.url }) + '\\n'));
  process.stdout.write(JSON.stringify({ port: address.port }) + '\\n');
}, e => { console.error(e); process.exit(1); });
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

/**
 * Starts s3rver (npm `s3rver`: the S3 API on the file system) on 127.0.0.1
 * with a free port and its data in a temp dir. It knows one key pair
 * (`S3RVER` / `S3RVER`) and refuses other access key ids; it does not
 * verify SigV4 signatures. Clients must use
 * path-style URLs and the AWS SDK's `requestChecksumCalculation:
 * 'WHEN_REQUIRED'` (else streamed uploads are stored with the SDK's
 * checksum framing in them).
 *
 * It runs in a child Node process with `--openssl-legacy-provider`: s3rver
 * encrypts ListObjectsV2 continuation tokens with single DES, which
 * OpenSSL 3 only has in its legacy provider (in this process every
 * truncated listing would answer InternalError).
 *
 * @public
 */
export async function startS3(options: S3Options = {}): Promise<S3Handle> {
  const directory = options.directory ?? makeTempDir('s3');
  fs.mkdirSync(directory, { recursive: true });
  const removeData = () =>
    options.directory ? Promise.resolve() : removeTempDir(directory);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--openssl-legacy-provider',
      '-e',
      CHILD,
      require.resolve('s3rver'),
      directory,
      JSON.stringify(options.buckets ?? []),
      String(options.port ?? 0),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  trackChild(child);
  let stderr = '';
  child.stderr!.on('data', chunk => {
    stderr = (stderr + chunk).slice(-3000);
  });
  const requests: Array<{ method: string; url: string }> = [];
  const markers = new Map<string, () => void>();
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`s3rver did not start: ${stderr}`)),
        options.startTimeoutMs ?? 20_000,
      );
      child.once('exit', code => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited with ${code}: ${stderr}`));
      });
      createInterface({ input: child.stdout! }).on('line', line => {
        const event = JSON.parse(line);
        if (event.port) {
          clearTimeout(timer);
          resolve(event.port);
        } else if (markers.has(event.url)) {
          markers.get(event.url)!();
        } else {
          requests.push(event);
        }
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await removeData();
    throw e;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    async requests() {
      const url = `/mlp-test-marker-${markers.size}`;
      const seen = new Promise<void>(resolve => markers.set(url, resolve));
      await fetch(`http://127.0.0.1:${port}${url}`).then(r => r.text());
      await seen;
      return [...requests];
    },
    setLastModified(bucket, key, at) {
      // s3rver's file store: <dir>/<bucket>/<dirs of the key>/<name>._S3rver_object
      const parts = key.split('/');
      const file = path.join(
        directory,
        bucket,
        ...parts.slice(0, -1),
        `${parts[parts.length - 1]}._S3rver_object`,
      );
      fs.utimesSync(file, at, at);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await removeData();
    },
  };
}
