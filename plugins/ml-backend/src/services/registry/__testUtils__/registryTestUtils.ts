import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The ml-push CLI, run from source the way a training job would run it. */
export const ML_PUSH_CLI = path.resolve(
  __dirname,
  '../../../../../../packages/ml-push/src/cli.ts',
);

/**
 * Spawns `ml-push push ...`; with `password`, passes it on stdin through
 * `--password-stdin` as CI would.
 */
export async function pushWithCli(
  args: string[],
  password?: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const child = run(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      ML_PUSH_CLI,
      'push',
      ...args,
      ...(password !== undefined ? ['--password-stdin'] : []),
    ],
    { env: { PATH: process.env.PATH ?? '' } },
  );
  child.child.stdin?.end(password ?? '');
  try {
    const { stdout, stderr } = await child;
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

/** A TCP listener that only counts connections, to prove none was made. */
export async function startConnectionRecorder() {
  let connections = 0;
  const server = net.createServer(socket => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    stop: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/**
 * A reverse proxy in front of a registry that answers 500 for requests whose
 * path matches `failPath`, and records every request it forwards.
 */
export async function startFaultProxy(target: string) {
  const requests: string[] = [];
  let failPath: RegExp | undefined;
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (failPath?.test(req.url ?? '')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [{ code: 'UNKNOWN', message: 'storage backend exploded' }],
        }),
      );
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: req.headers },
      up => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', e => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    failOn(pattern: RegExp | undefined) {
      failPath = pattern;
    },
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A registry front that speaks the distribution token flow: anonymous or
 * basic requests get `401 WWW-Authenticate: Bearer realm=...`, the realm
 * issues tokens for the right basic credentials, and requests with a token
 * are forwarded to the (open) registry behind it. `realm` overrides the
 * advertised realm URL.
 */
export async function startTokenAuthProxy(
  target: string,
  options: { username: string; password: string; realm?: string },
) {
  const issued = new Set<string>();
  const tokenRequests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      tokenRequests.push(url.search);
      const expected = `Basic ${Buffer.from(
        `${options.username}:${options.password}`,
      ).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      const token = `t-${issued.size + 1}`;
      issued.add(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token }));
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !issued.has(auth.slice(7))) {
      const { port } = server.address() as net.AddressInfo;
      const realm = options.realm ?? `http://127.0.0.1:${port}/token`;
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="${realm}",service="test-registry",scope="repository:models/a:pull"`,
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED' }] }));
      return;
    }
    const upstream = http.request(
      new URL(req.url ?? '/', target),
      { method: req.method, headers: { ...req.headers, authorization: '' } },
      up => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    tokenRequests,
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
