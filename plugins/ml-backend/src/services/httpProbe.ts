import { createAgent, httpRequest } from '@mlplatform/plugin-ml-oci';

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
 * One GET with a deadline, for its status. On the upstream clients' one
 * transport (`httpRequest` of ml-oci, node:http(s) rather than fetch because
 * registries with a private CA need a per-registry `ca`); the agent lives
 * for this probe only, so no connection is left open between probes.
 *
 * @internal
 */
export async function httpProbe(
  url: string,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const target = new URL(url);
  const agent = createAgent(target, { ca: options.ca, maxSockets: 1 });
  const started = performance.now();
  try {
    const res = await httpRequest({
      method: 'GET',
      url: target,
      headers: options.headers,
      agent,
      timeoutMs: options.timeoutMs ?? 3000,
    });
    return {
      status: res.status,
      latencyMs: Math.round(performance.now() - started),
    };
  } finally {
    agent.destroy();
  }
}
