import { UserInfoService } from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { ServiceUnavailableError } from '@backstage/errors';
import { NOTEBOOK_DEFAULTS } from '@mlplatform/plugin-ml-common';
import { NotebookService } from '../services/kubernetes/NotebookService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import {
  notebookCaller,
  parseCreateNotebookRequest,
  parseQuotaFilter,
} from '../services/kubernetes/requests';
import { WaitEstimateService } from '../services/queueWaits/WaitEstimateService';
import { explainPendingWorkloads } from './explainPending';
import { withWaitEstimates } from './queueWaitActions';
import { userCredentials } from './refs';

/**
 * `get-gpu-quota`, `explain-pending-workload` and `create-notebook`: the same
 * input validation, QuotaService and NotebookService as `GET /quotas` and
 * `POST /notebooks`, so the permission check, the free + borrowable check
 * and the audit record are the ones the UI gets.
 */
export function registerKubernetesActions(options: {
  actionsRegistry: ActionsRegistryService;
  userInfo: UserInfoService;
  quotaService: QuotaService;
  notebookService: NotebookService;
  /** Wait estimates for pending Kueue workloads, when set up. */
  waits?: WaitEstimateService;
}) {
  const { actionsRegistry, userInfo, quotaService, notebookService, waits } =
    options;

  actionsRegistry.register({
    name: 'get-gpu-quota',
    title: 'Get GPU quota',
    description: [
      "Shows the GPU quotas of the ML platform's Kubernetes clusters: per cluster, namespace and owning team,",
      "each quota's GPUs per resource (nvidia.com/gpu or a MIG slice like nvidia.com/mig-1g.10gb) and Kueue flavor:",
      '`hard` (the quota), `used`, `free` (hard - used) and `borrowable` (what its Kueue cohort can lend now),',
      'both less `promised` (GPUs promised to notebooks and deployments being created that the cluster does not count yet).',
      'A new workload can get at most free + borrowable of one flavor. Each quota also lists its pending workloads.',
      'Filter by cluster, namespace or team (e.g. fraud-team); with no filter every quota is returned.',
      'Clusters that did not answer are listed with available=false and the error.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            cluster: z
              .string()
              .optional()
              .describe(
                'Cluster name from the portal config, e.g. gpu-cluster-a',
              ),
            namespace: z
              .string()
              .optional()
              .describe('Kubernetes namespace of a team, e.g. fraud'),
            team: z
              .string()
              .optional()
              .describe('Owning team: fraud-team or group:default/fraud-team'),
          })
          .strict(),
      output: z => {
        const gpuResource = z.object({
          resource: z.string(),
          flavor: z.string().optional(),
          hard: z.number(),
          used: z.number(),
          reserved: z.number().optional(),
          free: z.number(),
          borrowable: z.number(),
          borrowingLimit: z.number().optional(),
          promised: z.number().optional(),
        });
        const pending = z.object({
          kind: z.enum(['Workload', 'Pod']),
          name: z.string(),
          namespace: z.string(),
          queue: z.string().optional(),
          gpus: z.record(z.number()),
          reason: z.string(),
          message: z.string(),
          since: z.string().optional(),
          kueueReason: z.string().optional(),
          clusterQueue: z.string().optional(),
          positionInClusterQueue: z.number().optional(),
          positionInLocalQueue: z.number().optional(),
          explanation: z.string().optional(),
        });
        return z.object({
          clusters: z.array(
            z.object({
              name: z.string(),
              available: z.boolean(),
              error: z.string().optional(),
              fetchedAt: z.string().optional(),
              queuePositions: z
                .enum(['available', 'absent', 'forbidden', 'unavailable'])
                .optional(),
              notes: z.array(z.string()).optional(),
            }),
          ),
          quotas: z.array(
            z.object({
              cluster: z.string(),
              namespace: z.string(),
              team: z.string().optional(),
              source: z.enum(['resourcequota', 'kueue']),
              name: z.string(),
              clusterQueue: z.string().optional(),
              localQueue: z.string().optional(),
              cohort: z.string().optional(),
              resources: z.array(gpuResource),
              pending: z.array(pending),
            }),
          ),
        });
      },
    },
    action: async ({ input }) => ({
      output: await quotaService.getQuotas(parseQuotaFilter(input)),
    }),
  });

  actionsRegistry.register({
    name: 'explain-pending-workload',
    title: 'Explain pending workload',
    description: [
      'Explains why GPU workloads in a namespace are not running: each pending Kueue Workload, or pod that a',
      "ResourceQuota refused (FailedCreate) or the scheduler could not place, with Kueue's or the quota event's",
      'own message, the queue, the GPUs it asks for, what its quota has free and can borrow from its cohort for',
      "each of those resources, its place in the queue (how many workloads are ahead, from Kueue's visibility API",
      'when the cluster serves it; `notes` says when it does not), the reason in plain words, and a one-sentence',
      'explanation to relay to the user. For Kueue workloads, `waitEstimate` says how long workloads of the same',
      'ClusterQueue, flavor and size waited before (median and 90th percentile with the number of admissions), or',
      'that there is not enough history; it is an estimate from history, not a promise.',
      'Give the workload name to explain only that one. An empty list means nothing there is waiting for GPUs.',
    ].join(' '),
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z
          .object({
            cluster: z
              .string()
              .min(1)
              .describe(
                'Cluster name from the portal config, e.g. gpu-cluster-a',
              ),
            namespace: z
              .string()
              .min(1)
              .describe('Kubernetes namespace, e.g. recsys'),
            workload: z
              .string()
              .min(1)
              .max(253)
              .optional()
              .describe(
                'Name of one Kueue Workload or pod to explain; all pending ones when absent',
              ),
          })
          .strict(),
      output: z => {
        const quotaRow = z.object({
          resource: z.string(),
          flavor: z.string().optional(),
          hard: z.number(),
          used: z.number(),
          reserved: z.number().optional(),
          free: z.number(),
          borrowable: z.number(),
          borrowingLimit: z.number().optional(),
          promised: z.number().optional(),
        });
        return z.object({
          cluster: z.string(),
          namespace: z.string(),
          summary: z.string(),
          notes: z
            .array(z.string())
            .optional()
            .describe(
              "Why queue positions are missing (Kueue's visibility API absent or refused), when they are",
            ),
          workloads: z.array(
            z.object({
              kind: z.enum(['Workload', 'Pod']),
              name: z.string(),
              namespace: z.string(),
              cluster: z.string(),
              queue: z.string().optional(),
              quota: z.object({
                source: z.enum(['resourcequota', 'kueue']),
                name: z.string(),
                clusterQueue: z.string().optional(),
                cohort: z.string().optional(),
              }),
              reason: z.string(),
              message: z.string(),
              since: z.string().optional(),
              kueueReason: z.string().optional(),
              positionInClusterQueue: z
                .number()
                .optional()
                .describe(
                  "0-based place in its ClusterQueue from Kueue's visibility API: this many workloads are ahead of it",
                ),
              positionInLocalQueue: z.number().optional(),
              plainReason: z
                .string()
                .describe(
                  'Why it waits in plain words, with how many workloads are ahead when known',
                ),
              requested: z.record(z.number()),
              resources: z.array(
                z.object({
                  resource: z.string(),
                  requested: z.number(),
                  flavor: z.string().optional(),
                  free: z.number(),
                  borrowable: z.number(),
                  quota: z.array(quotaRow),
                }),
              ),
              explanation: z.string(),
              waitEstimate: z
                .object({
                  status: z.enum(['estimated', 'insufficient']),
                  p50Seconds: z.number().optional(),
                  p90Seconds: z.number().optional(),
                  samples: z.number(),
                  source: z.enum(['observed', 'prometheus']).optional(),
                  summary: z.string(),
                })
                .optional()
                .describe(
                  "How long workloads of this shape (ClusterQueue, flavor, size) waited from creation to admission: median and 90th percentile with the number of admissions behind them, or 'insufficient' when there is not enough history. Relay the sample count; never present it as a promise.",
                ),
            }),
          ),
        });
      },
    },
    action: async ({ input }) => {
      const { cluster, namespace } = parseQuotaFilter({
        cluster: input.cluster,
        namespace: input.namespace,
      });
      const { clusters, quotas } = await quotaService.getQuotas({
        cluster,
        namespace,
      });
      const unavailable = clusters.find(c => !c.available);
      if (unavailable) {
        throw new ServiceUnavailableError(
          `cluster ${unavailable.name} did not answer: ${unavailable.error}`,
        );
      }
      const workloads = await withWaitEstimates(
        explainPendingWorkloads(cluster!, quotas, input.workload),
        waits,
      );
      const where = `${namespace} on ${cluster}`;
      let summary: string;
      if (workloads.length) {
        summary = `${workloads.length} workload(s) waiting for GPUs in ${where}.`;
      } else if (input.workload) {
        summary = `${input.workload} is not waiting for GPUs in ${where}: it is admitted, finished, or does not exist.`;
      } else if (!quotas.length) {
        summary = `No GPU quota covers ${where}, so nothing there waits for quota.`;
      } else {
        summary = `Nothing is waiting for GPUs in ${where}.`;
      }
      const notes = clusters.flatMap(c => c.notes ?? []);
      return {
        output: {
          cluster: cluster!,
          namespace: namespace!,
          summary,
          ...(notes.length ? { notes } : {}),
          workloads,
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'create-notebook',
    title: 'Create notebook',
    description: [
      "Creates a Jupyter notebook server for the calling user on a team's GPU quota, like the portal's",
      '"New notebook" form. Say where: `quota` (a GpuQuota entity such as gpuquota:default/fraud-a100),',
      'or `cluster` and `namespace`. The caller must be a member of the team that owns the namespace,',
      "and `gpus` must fit in that quota's free + borrowable GPUs (see get-gpu-quota); otherwise it is",
      'refused with the numbers and nothing is created. Every attempt is audited.',
      'Returns the notebook (phase Pending at first) and, when configured, its URL.',
    ].join(' '),
    attributes: { destructive: false, idempotent: false, readOnly: false },
    schema: {
      input: z =>
        z
          .object({
            name: z
              .string()
              .describe(
                'Notebook name: lower-case letters, digits and -, at most 52 characters',
              ),
            quota: z
              .string()
              .optional()
              .describe(
                'GpuQuota entity ref, e.g. gpuquota:default/fraud-a100',
              ),
            cluster: z
              .string()
              .optional()
              .describe('Cluster name, with namespace, when no quota is given'),
            namespace: z
              .string()
              .optional()
              .describe('Team namespace, with cluster, when no quota is given'),
            // The notebook defaults (the ones the API applies), shown to the
            // assistant so it can ask for "a notebook with 1 GPU" without
            // knowing images; the handler parses with the API's schema.
            image: z
              .string()
              .default(NOTEBOOK_DEFAULTS.image)
              .describe(
                `Container image; default ${NOTEBOOK_DEFAULTS.image} (JupyterLab with PyTorch)`,
              ),
            cpu: z
              .string()
              .default(NOTEBOOK_DEFAULTS.cpu)
              .describe(
                `Kubernetes CPU quantity from 100m to 64; default "${NOTEBOOK_DEFAULTS.cpu}"`,
              ),
            memory: z
              .string()
              .default(NOTEBOOK_DEFAULTS.memory)
              .describe(
                `Kubernetes memory quantity from 128Mi to 1Ti; default "${NOTEBOOK_DEFAULTS.memory}"`,
              ),
            gpus: z
              .number()
              .int()
              .describe('Whole GPUs, 0 to 64; 0 for a CPU-only notebook'),
            gpuResource: z
              .string()
              .optional()
              .describe(
                `GPU resource: ${NOTEBOOK_DEFAULTS.gpuResource} (default) or a MIG slice like nvidia.com/mig-1g.10gb`,
              ),
            flavor: z
              .string()
              .optional()
              .describe(
                'Kueue ResourceFlavor, e.g. a100-80gb; the roomiest one when absent',
              ),
            storage: z
              .string()
              .optional()
              .describe(
                `Workspace volume size from 1Gi to 16Ti; default ${NOTEBOOK_DEFAULTS.storage}`,
              ),
          })
          .strict(),
      output: z =>
        z.object({
          name: z.string(),
          cluster: z.string(),
          namespace: z.string(),
          team: z.string().optional(),
          createdBy: z.string(),
          image: z.string(),
          cpu: z.string(),
          memory: z.string(),
          storage: z.string(),
          gpus: z.number(),
          gpuResource: z.string(),
          flavor: z.string().optional(),
          backend: z.enum(['kubeflow', 'statefulset', 'jupyterhub']),
          queue: z.string().optional(),
          phase: z.enum(['Pending', 'Running', 'Stopped', 'Failed', 'Unknown']),
          message: z.string().optional(),
          url: z.string().optional(),
          createdAt: z.string(),
        }),
    },
    action: async ({ input, credentials }) => {
      const user = userCredentials(credentials, 'create-notebook');
      const request = parseCreateNotebookRequest(input);
      const caller = await notebookCaller(userInfo, user);
      return { output: await notebookService.create(request, caller) };
    },
  });
}
