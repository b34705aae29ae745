import { Entity, KindValidator } from '@backstage/catalog-model';
import { ML_API_VERSION, PIPELINE_KIND } from './constants';
import { createMlKindValidator } from './validation/validateMlEntity';

/**
 * What a pipeline does.
 *
 * @public
 */
export type PipelineType =
  | 'training'
  | 'evaluation'
  | 'batch-inference'
  | 'data';

/**
 * What runs a pipeline, and its identifier there.
 *
 * @public
 */
export type PipelineOrchestrator = {
  type: 'kubernetes-job' | 'argo' | 'kubeflow' | 'airflow';
  /** Job/CronJob name, Argo WorkflowTemplate, Kubeflow pipeline id or Airflow DAG id. */
  id: string;
  namespace?: string;
  /** Cluster name under `ml.kubernetes.clusters`. */
  cluster?: string;
};

/**
 * A pipeline (`kind: Pipeline`). See docs/entities.md for every field.
 *
 * @public
 */
export interface PipelineEntityV1alpha1 extends Entity {
  apiVersion: typeof ML_API_VERSION;
  kind: typeof PIPELINE_KIND;
  spec: {
    type: PipelineType;
    lifecycle: string;
    /** Entity ref; a plain name means a Group. */
    owner: string;
    /** Entity ref; a plain name means a System. */
    system?: string;
    orchestrator: PipelineOrchestrator;
    /** 5-field cron expression or @hourly/@daily/@weekly/@monthly/@yearly. */
    schedule?: string;
    /** Dataset refs (plain names) or `model:` refs. */
    consumes?: string[];
    /** `model:` or `dataset:` refs; the kind prefix is required. */
    produces?: string[];
    /** GpuQuota ref. */
    gpuQuota?: string;
  };
}

/**
 * Validates {@link PipelineEntityV1alpha1} entities.
 *
 * @public
 */
export const pipelineEntityV1alpha1Validator: KindValidator =
  createMlKindValidator(PIPELINE_KIND);

/**
 * True for entities of kind Pipeline in the ML platform's apiVersion.
 *
 * @public
 */
export function isPipelineEntity(
  entity: Entity,
): entity is PipelineEntityV1alpha1 {
  return (
    entity.apiVersion === ML_API_VERSION &&
    entity.kind.toLocaleLowerCase('en-US') === 'pipeline'
  );
}
