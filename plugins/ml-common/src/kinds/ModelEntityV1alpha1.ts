import { Entity, KindValidator } from '@backstage/catalog-model';
import { ML_API_VERSION, MODEL_KIND } from './constants';
import { createMlKindValidator } from './validation/validateMlEntity';

/**
 * The service level objectives a model's serving must meet.
 *
 * @public
 */
export type ModelSlo = {
  /** Highest acceptable p95 request latency, in milliseconds. */
  latencyP95Ms?: number;
  /** Highest acceptable share of failed requests, as a fraction (0.01 = 1 %). */
  errorRate?: number;
  /** Lowest acceptable availability, as a fraction (0.999 = 99.9 %). */
  availability?: number;
  /**
   * Highest acceptable drift score, 0..1; without it the ML backend's
   * platform-wide threshold applies (0.3 unless its health service is
   * created with another).
   */
  maxDriftScore?: number;
  /** LLM servers: highest acceptable p95 time to first token, in milliseconds. */
  ttftP95Ms?: number;
  /** LLM servers: highest acceptable p95 time per output token, in milliseconds. */
  tpotP95Ms?: number;
  /** LLM servers: highest acceptable share of the KV cache in use, 0..1. */
  maxKvCacheUsage?: number;
};

/**
 * A trained machine-learning model (`kind: Model`). See docs/entities.md for
 * every field.
 *
 * @public
 */
export interface ModelEntityV1alpha1 extends Entity {
  apiVersion: typeof ML_API_VERSION;
  kind: typeof MODEL_KIND;
  spec: {
    /** classifier, regressor, llm, embedding, recommender, ... (open set). */
    type: string;
    lifecycle: string;
    /** Entity ref; a plain name means a Group. */
    owner: string;
    /** Entity ref; a plain name means a System. */
    system?: string;
    framework?: string;
    task?: string;
    /** `oci://host[:port]/repository`, `mlflow://name` or `mlflow://registry/name`. */
    registry?: string;
    /** Dataset refs. */
    trainedOn?: string[];
    /** Pipeline ref. */
    producedBy?: string;
    /** Component or API refs; plain names mean Components. */
    servedBy?: string[];
    slo?: ModelSlo;
    /** Model card: intended use (Markdown). */
    intendedUse?: string;
    /** Model card: limitations (Markdown). */
    limitations?: string;
    /** Model card: license, an SPDX identifier where one exists. */
    license?: string;
    /** Model card: an http(s) URL or `techdocs:<page path>`. */
    modelCard?: string;
    /** Model card: evaluation metrics, name to value. */
    metrics?: Record<string, number>;
  };
}

/**
 * Validates {@link ModelEntityV1alpha1} entities.
 *
 * @public
 */
export const modelEntityV1alpha1Validator: KindValidator =
  createMlKindValidator(MODEL_KIND);

/**
 * True for entities of kind Model in the ML platform's apiVersion.
 *
 * @public
 */
export function isModelEntity(entity: Entity): entity is ModelEntityV1alpha1 {
  return (
    entity.apiVersion === ML_API_VERSION &&
    entity.kind.toLocaleLowerCase('en-US') === 'model'
  );
}
