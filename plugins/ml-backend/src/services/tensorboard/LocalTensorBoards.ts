import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  ExperimentEntityRef,
  RunTensorBoardLaunch,
} from '@mlplatform/plugin-ml-common';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { GpuReservationStore } from '../../database/GpuReservationStore';
import type { MlAuditedAction, MlAuditor } from '../audit/MlAuditor';
import type { ExperimentsService } from '../experiments/ExperimentsService';
import type { NotebookCaller } from '../kubernetes/NotebookService';
import { runLogDir, LocalTensorBoardConfig } from './tensorboardConfig';

/** Where a local TensorBoard is, in the launch's `cluster` field. @internal */
export const LOCAL_TENSORBOARD_PLACE = 'localhost';

interface Running {
  name: string;
  runId: string;
  userRef: string;
  logDir: string;
  port: number;
  child: ChildProcess;
  tmp: string;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A run's own TensorBoard as a process of the backend
 * (`ml.tensorboard.local`: development and single-machine setups; on a
 * cluster use `ml.tensorboard.kubeflow`). `tensorboard --logdir <the run's
 * log dir>` on a free port of `host`, checked like the Kubeflow one: the
 * run must be the entity's (read with the caller's credentials) and its log
 * dir under `logRoots` (400, nothing started); a user may have `maxPerUser`
 * running, counted and started under one lock (the GPU reservations') so
 * concurrent starts cannot pass it together; only its creator stops it.
 * Every start and stop is audited (`ml.tensorboard.create` / `.delete`,
 * target `tensorboard:localhost/<name>`). The processes belong to this
 * replica and end with it.
 *
 * @internal
 */
export class LocalTensorBoards {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly deps: {
      config: LocalTensorBoardConfig;
      logRoots: string[];
      experiments: ExperimentsService;
      audit: MlAuditor;
      locks: Pick<GpuReservationStore, 'withClusterLock'>;
      logger: LoggerService;
    },
  ) {}

  private async locate(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ) {
    const { entityRef, logDir } = await runLogDir(
      this.deps.experiments,
      this.deps.logRoots,
      ref,
      runId,
      caller.credentials,
    );
    return {
      entityRef,
      logDir,
      name: `tb-${runId.toLowerCase().slice(0, 40)}`,
    };
  }

  private audit(
    action: 'create' | 'delete',
    name: string,
    caller: NotebookCaller,
    details: Record<string, unknown>,
  ): Promise<MlAuditedAction> {
    return this.deps.audit.begin({
      eventId: `tensorboard-${action}`,
      action: `ml.tensorboard.${action}`,
      actor: caller.userRef,
      targetRef: `tensorboard:${LOCAL_TENSORBOARD_PLACE}/${name}`,
      details: { name, ...details },
      ...(caller.request ? { request: caller.request } : {}),
    });
  }

  private launch(r: Running, created: boolean, ready: boolean) {
    return {
      runId: r.runId,
      cluster: LOCAL_TENSORBOARD_PLACE,
      namespace: '',
      name: r.name,
      logspath: r.logDir,
      url: `http://${this.deps.config.publicHost}:${r.port}/`,
      created,
      ready,
    };
  }

  async start(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ): Promise<RunTensorBoardLaunch> {
    const { config } = this.deps;
    const { entityRef, logDir, name } = await this.locate(ref, runId, caller);
    const audit = await this.audit('create', name, caller, {
      runId,
      entityRef,
      logDir,
    });
    let outcome:
      | { existing: Running }
      | { started: Running }
      | { refused: Error };
    try {
      outcome = await this.deps.locks.withClusterLock(
        `tensorboards/${LOCAL_TENSORBOARD_PLACE}/${caller.userRef}`,
        async () => {
          const existing = this.running.get(name);
          if (existing) {
            return existing.userRef === caller.userRef
              ? { existing }
              : {
                  refused: new ConflictError(
                    `TensorBoard ${name} for run ${runId} already runs on ${LOCAL_TENSORBOARD_PLACE}, started by someone else`,
                  ),
                };
          }
          const mine = [...this.running.values()].filter(
            r => r.userRef === caller.userRef,
          );
          if (mine.length >= config.maxPerUser) {
            return {
              refused: new ConflictError(
                `${caller.userRef} already has ${
                  mine.length
                } TensorBoard(s) on ${LOCAL_TENSORBOARD_PLACE} (at most ${
                  config.maxPerUser
                }): ${mine.map(r => r.name).join(', ')}; stop one first`,
              ),
            };
          }
          return {
            started: await this.spawn(name, runId, caller.userRef, logDir),
          };
        },
      );
    } catch (e) {
      await audit.failed({ error: e as Error });
      throw e;
    }
    if ('refused' in outcome) {
      await audit.refused({ error: outcome.refused });
      throw outcome.refused;
    }
    if ('existing' in outcome) {
      await audit.succeeded({ details: { reused: true } });
      return this.launch(
        outcome.existing,
        false,
        await this.ready(outcome.existing),
      );
    }
    await audit.succeeded({ details: { port: outcome.started.port } });
    return this.launch(outcome.started, true, false);
  }

  /**
   * Stops the run's TensorBoard: its creator only.
   *
   * @throws NotFoundError when none runs for the run; NotAllowedError for
   * anyone but its creator.
   */
  async stop(
    ref: ExperimentEntityRef,
    runId: string,
    caller: NotebookCaller,
  ): Promise<void> {
    const { entityRef, name } = await this.locate(ref, runId, caller);
    const audit = await this.audit('delete', name, caller, {
      runId,
      entityRef,
    });
    const r = this.running.get(name);
    if (!r) {
      const error = new NotFoundError(
        `run ${runId} has no TensorBoard ${name} running on ${LOCAL_TENSORBOARD_PLACE}`,
      );
      await audit.refused({ error });
      throw error;
    }
    if (r.userRef !== caller.userRef) {
      const error = new NotAllowedError(
        `TensorBoard ${name} on ${LOCAL_TENSORBOARD_PLACE} was started by ${r.userRef}; only its creator stops it`,
      );
      await audit.refused({ error });
      throw error;
    }
    await this.kill(r);
    await audit.succeeded();
  }

  /** Stops every TensorBoard this replica started (at shutdown). */
  async close(): Promise<void> {
    await Promise.all([...this.running.values()].map(r => this.kill(r)));
  }

  private async spawn(
    name: string,
    runId: string,
    userRef: string,
    logDir: string,
  ): Promise<Running> {
    const { command, host } = this.deps.config;
    const port = await freePort(host);
    // TensorBoard keeps `.tensorboard-info` under TMPDIR: one per process.
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tensorboard-'));
    const child = spawn(
      command,
      ['--logdir', logDir, '--host', host, '--port', String(port)],
      {
        env: { ...process.env, TMPDIR: tmp, PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const r: Running = { name, runId, userRef, logDir, port, child, tmp };
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', e =>
        reject(new Error(`cannot run ${command}: ${e.message}`)),
      );
    });
    child.once('exit', code => {
      if (this.running.get(name) === r) {
        this.running.delete(name);
        this.deps.logger.warn(
          `ML TensorBoard ${name} exited (${code}): ${stderr
            .trim()
            .slice(-300)}`,
        );
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    });
    this.running.set(name, r);
    return r;
  }

  private async kill(r: Running): Promise<void> {
    this.running.delete(r.name);
    if (r.child.exitCode !== null || r.child.signalCode !== null) return;
    const exited = new Promise<void>(resolve =>
      r.child.once('exit', () => resolve()),
    );
    // SIGTERM lets TensorBoard stop its data server child too.
    r.child.kill('SIGTERM');
    const timer = setTimeout(() => r.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async ready(r: Running): Promise<boolean> {
    try {
      const res = await fetch(
        `http://${this.deps.config.host}:${r.port}/data/environment`,
        { signal: AbortSignal.timeout(2000), redirect: 'error' },
      );
      return res.ok;
    } catch {
      return false;
    }
  }
}
