import { z } from 'zod';

/*
 * `GET /api/ml/datasets/:namespace/:name/facts`: what the place a Dataset's
 * `spec.location` points at says about it right now, and its freshness
 * objective's verdict. One schema, so the route's test and the card's
 * fixtures describe the same shape.
 */

/**
 * Verdicts of a Dataset's freshness objective (`spec.freshness.maxAge`):
 * - `fresh`: the data last changed within `maxAge`;
 * - `stale`: it last changed longer ago;
 * - `unknown`: no verdict possible (no objective, no change time, no facts);
 *   `reason` says why and what to do.
 *
 * @public
 */
export const DATASET_FRESHNESS_VERDICTS = [
  'fresh',
  'stale',
  'unknown',
] as const;

/** @public */
export type DatasetFreshnessVerdict =
  (typeof DATASET_FRESHNESS_VERDICTS)[number];

const s3Facts = z.object({
  kind: z.literal('s3'),
  bucket: z.string(),
  /** The key prefix listed; empty for the whole bucket. */
  prefix: z.string(),
  objectCount: z.number().int().min(0),
  totalBytes: z.number().int().min(0),
  /** Last-modified time of the newest object (ISO 8601); absent when empty. */
  newestObjectAt: z.string().optional(),
  /** True when the listing stopped at the page limit: counts are lower bounds. */
  truncated: z.boolean(),
});

const pvcFacts = z.object({
  kind: z.literal('pvc'),
  cluster: z.string(),
  namespace: z.string(),
  claim: z.string(),
  /** `Bound`, `Pending` or `Lost`, as the API server says. */
  phase: z.string(),
  /** `status.capacity.storage` as Kubernetes writes it (`10Gi`). */
  capacity: z.string().optional(),
  capacityBytes: z.number().min(0).optional(),
  storageClass: z.string().optional(),
  volumeName: z.string().optional(),
  /** From the kubelet's `kubelet_volume_stats_used_bytes` in Prometheus. */
  usedBytes: z.number().min(0).optional(),
  /** Why `usedBytes` is absent (no Prometheus, no sample, ...). */
  usedBytesReason: z.string().optional(),
});

const feastFacts = z.object({
  kind: z.literal('feast'),
  project: z.string(),
  /** The feature view, or the feature service (then `featureViews` lists its views). */
  name: z.string(),
  objectType: z.enum(['featureView', 'featureService']),
  featureViews: z.array(z.string()),
  /**
   * The last materialization interval (ISO 8601). For a feature service,
   * the one of its view materialized longest ago: the service is as fresh
   * as its stalest view.
   */
  lastMaterialization: z
    .object({ start: z.string(), end: z.string() })
    .optional(),
  /** Views of a feature service never materialized. */
  neverMaterialized: z.array(z.string()),
});

/**
 * The facts of one place, by location scheme.
 *
 * @public
 */
export const datasetLocationFactsSchema = z.discriminatedUnion('kind', [
  s3Facts,
  pvcFacts,
  feastFacts,
]);

/** @public */
export type DatasetLocationFacts = z.infer<typeof datasetLocationFactsSchema>;

/**
 * The answer of `GET /datasets/:namespace/:name/facts`.
 *
 * @public
 */
export const datasetFactsResponseSchema = z.object({
  entityRef: z.string(),
  location: z.string(),
  /** Absent when none could be read; `unavailable` then says why. */
  facts: datasetLocationFactsSchema.optional(),
  /** Why there are no facts, and what to do about it. */
  unavailable: z.string().optional(),
  freshness: z.object({
    /** `spec.freshness.maxAge`, when the Dataset has an objective. */
    maxAge: z.string().optional(),
    verdict: z.enum(DATASET_FRESHNESS_VERDICTS),
    /** Why the verdict is what it is, in words. */
    reason: z.string(),
    /** When the data last changed (newest object, last materialization). */
    changedAt: z.string().optional(),
    ageSeconds: z.number().optional(),
  }),
  /** When the facts were read (they are cached for a minute). */
  checkedAt: z.string(),
});

/** @public */
export type DatasetFactsResponse = z.infer<typeof datasetFactsResponseSchema>;
