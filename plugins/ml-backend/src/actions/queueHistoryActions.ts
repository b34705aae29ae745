import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  parseMlInput,
  QUEUE_HISTORY_MAX_DAYS,
  QueueHistoryPoint,
  QueueHistoryResponse,
  queueHistoryQuerySchema,
} from '@mlplatform/plugin-ml-common';
import { QueueHistoryService } from '../services/queueWaits/QueueHistoryService';

const known = (points: QueueHistoryPoint[]) =>
  points.flatMap(p => (p.v === null ? [] : [p.v]));

const round = (v: number) => Math.round(v * 1000) / 1000;

function peak(points: QueueHistoryPoint[]): number | null {
  const values = known(points);
  return values.length ? round(Math.max(...values)) : null;
}

function mean(points: QueueHistoryPoint[]): number | null {
  const values = known(points);
  return values.length
    ? round(values.reduce((a, b) => a + b, 0) / values.length)
    : null;
}

function latest(points: QueueHistoryPoint[]): number | null {
  const values = known(points);
  return values.length ? round(values[values.length - 1]) : null;
}

function total(points: QueueHistoryPoint[]): number | null {
  const values = known(points);
  return values.length ? Math.round(values.reduce((a, b) => a + b, 0)) : null;
}

/**
 * The queue history an assistant can read: the chart series of
 * `GET /quotas/queue-history` summed up (peaks, means, totals), since a
 * model reads numbers, not 85-point series.
 *
 * @internal
 */
export function summarizeQueueHistory(history: QueueHistoryResponse) {
  return {
    cluster: history.cluster,
    queue: history.queue,
    days: history.days,
    flavors: history.flavors.map(f => {
      const nominal = latest(f.nominalQuota);
      const used = mean(f.usage);
      return {
        flavor: f.flavor,
        resource: f.resource,
        nominalQuota: nominal,
        usagePeak: peak(f.usage),
        usageMean: used,
        utilisation: nominal && used !== null ? round(used / nominal) : null,
      };
    }),
    pendingNow: latest(history.pending.active),
    pendingPeak: peak(history.pending.active),
    inadmissiblePeak: peak(history.pending.inadmissible),
    admissions: total(history.admissions),
    admissionsSource: history.admissionsSource,
    preemptions: total(history.preemptions),
    ...(history.errors ? { errors: history.errors } : {}),
    method: history.method,
  };
}

/**
 * `get-queue-history`: the numbers behind the GPU quota page's Queue
 * history card, through the same service and input schema as
 * `GET /quotas/queue-history`.
 *
 * @internal
 */
export function registerQueueHistoryAction(options: {
  actionsRegistry: ActionsRegistryService;
  history: QueueHistoryService;
}) {
  const { actionsRegistry, history } = options;
  const nullableNumber = (z: any) => z.number().nullable();
  actionsRegistry.register({
    name: 'get-queue-history',
    title: 'Kueue queue history',
    description: [
      "A Kueue ClusterQueue's last days from Kueue's Prometheus metrics: per GPU flavor its nominal quota,",
      'peak and mean GPU usage and utilisation (mean / nominal); pending workloads now and at peak;',
      'workloads admitted and workloads preempted in the window. The same numbers as the Queue history',
      `card of the GPU quota page. \`days\` is 1 to ${QUEUE_HISTORY_MAX_DAYS}, default 7.`,
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            cluster: z.string().describe('Cluster name, e.g. gpu-cluster-a'),
            queue: z.string().describe('Kueue ClusterQueue, e.g. recsys-cq'),
            days: z.number().optional().describe('Window in days, default 7'),
          })
          .strict(),
      output: z =>
        z.object({
          cluster: z.string(),
          queue: z.string(),
          days: z.number(),
          flavors: z.array(
            z.object({
              flavor: z.string(),
              resource: z.string(),
              nominalQuota: nullableNumber(z),
              usagePeak: nullableNumber(z),
              usageMean: nullableNumber(z),
              utilisation: nullableNumber(z),
            }),
          ),
          pendingNow: nullableNumber(z),
          pendingPeak: nullableNumber(z),
          inadmissiblePeak: nullableNumber(z),
          admissions: nullableNumber(z),
          admissionsSource: z.enum(['kueue-metrics', 'recorded']),
          preemptions: nullableNumber(z),
          errors: z.record(z.string()).optional(),
          method: z.string(),
        }),
    },
    action: async ({ input }) => ({
      output: summarizeQueueHistory(
        await history.history(
          parseMlInput(queueHistoryQuerySchema, input, 'input'),
        ),
      ),
    }),
  });
}
