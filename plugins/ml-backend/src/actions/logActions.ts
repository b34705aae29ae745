import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { NotFoundError } from '@backstage/errors';
import {
  LOG_LIMITS,
  LogLine,
  logStoreQuerySchema,
  podLogsQuerySchema,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../parseInput';
import { LogStoreService } from '../services/logs/LogStoreService';
import { PodLogsService } from '../services/logs/PodLogsService';
import { modelOrPipelineEntity } from './refs';

/** An assistant reads a screenful, not a file: fewer lines by default. */
const DEFAULT_LINES = 200;

const plain = (lines: LogLine[]) =>
  lines.map(l => ({ time: l.time ?? null, text: l.text }));

/**
 * `get-logs`: the lines the Logs card shows — a pod of a Model or a
 * Pipeline's run (PodLogsService, as `GET .../logs` calls it) or the
 * entity's lines in the log store (`GET .../logs/store`) — with the input
 * checked by the API's own query schemas and `ml.logs.read` per namespace.
 */
export function registerLogActions(options: {
  actionsRegistry: ActionsRegistryService;
  podLogs: PodLogsService;
  logStore: LogStoreService;
}) {
  const { actionsRegistry, podLogs, logStore } = options;

  actionsRegistry.register({
    name: 'get-logs',
    title: 'Get logs of a model or pipeline',
    description: [
      "Reads the logs of a Model's serving pods or a Pipeline's run pods (source: pods; the newest pod",
      'unless one is named; the pods found are listed), or its lines in the central log store (source:',
      'store, Loki, over the last `since`). `search` keeps only lines containing the text',
      '(case-insensitive). Needs ml.logs.read on the namespace. Read-only.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            entity: z
              .string()
              .min(1)
              .max(300)
              .describe(
                'The Model: fraud-detector or model:default/fraud-detector; a Pipeline as pipeline:default/fraud-training',
              ),
            source: z
              .enum(['pods', 'store'])
              .optional()
              .describe('pods (default): the Kubernetes pods; store: Loki'),
            pod: z
              .string()
              .max(253)
              .optional()
              .describe('Pod name, from a previous answer; default the newest'),
            container: z.string().max(63).optional(),
            since: z
              .string()
              .max(8)
              .optional()
              .describe('How far back, like 15m, 1h or 24h'),
            lines: z
              .number()
              .int()
              .optional()
              .describe(
                `Most lines to return (default ${DEFAULT_LINES}, at most ${LOG_LIMITS.maxTail})`,
              ),
            search: z.string().max(LOG_LIMITS.maxSearchLength).optional(),
          })
          .strict(),
      output: z =>
        z.object({
          source: z.enum(['pods', 'store']),
          pod: z
            .object({
              cluster: z.string(),
              namespace: z.string(),
              name: z.string(),
              container: z.string(),
            })
            .optional(),
          pods: z.array(z.string()).optional(),
          query: z.string().optional(),
          message: z.string().optional(),
          lines: z.array(
            z.object({ time: z.string().nullable(), text: z.string() }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const target = modelOrPipelineEntity(input.entity);
      const limit = input.lines ?? DEFAULT_LINES;
      if (input.source === 'store') {
        const query = parseInput(
          logStoreQuerySchema,
          {
            since: input.since ?? '1h',
            ...(input.search ? { search: input.search } : {}),
            limit: String(limit),
          },
          'input',
        );
        const res = await logStore.query(target, query, credentials);
        return {
          output: {
            source: 'store' as const,
            ...(res.query ? { query: res.query } : {}),
            ...(res.message ? { message: res.message } : {}),
            lines: plain(res.lines),
          },
        };
      }
      const found = await podLogs.listPods(target, credentials);
      if (!found.configured) {
        return {
          output: {
            source: 'pods' as const,
            message: found.message,
            lines: [],
          },
        };
      }
      const pod = input.pod
        ? found.pods.find(p => p.name === input.pod)
        : found.pods[0];
      if (!pod) {
        throw new NotFoundError(
          input.pod
            ? `pod ${input.pod} is not one of ${
                input.entity
              }'s pods; they are: ${
                found.pods.map(p => p.name).join(', ') || 'none'
              }`
            : `no pod of ${input.entity} was found (selector ${found.selector})`,
        );
      }
      const query = parseInput(
        podLogsQuerySchema,
        {
          cluster: pod.cluster,
          podNamespace: pod.namespace,
          pod: pod.name,
          ...(input.container ? { container: input.container } : {}),
          ...(input.since ? { since: input.since } : {}),
          ...(input.search ? { search: input.search } : {}),
          tail: String(limit),
        },
        'input',
      );
      const res = await podLogs.readLogs(target, query, credentials);
      return {
        output: {
          source: 'pods' as const,
          pod: res.pod,
          pods: found.pods.map(p => p.name),
          lines: plain(res.lines),
        },
      };
    },
  });
}
