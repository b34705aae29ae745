import {
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { z } from 'zod';
import { GPU_RESOURCE_PATTERN } from '../kubernetesApi';
import {
  boundedQuantity,
  clusterName,
  dnsLabel,
  dnsSubdomain,
  imageReference,
} from './patterns';

/*
 * The notebook and GPU-quota requests of `/api/ml`. The backend route, the
 * MCP actions, the scaffolder actions and the "New notebook" form all parse
 * with these, so a bad notebook is refused with one message everywhere, and
 * the defaults below are applied in this one place.
 */

/** The GPU resource a request spends when it names none. @public */
export const DEFAULT_GPU_RESOURCE = 'nvidia.com/gpu';

/** Most GPUs one notebook (or quota check) may ask for. @public */
export const MAX_NOTEBOOK_GPUS = 64;

/**
 * What a notebook gets when the request leaves a field out: the first image
 * of the GPU notebook template and its sizes.
 *
 * @public
 */
export const NOTEBOOK_DEFAULTS = {
  image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
  cpu: '4',
  memory: '16Gi',
  storage: '10Gi',
  gpuResource: DEFAULT_GPU_RESOURCE,
} as const;

/** Whole devices; one message for a fraction, whether typed or sent. */
const gpuCount = () =>
  z
    .number()
    .int('must be a whole number, 0 or more')
    .min(0)
    .max(MAX_NOTEBOOK_GPUS);

const gpuResource = () =>
  z
    .string()
    .regex(
      GPU_RESOURCE_PATTERN,
      'must be nvidia.com/gpu or nvidia.com/mig-<profile>',
    );

const flavor = () => dnsSubdomain('ResourceFlavor name');

/** A notebook's name: its StatefulSet pod adds `-0`, so 52 and not 63. */
const notebookName = () => dnsLabel(52);

/**
 * Body of `POST /api/ml/notebooks` (and the `create-notebook` action and
 * `ml:notebook:create`). Either `quota` (a GpuQuota entity ref) or `cluster`
 * + `namespace` says where the notebook runs and whose GPUs it spends; every
 * field with a default in {@link NOTEBOOK_DEFAULTS} may be left out.
 *
 * @public
 */
export const createNotebookRequestSchema = z
  .object({
    /** DNS-1123 label, at most 52 characters. */
    name: notebookName(),
    /** GpuQuota entity ref, e.g. `gpuquota:default/fraud-a100`. */
    quota: z.string().min(1).max(512).optional(),
    cluster: clusterName().optional(),
    namespace: dnsLabel().optional(),
    /** Container image. */
    image: imageReference().default(NOTEBOOK_DEFAULTS.image),
    /** Kubernetes CPU quantity, e.g. `2` or `500m`. */
    cpu: boundedQuantity('cpu', 0.1, 64, '100m..64').default(
      NOTEBOOK_DEFAULTS.cpu,
    ),
    /** Kubernetes memory quantity, e.g. `8Gi`. */
    memory: boundedQuantity('memory', 2 ** 27, 2 ** 40, '128Mi..1Ti').default(
      NOTEBOOK_DEFAULTS.memory,
    ),
    /** Whole devices of `gpuResource`; 0 for a CPU-only notebook. */
    gpus: gpuCount(),
    gpuResource: gpuResource().default(NOTEBOOK_DEFAULTS.gpuResource),
    /** Kueue ResourceFlavor to ask for, when the quota has several. */
    flavor: flavor().optional(),
    /** Workspace volume size. */
    storage: boundedQuantity('storage', 2 ** 30, 2 ** 44, '1Gi..16Ti').default(
      NOTEBOOK_DEFAULTS.storage,
    ),
  })
  .strict();

/**
 * Body of `POST /api/ml/notebooks` as a caller writes it.
 *
 * @public
 */
export type CreateNotebookRequest = z.input<typeof createNotebookRequestSchema>;

/**
 * A create-notebook request after parsing: valid, with every default applied.
 *
 * @public
 */
export type ParsedCreateNotebookRequest = z.output<
  typeof createNotebookRequestSchema
>;

/**
 * Path of one notebook: `/api/ml/notebooks/:cluster/:namespace/:name`.
 *
 * @public
 */
export const notebookPathSchema = z.object({
  cluster: clusterName(),
  namespace: dnsLabel(),
  name: notebookName(),
});

/** Path of one notebook, parsed. @public */
export type NotebookPath = z.output<typeof notebookPathSchema>;

const validateRef = makeValidator();

/**
 * Query of `GET /api/ml/quotas` (and the quota actions). `team` may be
 * `fraud-team`, `group:fraud-team` or `group:default/fraud-team`; it parses
 * to the full group ref.
 *
 * @public
 */
export const gpuQuotasQuerySchema = z
  .object({
    cluster: clusterName().optional(),
    namespace: dnsLabel().optional(),
    team: z
      .string()
      .min(1)
      .max(512)
      .transform((team, ctx) => {
        let ref;
        try {
          ref = parseEntityRef(team, {
            defaultKind: 'group',
            defaultNamespace: 'default',
          });
        } catch {
          ctx.addIssue({
            code: 'custom',
            message: `not an entity ref: "${team}"`,
          });
          return z.NEVER;
        }
        // parseEntityRef splits but does not validate: `group:default/../x` parses.
        if (
          !validateRef.isValidKind(ref.kind) ||
          !validateRef.isValidNamespace(ref.namespace) ||
          !validateRef.isValidEntityName(ref.name)
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `"${team}" is not a valid entity ref (names are letters, digits and single - _ . between them)`,
          });
          return z.NEVER;
        }
        return stringifyEntityRef(ref);
      })
      .optional(),
  })
  .strict();

/** Query of `GET /api/ml/quotas` as a caller writes it. @public */
export type GpuQuotasQuery = z.input<typeof gpuQuotasQuerySchema>;

/** Query of `GET /api/ml/quotas`, parsed: `team` is a full group ref. @public */
export type ParsedGpuQuotasQuery = z.output<typeof gpuQuotasQuerySchema>;

/**
 * Where a GPU workload runs and what it asks for: the placement a template
 * checks (`ml:gpu-quota:check`) before it creates anything. The fields are
 * the notebook request's, with the same rules and messages.
 *
 * @public
 */
export const gpuRequestSchema = z
  .object({
    cluster: clusterName(),
    namespace: dnsLabel(),
    gpus: gpuCount(),
    gpuResource: gpuResource().default(DEFAULT_GPU_RESOURCE),
    flavor: flavor().optional(),
  })
  .strict();

/** A GPU placement as a caller writes it. @public */
export type GpuRequest = z.input<typeof gpuRequestSchema>;

/** A GPU placement, parsed. @public */
export type ParsedGpuRequest = z.output<typeof gpuRequestSchema>;
