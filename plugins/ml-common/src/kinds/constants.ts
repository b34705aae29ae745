/**
 * The API version shared by every ML entity kind.
 *
 * @public
 */
export const ML_API_VERSION = 'mlplatform.io/v1alpha1';

/** @public */
export const MODEL_KIND = 'Model';
/** @public */
export const DATASET_KIND = 'Dataset';
/** @public */
export const PIPELINE_KIND = 'Pipeline';
/** @public */
export const GPU_QUOTA_KIND = 'GpuQuota';

/**
 * The four entity kinds the ML platform adds to the software catalog.
 *
 * @public
 */
export const ML_KINDS = [
  MODEL_KIND,
  DATASET_KIND,
  PIPELINE_KIND,
  GPU_QUOTA_KIND,
] as const;

/** @public */
export type MlKind = (typeof ML_KINDS)[number];

/**
 * True when `kind` names one of the ML kinds (case-insensitive, as catalog kinds are).
 *
 * @public
 */
export function isMlKind(kind: string): kind is MlKind {
  return ML_KINDS.some(
    k => k.toLocaleLowerCase('en-US') === kind.toLocaleLowerCase('en-US'),
  );
}
