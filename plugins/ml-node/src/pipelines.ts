import { createExtensionPoint } from '@backstage/backend-plugin-api';
import {
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';

/**
 * Why an orchestrator call failed, so callers can map it to an HTTP status:
 * `invalid` is the caller's fault and nothing was sent or started;
 * `not-found` means the orchestrator does not know the pipeline (template,
 * DAG, Kubeflow pipeline); `unauthorized` and `server` are its answer;
 * `unavailable` is the network or a timeout; `not-configured` means the
 * portal has no settings for this orchestrator or cluster.
 *
 * @public
 */
export type PipelineOrchestratorErrorKind =
  | 'invalid'
  | 'not-found'
  | 'unauthorized'
  | 'server'
  | 'unavailable'
  | 'not-configured';

/**
 * An error from a pipeline-runs adapter. The message names the orchestrator
 * and what was asked, never its credentials.
 *
 * @public
 */
export class PipelineOrchestratorError extends Error {
  constructor(
    readonly kind: PipelineOrchestratorErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PipelineOrchestratorError';
  }
}

/**
 * Reads and starts the runs of pipelines of one orchestrator type
 * (`spec.orchestrator.type` of a Pipeline entity).
 *
 * @public
 */
export interface PipelineRunsAdapter {
  /** The orchestrator type it serves, e.g. `argo`. */
  readonly type: string;
  /** Runs of the pipeline, newest first, at most `limit`. */
  listRuns(options: {
    pipeline: PipelineEntityV1alpha1;
    limit: number;
  }): Promise<PipelineRun[]>;
  /**
   * Starts a run. `trigger` is recorded on the run where the orchestrator
   * can hold it (labels/annotations, Airflow `conf`/`note`, Kubeflow
   * description) so `listRuns` reports it back.
   */
  startRun(options: {
    pipeline: PipelineEntityV1alpha1;
    parameters: Record<string, string>;
    trigger: PipelineRunTrigger;
  }): Promise<PipelineRun>;
  /** Releases connections when the backend stops. */
  close?(): void;
}

/**
 * Lets backend modules add pipeline-runs adapters to the ML backend, or
 * replace a built-in one of the same type.
 *
 * @public
 */
export interface MlPipelineRunsExtensionPoint {
  addPipelineRunsAdapter(...adapters: PipelineRunsAdapter[]): void;
}

/**
 * Extension point for {@link MlPipelineRunsExtensionPoint}.
 *
 * @public
 */
export const mlPipelineRunsExtensionPoint =
  createExtensionPoint<MlPipelineRunsExtensionPoint>({
    id: 'ml.pipelineRuns',
  });
