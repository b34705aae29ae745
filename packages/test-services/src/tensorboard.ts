import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BinarySpec, requireBinary } from './binaries';
import { getFreePort } from './ports';
import { httpStatusIs, launchServer, makeTempDir } from './process';

/**
 * The `tensorboard` CLI from the venv that scripts/bootstrap.sh installs
 * (`$ML_PY_BIN`, else `.toolchain/py` of the working directory or a parent),
 * then PATH. Pinned in requirements-services.txt.
 *
 * @public
 */
export const tensorboardBinary: BinarySpec = {
  name: 'tensorboard',
  aptPackage: 'tensorboard',
  candidates: [
    ...(process.env.ML_PY_BIN
      ? [path.join(process.env.ML_PY_BIN, 'tensorboard')]
      : []),
    ...venvCandidates('tensorboard'),
    'tensorboard',
  ],
  installHint:
    '. scripts/bootstrap.sh (pip installs requirements-services.txt into .toolchain/py)',
};

function venvCandidates(file: string): string[] {
  const found: string[] = [];
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    found.push(path.join(dir, '.toolchain', 'py', 'bin', file));
    if (path.dirname(dir) === dir) return found;
  }
}

/**
 * Options for {@link startTensorBoard}.
 *
 * @public
 */
export interface TensorBoardOptions {
  /** The directory of event files it serves; runs are its subdirectories. */
  logdir: string;
  /** How often new event files are picked up; default 1 s (TensorBoard's is 5). */
  reloadIntervalSeconds?: number;
  /** Startup timeout in ms. Default 60000. */
  startTimeoutMs?: number;
}

/**
 * A running TensorBoard.
 *
 * @public
 */
export interface TensorBoardHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** The served log directory, absolute. */
  logdir: string;
  /** Temp dir holding the log and TensorBoard's own state (TMPDIR). */
  dir: string;
  logFile: string;
  /**
   * Resolves once TensorBoard lists `run` (a path relative to `logdir`) in
   * `/data/runs`: event files are loaded in the background after start.
   */
  waitForRun(run: string, timeoutMs?: number): Promise<void>;
  /**
   * Waits until TensorBoard has loaded `steps` points of scalar `tag` of
   * `run`: it lists a run as soon as it has read part of its event files.
   */
  waitForScalars(
    run: string,
    tag: string,
    steps: number,
    timeoutMs?: number,
  ): Promise<void>;
  /** Stops TensorBoard and removes its temp dir (not the log directory). */
  stop(): Promise<void>;
}

/**
 * Starts a real TensorBoard (`tensorboard --logdir`) on 127.0.0.1 with a
 * free port, its state in a temp dir, and waits until its data API answers.
 * Throws a {@link MissingBinaryError} naming the bootstrap when the venv is
 * missing.
 *
 * @public
 */
export async function startTensorBoard(
  options: TensorBoardOptions,
): Promise<TensorBoardHandle> {
  const binary = requireBinary(tensorboardBinary);
  const dir = makeTempDir('tensorboard');
  const logFile = path.join(dir, 'tensorboard.log');
  const logdir = path.resolve(options.logdir);
  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await launchServer({
    name: 'tensorboard',
    command: binary,
    args: [
      '--logdir',
      logdir,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--reload_interval',
      String(options.reloadIntervalSeconds ?? 1),
    ],
    cwd: dir,
    env: {
      ...process.env,
      // TensorBoard keeps `.tensorboard-info` under the temp dir.
      TMPDIR: dir,
      PYTHONUNBUFFERED: '1',
    },
    logFile,
    tempDir: dir,
    // SIGTERM lets it stop its data server child (the fast loader).
    exitSignal: 'SIGTERM',
    ready: httpStatusIs(`${url}/data/environment`),
    timeoutMs: options.startTimeoutMs ?? 60_000,
  });

  const waitForRun = async (run: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await fetch(`${url}/data/runs`);
      const runs = (await res.json()) as string[];
      if (runs.includes(run)) return;
      if (Date.now() > deadline) {
        throw new Error(
          `TensorBoard at ${url} did not list run "${run}" within ${timeoutMs} ms; it lists ${
            runs.join(', ') || 'no runs'
          }`,
        );
      }
      await new Promise(r => setTimeout(r, 200));
    }
  };

  const waitForScalars = async (
    run: string,
    tag: string,
    steps: number,
    timeoutMs = 30_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    const query = new URLSearchParams({ run, tag });
    for (;;) {
      const res = await fetch(`${url}/data/plugin/scalars/scalars?${query}`);
      // Not found until the run's events with that tag are loaded.
      const points = res.ok ? ((await res.json()) as unknown[]) : [];
      if (points.length >= steps) return;
      if (Date.now() > deadline) {
        throw new Error(
          `TensorBoard at ${url} had ${points.length} of ${steps} points of "${tag}" in run "${run}" after ${timeoutMs} ms`,
        );
      }
      await new Promise(r => setTimeout(r, 200));
    }
  };

  return {
    url,
    port,
    logdir,
    dir,
    logFile,
    waitForRun,
    waitForScalars,
    stop: server.stop,
  };
}

/**
 * The directory of the ML project template's event-file writer
 * (`tensorboard_log.py`, standard library only), found from the working
 * directory up: tests and the demo run inside the repo.
 *
 * @public
 */
export function tensorboardWriterDir(): string {
  const rel = path.join(
    'templates',
    'ml-project',
    'skeleton',
    'src',
    '${{ values.pkg }}',
  );
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, rel, 'tensorboard_log.py'))) {
      return path.join(dir, rel);
    }
    if (path.dirname(dir) === dir) {
      throw new Error(
        `No ${rel}/tensorboard_log.py in ${process.cwd()} or a parent directory`,
      );
    }
  }
}

/**
 * Writes TensorBoard event files into `logdir` with the ML project
 * template's own writer, run by Debian's `/usr/bin/python3` (the Python that
 * runs the template's training; `python3` when it is missing): one event
 * per step holding each tag's value at that step, as training does per
 * epoch. Returns the event file's path.
 *
 * @public
 */
export function writeTensorBoardEvents(
  logdir: string,
  scalars: Record<string, number[]>,
): string {
  const python = fs.existsSync('/usr/bin/python3')
    ? '/usr/bin/python3'
    : 'python3';
  const script = [
    'import json, sys',
    'sys.path.insert(0, sys.argv[1])',
    'from tensorboard_log import EventFileWriter',
    'scalars = json.loads(sys.argv[3])',
    'steps = max((len(v) for v in scalars.values()), default=0)',
    'with EventFileWriter(sys.argv[2]) as w:',
    '    for step in range(steps):',
    '        w.add_scalars({t: v[step] for t, v in scalars.items() if step < len(v)}, step)',
    'print(w.path)',
  ].join('\n');
  return execFileSync(
    python,
    ['-c', script, tensorboardWriterDir(), logdir, JSON.stringify(scalars)],
    { encoding: 'utf8' },
  ).trim();
}
