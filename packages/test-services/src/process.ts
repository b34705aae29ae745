import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Everything started by this module, so that it can be torn down even when
// a test forgets to call stop() or the test process is interrupted. The
// value is the signal to send at exit (see StartProcessOptions.exitSignal).
const liveChildren = new Map<ChildProcess, NodeJS.Signals>();
const liveTempDirs = new Set<string>();
let hooksInstalled = false;

// In an 'exit' handler the event loop is gone: no 'exit' events, no
// reaping. A dead-but-unreaped child is a zombie, so /proc tells us.
function isGone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function cleanupSync() {
  const children = [...liveChildren];
  liveChildren.clear();
  for (const [child, signal] of children) {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
  // Give servers with a graceful exit signal (PostgreSQL's SIGQUIT frees
  // its shared memory; SIGKILL would leak it) a moment, then force.
  const deadline = Date.now() + 2000;
  while (
    Date.now() < deadline &&
    children.some(([c, sig]) => sig !== 'SIGKILL' && !isGone(c.pid))
  ) {
    sleepSync(20);
  }
  for (const [child] of children) {
    try {
      if (!isGone(child.pid)) child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of liveTempDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort: a leftover temp dir must not mask the real exit reason.
    }
  }
  liveTempDirs.clear();
}

function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', cleanupSync);
  // A signal listener replaces Node's default "terminate" behaviour, so
  // after cleaning up we re-raise the signal to exit as we would have.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      cleanupSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * Kills `child` (with `exitSignal`) if this process exits or is signalled
 * while it still runs, like the servers of {@link startProcess}; for
 * children spawned with pipes of their own.
 */
export function trackChild(
  child: ChildProcess,
  exitSignal: NodeJS.Signals = 'SIGKILL',
): void {
  installExitHooks();
  liveChildren.set(child, exitSignal);
  child.once('exit', () => liveChildren.delete(child));
}

/**
 * Creates a temp directory that is removed on stop or process exit.
 *
 * @public
 */
export function makeTempDir(prefix: string): string {
  installExitHooks();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlp-${prefix}-`));
  liveTempDirs.add(dir);
  return dir;
}

/**
 * Removes a directory created by {@link makeTempDir}.
 *
 * @public
 */
export async function removeTempDir(dir: string): Promise<void> {
  liveTempDirs.delete(dir);
  // A server's last child may still write there as it exits (JupyterHub's
  // single-user servers into home/): rm retries ENOTEMPTY and EBUSY.
  await fs.promises.rm(dir, {
    recursive: true,
    force: true,
    maxRetries: 5,
    retryDelay: 100,
  });
}

/**
 * Error thrown when a server fails to start; carries the tail of its log.
 *
 * @public
 */
export class ServerStartError extends Error {
  constructor(message: string, readonly logFile?: string) {
    super(
      logFile ? `${message}\n--- ${logFile} ---\n${tailLog(logFile)}` : message,
    );
    this.name = 'ServerStartError';
  }
}

/** Last part of a log file; error messages must stay readable. */
export function tailLog(logFile: string, maxChars = 4000): string {
  try {
    const text = fs.readFileSync(logFile, 'utf8');
    return text.length > maxChars ? `…${text.slice(-maxChars)}` : text;
  } catch {
    return '(no log written)';
  }
}

/** Options for {@link startProcess}. */
export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Signal for a graceful stop; SIGTERM unless the server wants another. */
  stopSignal?: NodeJS.Signals;
  /**
   * Signal sent if the test process exits while this server still runs;
   * SIGKILL unless a server needs a chance to release system resources.
   */
  exitSignal?: NodeJS.Signals;
}

/** A spawned server process whose output goes to a log file. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Exit code or signal once the process has exited, else undefined. */
  exitStatus(): string | undefined;
  /** Graceful stop, escalating to SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a server with stdout and stderr appended to `logFile`, tracked for
 * cleanup on test-process exit.
 */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  installExitHooks();
  const fd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      // Writing straight to a file (not a pipe) means a chatty server can
      // never block on a full pipe buffer nobody reads.
      stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  liveChildren.set(child, options.exitSignal ?? 'SIGKILL');

  let status: string | undefined;
  const exited = new Promise<void>(resolve => {
    child.once('exit', (code, signal) => {
      status = signal ? `signal ${signal}` : `exit code ${code}`;
      liveChildren.delete(child);
      resolve();
    });
    child.once('error', err => {
      status = `spawn error: ${err.message}`;
      fs.appendFileSync(options.logFile, `\n[spawn error] ${err.stack}\n`);
      liveChildren.delete(child);
      resolve();
    });
  });

  return {
    name: options.name,
    child,
    logFile: options.logFile,
    exitStatus: () => status,
    async stop(graceMs = 5000) {
      if (status !== undefined) return;
      child.kill(options.stopSignal ?? 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Polls `check` until it returns true. Fails early, with the server log,
 * if the process exits, and with the log after `timeoutMs`.
 */
export async function waitUntilReady(
  proc: ManagedProcess,
  check: () => Promise<boolean>,
  { timeoutMs = 15000, intervalMs = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = proc.exitStatus();
    if (exit !== undefined) {
      throw new ServerStartError(
        `${proc.name} exited during startup (${exit})`,
        proc.logFile,
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new ServerStartError(
        `${proc.name} was not ready after ${timeoutMs} ms`,
        proc.logFile,
      );
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** A readiness check: GET `url` answers with one of `statuses`. */
export function httpStatusIs(url: string, statuses: number[] = [200]) {
  return async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return statuses.includes(res.status);
  };
}

/** Options for {@link launchServer}. */
export interface LaunchServerOptions extends StartProcessOptions {
  /** Temp dir owned by this server; removed on stop or failed start. */
  tempDir: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}

/** A started and ready server process. */
export interface LaunchedServer {
  proc: ManagedProcess;
  /** Stops the process, then removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Starts a process and waits for readiness. On failure nothing is left
 * behind: the process is killed and the temp dir removed (the log tail is
 * already in the thrown error).
 */
export async function launchServer(
  options: LaunchServerOptions,
): Promise<LaunchedServer> {
  const proc = startProcess(options);
  let stopped: Promise<void> | undefined;
  const stop = () => {
    // Idempotent, so afterAll hooks and explicit stops can both call it.
    stopped ??= proc.stop().then(() => removeTempDir(options.tempDir));
    return stopped;
  };
  try {
    await waitUntilReady(proc, options.ready, { timeoutMs: options.timeoutMs });
  } catch (error) {
    await stop();
    throw error;
  }
  return { proc, stop };
}
