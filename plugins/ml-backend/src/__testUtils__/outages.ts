// Test infrastructure for fault tests: takes a real server started by
// @mlplatform/test-services down and brings it back on the same port with the
// same data, and puts a TCP gate in front of a test Kubernetes API server so
// that the "cluster" can disappear (connection refused) and come back with
// its state.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

function childPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter(d => /^\d+$/.test(d))
    .map(Number)
    .filter(pid => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(
          stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1],
        );
        return ppid === process.pid;
      } catch {
        return false;
      }
    });
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

async function waitFor(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A server process this test started (through test-services), found by a
 * unique string of its command line (its temp dir), that can be stopped and
 * started again with the same command line, working directory, environment
 * and user: the same port and the same data.
 */
export class RestartableServer {
  private restarted?: ChildProcess;

  private constructor(
    private pid: number,
    private readonly argv: string[],
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly uid: number,
    private readonly gid: number,
    private readonly port: number,
    private readonly stopSignal: NodeJS.Signals,
  ) {}

  static find(options: {
    marker: string;
    port: number;
    stopSignal?: NodeJS.Signals;
  }): RestartableServer {
    const pid = childPids().find(p =>
      fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(options.marker),
    );
    if (!pid) throw new Error(`no child process mentions ${options.marker}`);
    const argv = fs
      .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter(Boolean);
    const env = Object.fromEntries(
      fs
        .readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map(kv => [
          kv.slice(0, kv.indexOf('=')),
          kv.slice(kv.indexOf('=') + 1),
        ]),
    );
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const id = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)![1]);
    return new RestartableServer(
      pid,
      argv,
      fs.readlinkSync(`/proc/${pid}/cwd`),
      env,
      id('Uid'),
      id('Gid'),
      options.port,
      options.stopSignal ?? 'SIGTERM',
    );
  }

  /** Stops the server (as its own stop would) and waits until the port is closed. */
  async stop(): Promise<void> {
    process.kill(this.pid, this.stopSignal);
    await waitFor('server exit', async () => !isAlive(this.pid));
    await waitFor('port closed', async () => !(await portOpen(this.port)));
  }

  /** Starts it again on the same port with the same data; resolves when `ready`. */
  async start(ready: () => Promise<boolean>): Promise<void> {
    const [command, ...args] = this.argv;
    const child = spawn(command, args, {
      cwd: this.cwd,
      env: this.env,
      uid: this.uid,
      gid: this.gid,
      stdio: 'ignore',
    });
    this.restarted = child;
    this.pid = child.pid!;
    await waitFor('server ready', ready);
  }

  /** Stops a restarted process; the original's handle cleans up the rest. */
  async close(): Promise<void> {
    const child = this.restarted;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise(r => child.once('exit', r));
    child.kill(this.stopSignal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * A TCP pass-through on a fixed port in front of a server: `close()` makes
 * the port refuse connections (and cuts open ones), `open()` listens on the
 * same port again. TLS passes through untouched.
 */
export class TcpGate {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async create(targetPort: number): Promise<TcpGate> {
    const probe = net.createServer();
    const port = await new Promise<number>(resolve =>
      probe.listen(0, '127.0.0.1', () =>
        resolve((probe.address() as net.AddressInfo).port),
      ),
    );
    await new Promise(r => probe.close(r));
    const gate = new TcpGate(port, targetPort);
    await gate.open();
    return gate;
  }

  async open(): Promise<void> {
    const server = net.createServer(client => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise(r => server.close(r));
  }
}
