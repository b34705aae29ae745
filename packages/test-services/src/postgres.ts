import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireBinary, serverBinaries } from './binaries';
import { getFreePort, isPortOpen } from './ports';
import {
  launchServer,
  makeTempDir,
  removeTempDir,
  ServerStartError,
} from './process';

const execFileAsync = promisify(execFile);

/**
 * Options for {@link startPostgres}.
 *
 * @public
 */
export interface PostgresOptions {
  /** Superuser created by initdb. Default `postgres`. */
  user?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Startup timeout in ms. Default 30000. */
  startTimeoutMs?: number;
}

/**
 * A running throwaway PostgreSQL cluster with trust authentication.
 *
 * @public
 */
export interface PostgresHandle {
  host: string;
  port: number;
  user: string;
  /** Always `postgres`, the database initdb creates. */
  database: string;
  /** `postgresql://USER@127.0.0.1:PORT/postgres` (no password: trust auth). */
  connectionString: string;
  /** Directory holding the Unix socket. */
  socketDir: string;
  dataDir: string;
  logFile: string;
  /**
   * Creates a fresh database (with `createdb`) and returns its connection
   * string, so tests sharing one server stay isolated.
   */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes the cluster. */
  stop(): Promise<void>;
}

// PostgreSQL refuses to run as root. When we are root, run it as the
// `postgres` system user (created by the Debian package) via spawn's
// uid/gid, so the server stays a direct child that we can signal.
function serverIdentity(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    // `id` goes through NSS, so it also finds users not in /etc/passwd.
    const id = (flag: string) =>
      Number(
        execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim(),
      );
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new ServerStartError(
      'Running as root, but there is no `postgres` user to run PostgreSQL as ' +
        '(apt-get install --no-install-recommends postgresql creates it)',
    );
  }
}

/**
 * Starts a throwaway PostgreSQL cluster (initdb + postgres) on 127.0.0.1
 * with a free port, durability switched off for speed, and waits until it
 * accepts connections.
 *
 * @public
 */
export async function startPostgres(
  options: PostgresOptions = {},
): Promise<PostgresHandle> {
  const initdb = requireBinary(serverBinaries.initdb);
  // Use the postgres that belongs to the same installation as initdb.
  const binDir = path.dirname(initdb);
  const postgres = fs.existsSync(path.join(binDir, 'postgres'))
    ? path.join(binDir, 'postgres')
    : requireBinary(serverBinaries.postgres);
  const user = options.user ?? 'postgres';
  const identity = serverIdentity();

  const dir = makeTempDir('postgres');
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (identity.uid !== undefined)
    fs.chownSync(dir, identity.uid, identity.gid!);

  // Server and tools must not pick up the caller's PG* client settings or
  // locale surprises; C locale also makes initdb faster.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C',
    LC_ALL: 'C',
    HOME: dir,
  };
  try {
    await execFileAsync(
      initdb,
      [
        '-D',
        dataDir,
        '-U',
        user,
        '--auth=trust',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
        '--no-instructions',
      ],
      { cwd: dir, env, ...identity },
    );
  } catch (error: any) {
    await removeTempDir(dir);
    throw new ServerStartError(
      `initdb failed: ${error.stderr || error.message}`,
    );
  }

  const port = await getFreePort();
  const settings: Record<string, string> = {
    // Throwaway data: skip all durability work.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...options.settings,
  };
  const server = await launchServer({
    name: 'postgres',
    command: postgres,
    args: [
      '-D',
      dataDir,
      '-k',
      dir,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    cwd: dir,
    env,
    ...identity,
    logFile,
    tempDir: dir,
    // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait
    // for every client (e.g. a leaked pool) to disconnect.
    stopSignal: 'SIGINT',
    // At test-process exit there is no time for a fast shutdown; SIGQUIT
    // (immediate) still frees the SysV shared memory that SIGKILL leaks.
    exitSignal: 'SIGQUIT',
    // The port opens before recovery finishes, so also wait for the log
    // line that says connections are really accepted.
    ready: async () =>
      fs
        .readFileSync(logFile, 'utf8')
        .includes('ready to accept connections') && (await isPortOpen(port)),
    timeoutMs: options.startTimeoutMs ?? 30000,
  });

  const connectionString = (db: string) =>
    `postgresql://${encodeURIComponent(
      user,
    )}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  let counter = 0;

  return {
    host: '127.0.0.1',
    port,
    user,
    database: 'postgres',
    connectionString: connectionString('postgres'),
    socketDir: dir,
    dataDir,
    logFile,
    stop: server.stop,
    async createDatabase(name) {
      const db = name ?? `test_${process.pid}_${++counter}`;
      const createdb = path.join(binDir, 'createdb');
      await execFileAsync(
        fs.existsSync(createdb) ? createdb : 'createdb',
        ['-h', '127.0.0.1', '-p', String(port), '-U', user, db],
        { env },
      );
      return connectionString(db);
    },
  };
}
