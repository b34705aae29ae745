import { z } from 'zod';
import { DURATION_PATTERN, durationSeconds } from './health';
import { clusterName, dnsLabel, dnsSubdomain } from './patterns';

/*
 * The logs API: pod logs of a Model's serving pods, a Pipeline's run pods or
 * a notebook's pod through the Kubernetes API, and the entity's lines in a
 * central log store (Loki). See docs/logs.md.
 */

/**
 * Limits of the logs API: lines a pod log request returns by default and at
 * most (the backend may be configured lower), lines of a log store query,
 * the longest search text and the longest `since`.
 *
 * @public
 */
export const LOG_LIMITS = {
  defaultTail: 500,
  maxTail: 10000,
  defaultStoreLines: 1000,
  maxStoreLines: 5000,
  maxSearchLength: 200,
  maxSinceSeconds: 30 * 86400,
  sinceChoices: ['5m', '15m', '1h', '6h', '24h'],
} as const;

const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform(v => v === 'true' || v === '1');

const since = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as 30s, 15m, 1h or 7d')
  .refine(
    s => (durationSeconds(s) ?? 0) <= LOG_LIMITS.maxSinceSeconds,
    `must be at most ${LOG_LIMITS.maxSinceSeconds / 86400}d`,
  );

const instant = z.iso.datetime({
  offset: true,
  error: 'must be an ISO 8601 time, like 2026-01-31T12:00:00Z',
});

const search = z
  .string()
  .max(
    LOG_LIMITS.maxSearchLength,
    `must be at most ${LOG_LIMITS.maxSearchLength} characters`,
  );

function startBeforeEnd(
  q: { start?: string; end?: string; since?: string },
  ctx: z.core.$RefinementCtx,
) {
  if (q.start && q.end && Date.parse(q.start) >= Date.parse(q.end)) {
    ctx.addIssue({
      code: 'custom',
      path: ['end'],
      message: 'must be after start',
    });
  }
  if (q.since && q.start) {
    ctx.addIssue({
      code: 'custom',
      path: ['since'],
      message: 'give since or start, not both',
    });
  }
}

/**
 * Query of `GET /api/ml/{models,pipelines}/:namespace/:name/logs` and
 * `GET /api/ml/notebooks/:cluster/:namespace/:name/logs`: which pod of the
 * entity (one of its `logs/pods`), which container, how far back (`since`
 * or `start`/`end`), how many lines from the end (`tail`), a text to keep
 * only matching lines (`search`, case-insensitive), and whether to stream
 * new lines (`follow`, chunked text/plain) or answer as a file (`download`).
 *
 * @public
 */
export const podLogsQuerySchema = z
  .object({
    cluster: clusterName(),
    podNamespace: dnsLabel(),
    pod: dnsSubdomain('pod name'),
    container: dnsLabel().optional(),
    since: since.optional(),
    start: instant.optional(),
    end: instant.optional(),
    tail: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(LOG_LIMITS.maxTail, `must be at most ${LOG_LIMITS.maxTail}`)
      .optional(),
    search: search.optional(),
    follow: flag.optional(),
    download: flag.optional(),
  })
  .strict()
  .superRefine(startBeforeEnd);

/** Query of a pod log request, parsed. @public */
export type PodLogsQuery = z.output<typeof podLogsQuerySchema>;

/** Query of a pod log request as the client sends it. @public */
export type PodLogsRequest = Omit<
  z.input<typeof podLogsQuerySchema>,
  'tail' | 'follow' | 'download'
> & { tail?: number };

/**
 * Query of `GET /api/ml/{models,pipelines}/:namespace/:name/logs/store`: the
 * entity's lines in the central log store between `start` and `end`
 * (default: the last hour up to now; never longer than the backend's
 * configured maximum window), at most `limit` lines, newest first, with an
 * optional case-insensitive `search`.
 *
 * @public
 */
export const logStoreQuerySchema = z
  .object({
    since: since.optional(),
    start: instant.optional(),
    end: instant.optional(),
    search: search.optional(),
    limit: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(
        LOG_LIMITS.maxStoreLines,
        `must be at most ${LOG_LIMITS.maxStoreLines}`,
      )
      .optional(),
  })
  .strict()
  .superRefine(startBeforeEnd);

/** Query of a log store request, parsed. @public */
export type LogStoreQuery = z.output<typeof logStoreQuerySchema>;

/** Query of a log store request as the client sends it. @public */
export type LogStoreRequest = Omit<
  z.input<typeof logStoreQuerySchema>,
  'limit'
> & {
  limit?: number;
};

/**
 * One container of a pod, with whether it has started (only started
 * containers have logs).
 *
 * @public
 */
export interface LogContainer {
  name: string;
  started: boolean;
}

/**
 * A pod whose logs an entity's Logs card offers: a Model's serving pod, a
 * Pipeline run's pod (its Job or Workflow in `run`) or a notebook's pod.
 *
 * @public
 */
export interface LogPod {
  cluster: string;
  namespace: string;
  name: string;
  phase: string;
  /** ISO 8601. */
  startedAt?: string;
  containers: LogContainer[];
  /** The pipeline run (Job name) the pod belongs to. */
  run?: string;
}

/**
 * Answer of `GET .../logs/pods`: the entity's pods on every configured
 * cluster, how they were selected, and the clusters that did not answer.
 *
 * @public
 */
export interface LogPodsResponse {
  /** `false` when the entity names no pods (no selector annotation) or no cluster is configured. */
  configured: boolean;
  /** Why it is not configured, or the label selector used. */
  message?: string;
  selector?: string;
  pods: LogPod[];
  /** Clusters that could not be asked, with the reason. */
  errors: Array<{ cluster: string; message: string }>;
}

/**
 * One log line: the container runtime's (or the log store's) time and text.
 *
 * @public
 */
export interface LogLine {
  /** ISO 8601 with the source's precision. */
  time?: string;
  text: string;
  /** Labels of the log store stream the line came from. */
  labels?: Record<string, string>;
}

/**
 * Answer of `GET .../logs` (without follow or download).
 *
 * @public
 */
export interface PodLogsResponse {
  pod: { cluster: string; namespace: string; name: string; container: string };
  lines: LogLine[];
  /** The tail that was applied (the request's, or the default). */
  tail: number;
  /** Lines read before `search` kept the matching ones. */
  scanned: number;
}

/**
 * Answer of `GET .../logs/store`.
 *
 * @public
 */
export interface LogStoreResponse {
  /** `false` when no log store is configured or the entity has no `mlplatform.io/logs-selector`. */
  configured: boolean;
  message?: string;
  /** The store's name, e.g. `loki`. */
  store?: string;
  /** The query sent to the store (LogQL for Loki), built from parsed matchers. */
  query?: string;
  start?: string;
  end?: string;
  lines: LogLine[];
  /** True when `limit` cut the answer. */
  truncated?: boolean;
}

/**
 * Whose logs: a Model or Pipeline entity by the `:namespace/:name` of its
 * entity ref, or a notebook by cluster, namespace and name.
 *
 * @public
 */
export type LogsTargetRef =
  | { kind: 'model' | 'pipeline'; namespace: string; name: string }
  | { kind: 'notebook'; cluster: string; namespace: string; name: string };
