import http from 'node:http';
import https from 'node:https';

/** @internal */
export interface ProbeOptions {
  headers?: Record<string, string>;
  /** PEM CA bundle, read once by the caller rather than on every probe. */
  ca?: Buffer;
  timeoutMs?: number;
}

/** @internal */
export interface ProbeResult {
  status: number;
  latencyMs: number;
}

/**
 * One GET with a deadline, reading only the status. Uses node:http(s) rather
 * than fetch because registries with a private CA need a per-request `ca`.
 *
 * @internal
 */
export function httpProbe(
  url: string,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const started = performance.now();
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: 'GET',
        headers: options.headers,
        ca: options.ca,
        timeout: options.timeoutMs ?? 3000,
      },
      res => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            latencyMs: Math.round(performance.now() - started),
          }),
        );
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new Error(`no answer within ${options.timeoutMs ?? 3000} ms`),
      ),
    );
    req.on('error', reject);
    req.end();
  });
}
