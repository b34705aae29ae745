import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Test infrastructure: an HTTP proxy in front of a real server that counts
 * (and keeps the bodies of) the requests passing through, and can be shut
 * to answer 503 as an overloaded upstream would.
 */
export interface CountingProxy {
  url: string;
  /** Requests by path, e.g. `/api/v1/query`. */
  requests: Array<{ path: string; body: string }>;
  count(path: string): number;
  /** While shut, every request gets 503 without reaching the upstream. */
  shut(shut: boolean): void;
  stop(): Promise<void>;
}

export async function startCountingProxy(
  upstream: string,
): Promise<CountingProxy> {
  const requests: CountingProxy['requests'] = [];
  let closed = false;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0];
    if (closed) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('shut');
      return;
    }
    requests.push({ path, body });
    try {
      const answer = await fetch(`${upstream}${req.url}`, {
        method: req.method,
        headers: {
          'content-type': req.headers['content-type'] ?? 'text/plain',
        },
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
      });
      res.writeHead(answer.status, {
        'content-type':
          answer.headers.get('content-type') ?? 'application/json',
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: path => requests.filter(r => r.path === path).length,
    shut(shut) {
      closed = shut;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close(error => (error ? reject(error) : resolve()));
      }),
  };
}
