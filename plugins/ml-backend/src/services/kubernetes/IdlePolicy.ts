import {
  AuthService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import {
  describeIdle,
  IDLE_POLICY_ANNOTATION,
  IDLE_POLICY_EXEMPT,
  IdlePolicyRequest,
} from '@mlplatform/plugin-ml-common';
import { NotebookStore } from '../../database/NotebookStore';
import { actorOf, MlAuditor } from '../audit/MlAuditor';
import { ClusterService } from './ClusterService';
import { formatDuration } from './idleConfig';
import { IdleCandidate, IdleNotebooks } from './IdleNotebooks';
import { manageNotebook, notebookTarget } from './notebookAccess';
import { NotebookObjects } from './NotebookObjects';
import { NotebookPlacement } from './NotebookPlacement';
import { NotebookCaller, NotebookService } from './NotebookService';
import { QuotaService } from './QuotaService';

/** What one policy run did, by notebook target. @internal */
export interface IdlePolicyRun {
  warned: string[];
  stopped: string[];
  /** Idle, but opted out with `mlplatform.io/idle-policy: exempt`. */
  exempt: string[];
  failed: Array<{ target: string; error: string }>;
}

/**
 * The idle policy (`ml.notebooks.idle.action`), run by the backend's
 * scheduler, so once across replicas: `notify` tells the owner once per
 * idle period through Backstage notifications; `stop` warns the same way,
 * then, `warning` later and still idle, stops the notebook through
 * {@link NotebookService.stop} (the UI's path: `ml.notebook.manage`, audited
 * as `ml.notebook.stop` with reason `idle`). Each warning is audited as
 * `ml.notebook.idle-warn`; the trail is also how the next run, on any
 * replica, knows the owner was warned. Exempt notebooks are left alone.
 *
 * @internal
 */
export class IdlePolicy {
  constructor(
    private readonly deps: {
      idle: IdleNotebooks;
      notebooks: NotebookService;
      notifications?: NotificationService;
      audit: MlAuditor;
      auth: AuthService;
      logger: LoggerService;
      /** Where the owner sees their notebooks, for the notification's link. */
      link?: string;
    },
  ) {}

  async run(): Promise<IdlePolicyRun> {
    const { idle, logger } = this.deps;
    const { action, warningSeconds } = idle.config;
    const done: IdlePolicyRun = {
      warned: [],
      stopped: [],
      exempt: [],
      failed: [],
    };
    if (!action) return done;
    const snapshot = await idle.snapshot();
    if (snapshot.status !== 'ok') {
      logger.warn(`ML idle policy skipped: ${snapshot.message}`);
      return done;
    }
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const now = Date.parse(snapshot.checkedAt);
    for (const n of snapshot.items) {
      const target = notebookTarget(n.cluster, n.namespace, n.name);
      if (n.exempt) {
        done.exempt.push(target);
        continue;
      }
      try {
        if (!n.warnedAt) {
          await this.warn(n, actorOf(credentials));
          done.warned.push(target);
        } else if (
          action === 'stop' &&
          now >= Date.parse(n.warnedAt) + warningSeconds * 1000
        ) {
          const caller: NotebookCaller = {
            userRef: actorOf(credentials),
            ownership: [],
            credentials,
            auditDetails: {
              reason: 'idle',
              idleSince: n.idleSince,
              utilization: n.utilization,
              threshold: snapshot.threshold,
              warnedAt: n.warnedAt,
            },
          };
          await this.deps.notebooks.stop(
            n.cluster,
            n.namespace,
            n.name,
            caller,
          );
          done.stopped.push(target);
          await this.notify(n, {
            title: `Notebook ${n.name} was stopped: its GPUs sat idle`,
            description: `${n.name} in ${n.namespace} on ${n.cluster} held ${
              n.gpus
            } GPU(s) ${describeIdle(
              n,
            )}; the idle policy stopped it. Its workspace is kept: start it again from My notebooks.`,
            severity: 'normal',
          });
        }
      } catch (e) {
        const error = (e as Error).message;
        logger.warn(`ML idle policy: ${target}: ${error}`);
        done.failed.push({ target, error });
      }
    }
    if (done.warned.length || done.stopped.length || done.failed.length) {
      logger.info(
        `ML idle policy: warned ${done.warned.length}, stopped ${done.stopped.length}, failed ${done.failed.length}, exempt ${done.exempt.length}`,
      );
    }
    return done;
  }

  private async warn(n: IdleCandidate, actor: string) {
    const { action, warningSeconds } = this.deps.idle.config;
    const audit = await this.deps.audit.begin({
      eventId: 'notebook-idle-warn',
      action: 'ml.notebook.idle-warn',
      actor,
      targetRef: notebookTarget(n.cluster, n.namespace, n.name),
      details: {
        cluster: n.cluster,
        namespace: n.namespace,
        name: n.name,
        owner: n.createdBy,
        reason: 'idle',
        idleSince: n.idleSince,
        utilization: n.utilization,
        gpus: n.gpus,
        policy: action,
      },
      severityLevel: 'low',
    });
    const stop =
      action === 'stop'
        ? ` It will be stopped in ${formatDuration(
            warningSeconds,
          )} unless its GPUs are used again or it is exempted (annotation ${IDLE_POLICY_ANNOTATION}: ${IDLE_POLICY_EXEMPT}).`
        : ' Stop it when you are done, so your team gets its GPUs back.';
    try {
      await this.notify(n, {
        title: `Notebook ${n.name} holds ${n.gpus} idle GPU(s)`,
        description: `${n.name} in ${n.namespace} on ${
          n.cluster
        } is ${describeIdle(n)}.${stop}`,
        severity: action === 'stop' ? 'high' : 'normal',
      });
    } catch (e) {
      await audit.failed({ error: e as Error });
      throw e;
    }
    await audit.succeeded();
  }

  private async notify(
    n: IdleCandidate,
    payload: Pick<
      NotificationSendOptions['payload'],
      'title' | 'description' | 'severity'
    >,
  ) {
    if (!this.deps.notifications) {
      this.deps.logger.info(
        `ML idle policy (no notifications): ${payload.title}`,
      );
      return;
    }
    await this.deps.notifications.send({
      recipients: { type: 'entity', entityRef: n.createdBy },
      payload: {
        ...payload,
        topic: 'ml-idle-notebooks',
        // One notification per notebook, updated rather than repeated.
        scope: notebookTarget(n.cluster, n.namespace, n.name),
        ...(this.deps.link ? { link: this.deps.link } : {}),
      },
    });
  }
}

/**
 * The owner's opt-out: sets or removes `mlplatform.io/idle-policy: exempt`
 * on the notebook's workload (for a JupyterHub server, which has none of the
 * portal's, on its record), permission-checked (`ml.notebook.manage`) and
 * audited (`ml.notebook.idle-policy`) like a stop.
 *
 * @internal
 */
export class IdlePolicyOptOut {
  private readonly objects: NotebookObjects;
  private readonly placement: NotebookPlacement;

  constructor(
    private readonly deps: {
      clusters: ClusterService;
      quotas: QuotaService;
      store: NotebookStore;
      audit: MlAuditor;
      permissions: PermissionsService;
      logger?: LoggerService;
    },
  ) {
    this.objects = new NotebookObjects(deps);
    this.placement = new NotebookPlacement(deps);
  }

  async set(
    path: { cluster: string; namespace: string; name: string },
    request: IdlePolicyRequest,
    caller: NotebookCaller,
  ): Promise<void> {
    const { cluster, namespace, name } = path;
    this.deps.clusters.get(cluster);
    const record = await this.deps.store.get(cluster, namespace, name);
    if (!record) {
      throw new NotFoundError(
        `no notebook ${name} in ${namespace} on ${cluster} was created through the portal`,
      );
    }
    if (record.spec.backend === 'jupyterhub') {
      // No object of the portal's to annotate: the opt-out is kept with the record.
      const { idlePolicy: _previous, ...spec } = record.spec;
      await manageNotebook(
        { ...this.deps, placement: this.placement },
        'idle-policy',
        record,
        { ...caller, auditDetails: { policy: request.policy } },
        () =>
          this.deps.store.updateSpec(record.id, {
            ...spec,
            ...(request.policy === 'exempt' ? { idlePolicy: 'exempt' } : {}),
          }),
        { backend: 'jupyterhub' },
      );
      return;
    }
    await manageNotebook(
      { ...this.deps, placement: this.placement },
      'idle-policy',
      record,
      { ...caller, auditDetails: { policy: request.policy } },
      () =>
        this.objects.annotate(
          record,
          IDLE_POLICY_ANNOTATION,
          request.policy === 'exempt' ? IDLE_POLICY_EXEMPT : null,
        ),
    );
  }
}
