import http from 'node:http';
import https from 'node:https';

/** @public */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** @public */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer;
  agent: http.Agent;
  timeoutMs: number;
}

/**
 * One HTTP exchange on node:http(s). Used instead of fetch so that each
 * registry gets its own keep-alive agent carrying its private CA bundle.
 *
 * @public
 */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const client = req.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const r = client.request(
      req.url,
      {
        method: req.method,
        headers: {
          ...req.headers,
          ...(req.body ? { 'content-length': String(req.body.length) } : {}),
        },
        agent: req.agent,
        timeout: req.timeoutMs,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    r.on('timeout', () =>
      r.destroy(new Error(`no answer within ${req.timeoutMs} ms`)),
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/**
 * Creates the keep-alive agent for one registry; `ca` is a PEM bundle that
 * replaces the default trust store for that registry only.
 *
 * @public
 */
export function createAgent(
  url: URL,
  options: { ca?: string | Buffer; maxSockets: number },
): http.Agent {
  return url.protocol === 'https:'
    ? new https.Agent({
        keepAlive: true,
        maxSockets: options.maxSockets,
        ca: options.ca,
      })
    : new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
}

/**
 * Runs `fn` over `items` with at most `limit` in flight, keeping order.
 *
 * @public
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return results;
}
