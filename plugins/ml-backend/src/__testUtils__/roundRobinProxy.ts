import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * Test infrastructure: the load balancer in front of several backend
 * replicas, as a Kubernetes Service spreads requests over pods. Each request
 * goes to the next live upstream in turn (round robin); `remove` takes a
 * replica out, as an endpoint controller does when a pod dies.
 */
export interface RoundRobinProxy {
  url: string;
  /** The upstream index each request went to, in arrival order. */
  readonly routed: number[];
  /** Stops routing to an upstream (its in-flight requests are cut). */
  remove(index: number): void;
  stop(): Promise<void>;
}

export async function startRoundRobinProxy(
  upstreams: string[],
): Promise<RoundRobinProxy> {
  const routed: number[] = [];
  const removed = new Set<number>();
  const inFlight = new Map<number, Set<http.ClientRequest>>();
  let next = 0;
  const server = http.createServer((req, res) => {
    const live = upstreams.map((_, i) => i).filter(i => !removed.has(i));
    if (live.length === 0) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no upstream');
      return;
    }
    const index = live[next++ % live.length];
    routed.push(index);
    const target = new URL(req.url ?? '/', upstreams[index]);
    const upstream = http.request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    const mine = inFlight.get(index) ?? new Set();
    inFlight.set(index, mine);
    mine.add(upstream);
    upstream.on('close', () => mine.delete(upstream));
    upstream.on('error', e => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
      }
      res.end(`upstream ${index}: ${e.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routed,
    remove(index) {
      removed.add(index);
      for (const r of inFlight.get(index) ?? []) r.destroy();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
    },
  };
}
