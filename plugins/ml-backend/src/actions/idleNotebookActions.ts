import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  describeIdle,
  describeIdleNamespace,
  IDLE_NOTEBOOKS_STATUSES,
  idleNotebooksQuerySchema,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import { IdleNotebooks } from '../services/kubernetes/IdleNotebooks';

/**
 * `get-idle-notebooks`: notebooks holding GPUs that DCGM has seen idle, with
 * the policy that applies, through the same detection cycle and filter as
 * `GET /notebooks/idle` (My notebooks and the GPU quota page), sentences
 * included so an assistant says what the cards say.
 *
 * @internal
 */
export function registerIdleNotebookActions(options: {
  actionsRegistry: ActionsRegistryService;
  idle: IdleNotebooks;
}) {
  const { actionsRegistry, idle } = options;
  actionsRegistry.register({
    name: 'get-idle-notebooks',
    title: 'Notebooks holding idle GPUs',
    description: [
      'Notebooks (Kubeflow Notebooks, StatefulSets and JupyterHub named servers created through the portal)',
      'whose GPUs NVIDIA DCGM has seen below the idle threshold for longer than the idle window, per namespace',
      '("3 GPUs held by 2 idle notebooks in fraud"), with each one\'s owner, utilisation, how long it has been idle,',
      'whether its owner exempted it and when the idle policy warned or will stop it. Filter by cluster,',
      "namespace or team (a Group ref), or `mine: true` for the caller's own. `status` is not `ok` when",
      'Prometheus or DCGM metrics are missing; `message` then says what to do.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true, destructive: false },
    schema: {
      input: z =>
        z
          .object({
            mine: z
              .boolean()
              .optional()
              .describe("Only the caller's own notebooks"),
            cluster: z.string().optional().describe('Cluster name'),
            namespace: z.string().optional().describe('Namespace'),
            team: z
              .string()
              .optional()
              .describe('Owning team, e.g. group:default/fraud-team'),
          })
          .strict(),
      output: z =>
        z.object({
          status: z.enum(IDLE_NOTEBOOKS_STATUSES),
          message: z.string().optional(),
          threshold: z.number(),
          afterSeconds: z.number(),
          action: z.enum(['notify', 'stop']).optional(),
          checkedAt: z.string(),
          summary: z.array(z.string()),
          namespaces: z.array(
            z.object({
              cluster: z.string(),
              namespace: z.string(),
              team: z.string().optional(),
              gpus: z.number(),
              notebooks: z.number(),
            }),
          ),
          notebooks: z.array(
            z.object({
              cluster: z.string(),
              namespace: z.string(),
              name: z.string(),
              backend: z.string().optional(),
              team: z.string().optional(),
              createdBy: z.string(),
              gpus: z.number(),
              utilization: z.number(),
              idle: z.string(),
              idleSince: z.string(),
              exempt: z.boolean(),
              warnedAt: z.string().optional(),
              stopsAt: z.string().optional(),
            }),
          ),
        }),
    },
    action: async ({ input, credentials }) => {
      const { mine, ...rest } = input;
      const filter = parseMlInput(
        idleNotebooksQuerySchema,
        { ...rest, ...(mine === undefined ? {} : { mine: String(mine) }) },
        // The route's word, so both refuse bad input with one sentence.
        'query',
      );
      const principal = credentials.principal as {
        type: string;
        userEntityRef?: string;
      };
      const self =
        principal.type === 'user' ? principal.userEntityRef : undefined;
      const { items, namespaces, ...cycle } = await idle.list(filter, self);
      return {
        output: {
          ...cycle,
          summary: namespaces.map(
            row => `${describeIdleNamespace(row)} on ${row.cluster}`,
          ),
          namespaces,
          notebooks: items.map(n => ({
            cluster: n.cluster,
            namespace: n.namespace,
            name: n.name,
            ...(n.backend ? { backend: n.backend } : {}),
            ...(n.team ? { team: n.team } : {}),
            createdBy: n.createdBy,
            gpus: n.gpus,
            utilization: n.utilization,
            idle: describeIdle(n),
            idleSince: n.idleSince,
            exempt: n.exempt,
            ...(n.warnedAt ? { warnedAt: n.warnedAt } : {}),
            ...(n.stopsAt ? { stopsAt: n.stopsAt } : {}),
          })),
        },
      };
    },
  });
}
