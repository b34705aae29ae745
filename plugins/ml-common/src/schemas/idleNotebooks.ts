import { z } from 'zod';
import { gpuQuotasQuerySchema } from './kubernetes';
import { clusterName, dnsLabel } from './patterns';

/*
 * `GET /api/ml/notebooks/idle`: notebooks holding GPUs that DCGM reports
 * (almost) unused for longer than `ml.notebooks.idle.after`, and
 * `PUT /api/ml/notebooks/:cluster/:namespace/:name/idle-policy`, the owner's
 * opt-out. My notebooks and the GPU quota page draw the first; the
 * backend's idle policy acts on the same list.
 */

/** The annotation a notebook's owner sets to keep the idle policy away from it. @public */
export const IDLE_POLICY_ANNOTATION = 'mlplatform.io/idle-policy';

/** The value of {@link IDLE_POLICY_ANNOTATION} that opts a notebook out. @public */
export const IDLE_POLICY_EXEMPT = 'exempt';

/**
 * Query of `GET /api/ml/notebooks/idle`: the quota page's filter, plus
 * `mine=true` for the caller's own notebooks (My notebooks).
 *
 * @public
 */
export const idleNotebooksQuerySchema = gpuQuotasQuerySchema.extend({
  mine: z
    .enum(['true', 'false'])
    .optional()
    .transform(v => v === 'true'),
});

/** Query of `GET /api/ml/notebooks/idle` as a caller writes it. @public */
export type IdleNotebooksQuery = z.input<typeof idleNotebooksQuerySchema>;

/** Why there is no idle list, or `ok`. @public */
export const IDLE_NOTEBOOKS_STATUSES = [
  'ok',
  /** `ml.prometheus` is not configured. */
  'no-prometheus',
  /** Prometheus has no `DCGM_FI_DEV_GPU_UTIL` series at all. */
  'no-dcgm',
  /** Prometheus did not answer. */
  'unavailable',
] as const;

const idleNotebook = z.object({
  cluster: clusterName(),
  namespace: dnsLabel(),
  name: dnsLabel(),
  team: z.string().optional(),
  createdBy: z.string(),
  /** What runs it: a Kubeflow Notebook, a StatefulSet or a JupyterHub named server. */
  backend: z.enum(['kubeflow', 'statefulset', 'jupyterhub']).optional(),
  /** GPUs the notebook holds (its request). */
  gpus: z.number().int().min(0),
  /** Mean GPU utilisation over `after`, percent. */
  utilization: z.number().min(0),
  /** Since when no GPU of its pod reached the threshold (ISO 8601). */
  idleSince: z.string(),
  idleSeconds: z.number().min(0),
  /** Whether `idleSince` is only a lower bound (the data goes back no further). */
  idleAtLeast: z.boolean(),
  /**
   * The owner opted out (`mlplatform.io/idle-policy: exempt` on the
   * notebook's object; kept by the portal for JupyterHub servers), or where
   * it runs did not answer, so the policy leaves it alone.
   */
  exempt: z.boolean(),
  /** When the policy warned the owner in this idle period (ISO 8601). */
  warnedAt: z.string().optional(),
  /** When the policy will stop it, when the action is `stop` (ISO 8601). */
  stopsAt: z.string().optional(),
});

/** One idle notebook holding GPUs. @public */
export type IdleNotebook = z.infer<typeof idleNotebook>;

const idleTeam = z.object({
  cluster: z.string(),
  namespace: z.string(),
  team: z.string().optional(),
  gpus: z.number().int().min(0),
  notebooks: z.number().int().min(0),
});

/** Response of `GET /api/ml/notebooks/idle`. @public */
export const idleNotebooksResponseSchema = z.object({
  status: z.enum(IDLE_NOTEBOOKS_STATUSES),
  /** What is wrong and what to do, when `status` is not `ok`. */
  message: z.string().optional(),
  /** Percent of GPU utilisation below which a GPU counts as idle. */
  threshold: z.number(),
  /** How long a notebook must stay below it, seconds. */
  afterSeconds: z.number(),
  /** What the policy does to idle notebooks; absent when it is off. */
  action: z.enum(['notify', 'stop']).optional(),
  /** When Prometheus was asked (ISO 8601). */
  checkedAt: z.string(),
  items: z.array(idleNotebook),
  /** Per namespace: GPUs held by idle notebooks and how many notebooks. */
  namespaces: z.array(idleTeam),
});

/** Response of `GET /api/ml/notebooks/idle`. @public */
export type IdleNotebooksResponse = z.infer<typeof idleNotebooksResponseSchema>;

/**
 * Body of `PUT /api/ml/notebooks/:cluster/:namespace/:name/idle-policy`:
 * `exempt` sets the opt-out annotation, `default` removes it.
 *
 * @public
 */
export const idlePolicyRequestSchema = z
  .object({ policy: z.enum(['exempt', 'default']) })
  .strict();

/** Body of the idle-policy route. @public */
export type IdlePolicyRequest = z.infer<typeof idlePolicyRequestSchema>;

/** `3h`, `1h30m`, `45m`, `20s`, `2d4h`: a duration in seconds as people read it. @public */
export function formatIdleDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days) return hours ? `${days}d${hours}h` : `${days}d`;
  if (hours) return minutes ? `${hours}h${minutes}m` : `${hours}h`;
  return `${minutes}m`;
}

/**
 * "idle for 3h at 1% GPU": how the cards and the owner's notifications
 * describe an idle notebook.
 *
 * @public
 */
export function describeIdle(
  n: Pick<IdleNotebook, 'idleSeconds' | 'idleAtLeast' | 'utilization'>,
): string {
  return `idle for ${n.idleAtLeast ? 'at least ' : ''}${formatIdleDuration(
    n.idleSeconds,
  )} at ${n.utilization}% GPU`;
}

/**
 * "3 GPUs held by 2 idle notebooks in fraud": one namespace's idle GPUs.
 *
 * @public
 */
export function describeIdleNamespace(row: {
  namespace: string;
  gpus: number;
  notebooks: number;
}): string {
  return `${row.gpus} GPU${row.gpus === 1 ? '' : 's'} held by ${
    row.notebooks
  } idle notebook${row.notebooks === 1 ? '' : 's'} in ${row.namespace}`;
}
