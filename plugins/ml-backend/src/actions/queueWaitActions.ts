import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  gpuHoursQuerySchema,
  MAX_ESTIMATE_GPUS,
  parseMlInput,
  waitEstimateQuerySchema,
} from '@mlplatform/plugin-ml-common';
import { GpuHoursService } from '../services/queueWaits/GpuHoursService';
import { WaitEstimateService } from '../services/queueWaits/WaitEstimateService';
import { PendingExplanation } from './explainPending';

/** The wait estimate an explained workload carries in `explain-pending-workload`. @internal */
export interface ExplainedWait {
  status: 'estimated' | 'insufficient';
  p50Seconds?: number;
  p90Seconds?: number;
  samples: number;
  source?: 'observed' | 'prometheus';
  summary: string;
}

/**
 * Adds to each pending Kueue workload the wait estimate of its shape
 * (ClusterQueue, flavor, size); a workload whose estimate fails keeps its
 * explanation without one.
 *
 * @internal
 */
export async function withWaitEstimates(
  explained: PendingExplanation[],
  waits: WaitEstimateService | undefined,
): Promise<Array<PendingExplanation & { waitEstimate?: ExplainedWait }>> {
  if (!waits) return explained;
  return Promise.all(
    explained.map(async e => {
      const check = e.resources.find(r => r.requested > 0);
      if (e.quota.source !== 'kueue' || !e.quota.clusterQueue || !check) {
        return e;
      }
      try {
        const answer = await waits.estimate(
          parseMlInput(
            waitEstimateQuerySchema,
            {
              cluster: e.cluster,
              queue: e.quota.clusterQueue,
              gpus: check.requested,
              gpuResource: check.resource,
              ...(check.flavor ? { flavor: check.flavor } : {}),
            },
            'input',
          ),
        );
        const est = answer.estimate;
        const waited = e.since ? Date.now() - Date.parse(e.since) : NaN;
        const already = Number.isFinite(waited)
          ? ` ${e.name} has waited ${Math.round(waited / 60_000)} min so far.`
          : '';
        return {
          ...e,
          waitEstimate: {
            status: est.status,
            samples: est.samples,
            ...(est.status === 'estimated'
              ? {
                  p50Seconds: est.p50Seconds,
                  p90Seconds: est.p90Seconds,
                  source: est.source,
                }
              : {}),
            // Its own place is in the explanation; the would-be place of a
            // new workload is not this one's.
            summary: `${answer.summary.replace(
              / (It would be|The quota has room).*$/,
              '',
            )}${already}`,
          },
        };
      } catch {
        return e;
      }
    }),
  );
}

/**
 * `estimate-queue-wait` and `gpu-hours`: the same schemas and services as
 * `GET /quotas/wait-estimate` and `GET /quotas/gpu-hours`.
 *
 * @internal
 */
export function registerQueueWaitActions(options: {
  actionsRegistry: ActionsRegistryService;
  waits: WaitEstimateService;
  gpuHours: GpuHoursService;
}) {
  const { actionsRegistry, waits, gpuHours } = options;

  actionsRegistry.register({
    name: 'estimate-queue-wait',
    title: 'Estimate queue wait',
    description: [
      'Estimates how long a Kueue workload of a given shape would wait for GPUs before it starts, from the',
      "admissions the portal observed for the same ClusterQueue, flavor and request size (or Kueue's own",
      'wait-time metrics): the median and 90th percentile with the number of admissions behind them, or',
      "status 'insufficient' when there is too little history. Also the place it would take in the queue now.",
      'Always relay the sample count; it is an estimate from history, not a promise.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            cluster: z
              .string()
              .min(1)
              .describe('Cluster name, e.g. gpu-cluster-a'),
            queue: z
              .string()
              .optional()
              .describe('Kueue ClusterQueue, e.g. fraud-cq; or give namespace'),
            namespace: z
              .string()
              .optional()
              .describe(
                "A team namespace; its LocalQueue's ClusterQueue is used",
              ),
            gpus: z
              .number()
              .describe(
                `GPUs the workload asks for, 1 to ${MAX_ESTIMATE_GPUS}`,
              ),
            gpuResource: z
              .string()
              .optional()
              .describe('nvidia.com/gpu (default) or a MIG profile'),
            flavor: z.string().optional().describe('Kueue ResourceFlavor'),
          })
          .strict(),
      output: z =>
        z.object({
          cluster: z.string(),
          clusterQueue: z.string(),
          flavor: z.string().optional(),
          gpuResource: z.string(),
          gpus: z.number(),
          sizeBucket: z.string(),
          estimate: z.object({
            status: z.enum(['estimated', 'insufficient']),
            p50Seconds: z.number().optional(),
            p90Seconds: z.number().optional(),
            samples: z.number(),
            minSamples: z.number().optional(),
            source: z.enum(['observed', 'prometheus']).optional(),
            windowDays: z.number().optional(),
            situation: z
              .enum(['room-now', 'must-queue'])
              .optional()
              .describe(
                'Samples are the admissions that found room (room-now) or had to queue (must-queue), like this workload would',
              ),
            reason: z.string().optional(),
          }),
          position: z
            .object({
              pendingAhead: z.number(),
              positionInClusterQueue: z.number(),
              fitsNow: z.boolean(),
              fromVisibilityApi: z.boolean(),
            })
            .optional(),
          summary: z.string(),
        }),
    },
    action: async ({ input }) => ({
      output: await waits.estimate(
        parseMlInput(waitEstimateQuerySchema, input, 'input'),
      ),
    }),
  });

  actionsRegistry.register({
    name: 'gpu-hours',
    title: 'GPU-hours per team',
    description: [
      'GPU-hours used per team, cluster and GPU type per day or ISO week (showback), from the GPUs that',
      'running pods requested (kube-state-metrics in Prometheus), the same numbers as the GPU quota page and',
      'its CSV download. `days` is the window (the last N UTC days, today partial); filter by cluster or team.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            days: z.number().optional().describe('Window in days, default 7'),
            granularity: z.enum(['day', 'week']).optional(),
            cluster: z.string().optional(),
            team: z
              .string()
              .optional()
              .describe('fraud-team or group:default/fraud-team'),
          })
          .strict(),
      output: z =>
        z.object({
          granularity: z.enum(['day', 'week']),
          from: z.string(),
          to: z.string(),
          method: z.string(),
          rows: z.array(
            z.object({
              period: z.string(),
              cluster: z.string(),
              namespace: z.string(),
              team: z.string().optional(),
              gpuType: z.string(),
              gpuHours: z.number(),
            }),
          ),
        }),
    },
    action: async ({ input }) => ({
      output: await gpuHours.gpuHours(
        parseMlInput(gpuHoursQuerySchema, input, 'input'),
      ),
    }),
  });
}
