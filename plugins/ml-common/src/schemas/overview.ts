import { z } from 'zod';
import { MODEL_HEALTH_VERDICTS } from '../healthApi';
import { IDLE_NOTEBOOKS_STATUSES } from './idleNotebooks';

/*
 * `GET /api/ml/overview`: the fleet at a glance. The backend builds it from
 * what its services already hold (the health cache, pipeline runs, GPU
 * quotas); the ML page's Overview tab draws it. One schema, so the route's
 * test and the page's fixtures describe the same shape.
 */

/** How long a pipeline run may wait to start before the overview calls it stuck. @public */
export const STUCK_PENDING_MINUTES = 30;
/** How long a pipeline run may run before the overview calls it stuck. @public */
export const STUCK_RUNNING_HOURS = 6;
/** How far back the overview looks for failed runs. @public */
export const OVERVIEW_RUNS_HOURS = 24;

/** An owner as people know it: the ref and the catalog title (or display name). */
const owner = z.object({
  ref: z.string(),
  /** `spec.profile.displayName`, else `metadata.title`, else the entity name. */
  name: z.string(),
});

const modelRow = z.object({
  entityRef: z.string(),
  /** `metadata.title`, else the name. */
  title: z.string(),
  owner: owner.optional(),
  verdict: z.enum(MODEL_HEALTH_VERDICTS),
  reason: z.string().optional(),
  firingAlerts: z.number().int().min(0),
});

const alertRow = z.object({
  modelRef: z.string(),
  modelTitle: z.string(),
  owner: owner.optional(),
  name: z.string(),
  severity: z.string(),
  summary: z.string().optional(),
  startsAt: z.string(),
});

const runRow = z.object({
  pipelineRef: z.string(),
  pipelineTitle: z.string(),
  owner: owner.optional(),
  runId: z.string(),
  /** `failed`, or `stuck` (pending or running far longer than a run should). */
  problem: z.enum(['failed', 'stuck']),
  status: z.string(),
  message: z.string().optional(),
  at: z.string().optional(),
  uiUrl: z.string().optional(),
});

const gpuRow = z.object({
  cluster: z.string(),
  team: owner.optional(),
  /** GPUs of every quota of the team on the cluster, all resources and flavors together. */
  hard: z.number(),
  used: z.number(),
  free: z.number(),
  /** GPUs asked for by workloads waiting in the team's quotas. */
  pendingDemand: z.number(),
  pendingWorkloads: z.number().int(),
});

const idleNotebookRow = z.object({
  cluster: z.string(),
  namespace: z.string(),
  name: z.string(),
  /** The team owning the namespace. */
  team: owner.optional(),
  /** Who created it, by name. */
  createdBy: owner,
  gpus: z.number().int().min(0),
  /** Mean GPU utilisation over the idle threshold's window, percent. */
  utilization: z.number().min(0),
  idleSeconds: z.number().min(0),
  /** Idle for at least `idleSeconds` (the data goes back no further). */
  idleAtLeast: z.boolean(),
  /** The owner opted out of the idle policy. */
  exempt: z.boolean(),
});

const staleDatasetRow = z.object({
  entityRef: z.string(),
  title: z.string(),
  owner: owner.optional(),
  /** `spec.freshness.maxAge`. */
  maxAge: z.string(),
  /** The freshness verdict's reason, in words. */
  reason: z.string(),
  /** When the data last changed, as last read. */
  changedAt: z.string().optional(),
  /** When the verdict was reached (the Dataset's facts were last read). */
  checkedAt: z.string(),
});

/** A section that could not be (fully) read says why; the others still answer. */
const problems = z.array(z.object({ source: z.string(), error: z.string() }));

/**
 * Answer of `GET /api/ml/overview`.
 *
 * @public
 */
export const mlOverviewResponseSchema = z.object({
  generatedAt: z.string(),
  models: z.object({
    total: z.number().int(),
    byVerdict: z.record(z.string(), z.number().int()),
    /** Models counted as unknown because their first evaluation is still running. */
    evaluating: z.number().int().min(0),
    /** Worst first: failing, degraded, unknown, healthy; then by title. At most 50; `byVerdict` counts all. */
    items: z.array(modelRow),
    problems,
  }),
  alerts: z.object({
    /** Firing alerts across all models. */
    total: z.number().int().min(0),
    /** Newest first, at most 50. */
    items: z.array(alertRow),
    problems,
  }),
  pipelines: z.object({
    total: z.number().int(),
    /** How many runs failed or are stuck. */
    failedOrStuck: z.number().int().min(0),
    /** Runs that failed, or are stuck, within the last {@link OVERVIEW_RUNS_HOURS} hours; newest first, at most 50. */
    items: z.array(runRow),
    problems,
  }),
  gpus: z.object({
    /** Rows (teams x clusters) in all. */
    total: z.number().int().min(0),
    /** One row per team and cluster, busiest first, at most 50. */
    items: z.array(gpuRow),
    clusters: z.array(
      z.object({
        name: z.string(),
        available: z.boolean(),
        error: z.string().optional(),
        notes: z.array(z.string()).optional(),
      }),
    ),
  }),
  /**
   * Notebooks holding GPUs DCGM has seen idle, from the idle detection's
   * last cycle (the same list as `GET /notebooks/idle`); longest idle first.
   * `status` other than `ok` says why it is not known, in `message`.
   */
  idleNotebooks: z.object({
    status: z.enum(IDLE_NOTEBOOKS_STATUSES),
    message: z.string().optional(),
    /** The utilisation threshold, percent, and how long below it counts as idle. */
    threshold: z.number(),
    afterSeconds: z.number(),
    /** GPUs held by the idle notebooks, all together. */
    gpus: z.number().int().min(0),
    /** Idle notebooks in all. */
    total: z.number().int().min(0),
    /** Longest idle first, at most 50. */
    items: z.array(idleNotebookRow),
    checkedAt: z.string(),
  }),
  /**
   * Datasets past their freshness objective, where known: only verdicts the
   * backend already reached (a Dataset page read its facts) are counted;
   * the overview itself reads no storage.
   */
  datasets: z.object({
    total: z.number().int().min(0),
    /** Datasets with a freshness objective (`spec.freshness.maxAge`). */
    withObjective: z.number().int().min(0),
    /** Of those, the ones with a known verdict (fresh or stale). */
    known: z.number().int().min(0),
    /** Of those, the stale ones. */
    stale: z.number().int().min(0),
    /** Stale ones, stalest first (oldest `changedAt`), at most 50. */
    items: z.array(staleDatasetRow),
  }),
});

/** @public */
export type MlOverviewResponse = z.infer<typeof mlOverviewResponseSchema>;
/** @public */
export type MlOverviewOwner = z.infer<typeof owner>;
/** @public */
export type MlOverviewModel = z.infer<typeof modelRow>;
/** @public */
export type MlOverviewRun = z.infer<typeof runRow>;
/** @public */
export type MlOverviewGpus = z.infer<typeof gpuRow>;
/** @public */
export type MlOverviewIdleNotebook = z.infer<typeof idleNotebookRow>;
/** @public */
export type MlOverviewStaleDataset = z.infer<typeof staleDatasetRow>;
