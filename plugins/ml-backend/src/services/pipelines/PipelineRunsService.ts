import {
  AuditorService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  isPipelineEntity,
  mlPipelineRunPermission,
  PARAMETER_NAME_PATTERN,
  PIPELINE_RUNS_LIMITS,
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunsResponse,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';
import {
  PipelineOrchestratorError,
  PipelineRunsAdapter,
} from '@mlplatform/plugin-ml-node';
import type { Request } from 'express';
import { AuditStore } from '../../database/AuditStore';
import { actorOf, MlAuditor } from '../audit/MlAuditor';
import { nextRunAt } from './schedule';

const { defaultRuns, maxRuns, maxParameters, maxParameterValueLength } =
  PIPELINE_RUNS_LIMITS;

// What to set so the built-in adapter of each orchestrator type can work.
const CONFIG_KEYS: Record<string, string> = {
  'kubernetes-job': 'ml.kubernetes.clusters',
  argo: 'ml.kubernetes.clusters',
  kubeflow: 'ml.pipelines.kubeflow.url',
  airflow: 'ml.pipelines.airflow.url',
};

/** @internal */
export interface PipelineRunsServiceOptions {
  catalog: CatalogService;
  permissions: PermissionsService;
  auditStore: AuditStore;
  /** Backstage's auditor; the audit store is written either way. */
  auditor?: AuditorService;
  /** One adapter per orchestrator type; later ones replace earlier ones. */
  adapters: Iterable<PipelineRunsAdapter>;
  logger: LoggerService;
}

/**
 * Turns an adapter's error into the `@backstage/errors` type the HTTP layer
 * answers with: the caller's fault is 400, an unknown pipeline 404, and
 * anything about the orchestrator itself (down, refusing our credentials,
 * failing, not configured) 503 for that pipeline only.
 *
 * @internal
 */
export function toHttpError(error: unknown): unknown {
  if (!(error instanceof PipelineOrchestratorError)) return error;
  switch (error.kind) {
    case 'invalid':
      return new InputError(error.message);
    case 'not-found':
      return new NotFoundError(error.message);
    default:
      return new ServiceUnavailableError(error.message);
  }
}

// The HTTP API and the MCP action parse with startPipelineRunRequestSchema
// first; this also holds callers without a request, such as the alert
// webhook's retrain action with parameters from app-config.
function checkParameters(parameters: Record<string, string>) {
  const entries = Object.entries(parameters);
  if (entries.length > maxParameters) {
    throw new InputError(`At most ${maxParameters} run parameters`);
  }
  for (const [name, value] of entries) {
    if (!PARAMETER_NAME_PATTERN.test(name)) {
      throw new InputError(
        `Invalid run parameter name "${name}": use letters, digits, _ . -, starting with a letter or _`,
      );
    }
    if (typeof value !== 'string' || value.length > maxParameterValueLength) {
      throw new InputError(
        `Run parameter ${name} must be a string of at most ${maxParameterValueLength} characters`,
      );
    }
  }
}

/**
 * Lists and starts the runs of Pipeline entities on their orchestrators.
 * The one place that checks `ml.pipeline.run` and audits `ml.pipeline.run`:
 * the HTTP API, the alert webhook's `retrain` action and other callers all
 * start runs through it.
 *
 * @internal
 */
export class PipelineRunsService {
  static create(options: PipelineRunsServiceOptions): PipelineRunsService {
    return new PipelineRunsService(options);
  }

  private readonly adapters = new Map<string, PipelineRunsAdapter>();
  private readonly audit: MlAuditor;

  private constructor(private readonly options: PipelineRunsServiceOptions) {
    this.audit = MlAuditor.create(options);
    for (const adapter of options.adapters) {
      this.adapters.set(adapter.type, adapter);
    }
  }

  /** The orchestrator types it can serve. */
  types(): string[] {
    return [...this.adapters.keys()].sort();
  }

  /**
   * The Pipeline entity, read with the caller's credentials.
   *
   * @param ref - `pipeline:namespace/name`, `namespace/name` or a compound ref.
   * @throws NotFoundError when there is no such entity or it is not a Pipeline.
   */
  async getPipeline(
    ref: string | CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<PipelineEntityV1alpha1> {
    let compound: CompoundEntityRef;
    try {
      compound = parseEntityRef(ref, {
        defaultKind: 'pipeline',
        defaultNamespace: 'default',
      });
    } catch (e) {
      throw new InputError(
        `Invalid pipeline reference: ${(e as Error).message}`,
      );
    }
    const display = `${compound.namespace}/${compound.name}`;
    if (compound.kind.toLocaleLowerCase('en-US') !== 'pipeline') {
      throw new NotFoundError(
        `${stringifyEntityRef(compound)} is not a Pipeline`,
      );
    }
    const entity = await this.options.catalog.getEntityByRef(compound, {
      credentials,
    });
    if (!entity || !isPipelineEntity(entity)) {
      throw new NotFoundError(`No Pipeline ${display} in the catalog`);
    }
    return entity;
  }

  private adapterFor(pipeline: PipelineEntityV1alpha1): PipelineRunsAdapter {
    const type = pipeline.spec.orchestrator?.type;
    const adapter = this.adapters.get(type);
    if (adapter) return adapter;
    const ref = stringifyEntityRef(pipeline);
    const key = CONFIG_KEYS[type];
    if (key) {
      throw new ServiceUnavailableError(
        `${ref} runs on ${type}, which is not configured: set ${key}`,
      );
    }
    throw new InputError(
      `${ref} names orchestrator type "${type}", which this portal does not know; ` +
        `known: ${
          this.types().join(', ') || 'none'
        }. A backend module can add it through mlPipelineRunsExtensionPoint`,
    );
  }

  /** The pipeline's recent runs, newest first, and its next scheduled time. */
  async listRuns(options: {
    pipelineRef: string | CompoundEntityRef;
    credentials: BackstageCredentials;
    limit?: number;
  }): Promise<PipelineRunsResponse> {
    const limit = Math.min(Math.max(1, options.limit ?? defaultRuns), maxRuns);
    const pipeline = await this.getPipeline(
      options.pipelineRef,
      options.credentials,
    );
    const pipelineRef = stringifyEntityRef(pipeline);
    const adapter = this.adapterFor(pipeline);
    let runs: PipelineRun[];
    try {
      runs = await adapter.listRuns({ pipeline, limit });
    } catch (e) {
      throw toHttpError(e);
    }
    const { schedule } = pipeline.spec;
    let next: string | undefined;
    if (schedule) {
      try {
        next = nextRunAt(schedule);
      } catch (e) {
        this.options.logger.warn(
          `${pipelineRef}: cannot compute the next run: ${
            (e as Error).message
          }`,
        );
      }
    }
    const { type, id, cluster, namespace } = pipeline.spec.orchestrator;
    return {
      pipelineRef,
      orchestrator: {
        type,
        id,
        ...(cluster ? { cluster } : {}),
        ...(namespace ? { namespace } : {}),
      },
      runs: runs.slice(0, limit),
      ...(schedule ? { schedule } : {}),
      ...(next ? { nextRunAt: next } : {}),
    };
  }

  /**
   * Starts a run of the pipeline as the given caller: `ml.pipeline.run` on
   * the pipeline must be allowed for it. Every attempt past the catalog
   * lookup is audited, whether it succeeds, fails or is refused.
   *
   * @throws NotAllowedError when the permission is denied; nothing is started.
   */
  async startRun(options: {
    pipelineRef: string | CompoundEntityRef;
    parameters?: Record<string, string>;
    credentials: BackstageCredentials;
    trigger: PipelineRunTrigger;
    /** The HTTP request, when there is one, for Backstage's auditor. */
    request?: Request;
  }): Promise<{ pipelineRef: string; run: PipelineRun }> {
    const { credentials, request } = options;
    const parameters = options.parameters ?? {};
    checkParameters(parameters);
    const pipeline = await this.getPipeline(options.pipelineRef, credentials);
    const pipelineRef = stringifyEntityRef(pipeline);
    const actor = actorOf(credentials);
    const trigger: PipelineRunTrigger =
      options.trigger.type === 'manual' && !options.trigger.by
        ? { ...options.trigger, by: actor }
        : options.trigger;
    const orchestrator = pipeline.spec.orchestrator?.type;
    const details = {
      orchestrator,
      parameters,
      trigger: {
        type: trigger.type,
        ...(trigger.by ? { by: trigger.by } : {}),
      },
    };
    const audited = await this.audit.begin({
      eventId: 'ml-pipeline-run',
      action: 'ml.pipeline.run',
      actor,
      targetRef: pipelineRef,
      details: { ...details, runId: null },
      meta: { actor, pipelineRef, ...details },
      request,
    });

    const [decision] = await this.options.permissions.authorize(
      [{ permission: mlPipelineRunPermission, resourceRef: pipelineRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      const error = new NotAllowedError(
        `${actor} may not run ${pipelineRef}: permission ${mlPipelineRunPermission.name} denied`,
      );
      await audited.refused({ error });
      throw error;
    }

    try {
      const adapter = this.adapterFor(pipeline);
      const run = await adapter.startRun({ pipeline, parameters, trigger });
      await audited.succeeded({
        details: { runId: run.id },
        meta: { runId: run.id },
      });
      this.options.logger.info(
        `${actor} started run ${run.id} of ${pipelineRef} (${trigger.type})`,
      );
      return { pipelineRef, run };
    } catch (e) {
      const error = toHttpError(e) as Error;
      await audited.failed({ error });
      throw error;
    }
  }

  /** Releases the adapters' connections. */
  close() {
    for (const adapter of this.adapters.values()) adapter.close?.();
  }
}
