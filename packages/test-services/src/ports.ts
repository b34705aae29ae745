import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Where getFreePort claims the ports it hands out, across processes. @internal */
export const PORT_CLAIMS = path.join(os.tmpdir(), 'mlplatform-test-ports');
/** How long a claim holds: long enough for a slow server to bind its port. */
const CLAIM_MS = 120_000;

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(err => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Claims `port` for this process unless another claimed it within CLAIM_MS.
 *
 * @internal
 */
export function claimPort(port: number): boolean {
  const file = path.join(PORT_CLAIMS, String(port));
  try {
    fs.mkdirSync(PORT_CLAIMS, { recursive: true });
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (e: any) {
    if (e?.code !== 'EEXIST') return true; // no claims possible: as before
    try {
      if (Date.now() - fs.statSync(file).mtimeMs < CLAIM_MS) return false;
      fs.writeFileSync(file, String(process.pid)); // a stale claim
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Asks the kernel for a free TCP port on 127.0.0.1.
 *
 * The port is released before the server binds it, so another process
 * could grab it in between. A server that takes seconds to start (MLflow,
 * TensorBoard) leaves a wide window, and the kernel may hand the same port
 * to another test worker's getFreePort: the loser fails to bind, and its
 * readiness check finds the winner's server (a CI run had two tests seed
 * one MLflow). So each port handed out is claimed for two minutes in a file
 * under the temp dir, and a claimed port is skipped by every process.
 *
 * @public
 */
export async function getFreePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await kernelPort();
    if (claimPort(port)) return port;
  }
  return kernelPort();
}

/**
 * True if something accepts TCP connections on host:port.
 *
 * @public
 */
export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
