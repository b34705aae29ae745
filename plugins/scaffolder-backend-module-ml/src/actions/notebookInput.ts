import {
  createNotebookRequestSchema,
  gpuRequestSchema,
  MAX_NOTEBOOK_GPUS,
  NOTEBOOK_DEFAULTS,
  ParsedCreateNotebookRequest,
  ParsedGpuRequest,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import type { z as zv3 } from 'zod/v3';

type Z = typeof zv3;

/*
 * The inputs of `ml:gpu-quota:check` and `ml:notebook:create`. The scaffolder
 * wants zod v3 callbacks for its JSON-schema form and action list, so these
 * only say what each input is; the handlers parse `ctx.input` with the ML
 * API's own schemas (ml-common), so a bad input fails the task with the
 * message the API, the MCP tool and the portal's form give.
 */

/** Where a workload runs and whose GPUs it spends. */
export const placementInput = {
  cluster: (z: Z) =>
    z
      .string()
      .describe('Cluster name, as configured under ml.kubernetes.clusters'),
  namespace: (z: Z) =>
    z.string().describe("The team's namespace on that cluster"),
  gpus: (z: Z) =>
    z
      .number()
      .describe(
        `Whole GPUs (or MIG slices), 0 to ${MAX_NOTEBOOK_GPUS}; 0 for none`,
      ),
  gpuResource: (z: Z) =>
    z
      .string()
      .optional()
      .describe(
        `GPU resource name, nvidia.com/gpu or nvidia.com/mig-<profile>; ${NOTEBOOK_DEFAULTS.gpuResource} when not given`,
      ),
  flavor: (z: Z) =>
    z
      .string()
      .optional()
      .describe('Kueue ResourceFlavor, when the quota has several'),
};

/** The inputs of `ml:notebook:create`: the notebook request's fields. */
export const notebookInput = {
  name: (z: Z) =>
    z
      .string()
      .describe(
        'Notebook name: lowercase letters, digits and "-", at most 52 characters',
      ),
  ...placementInput,
  image: (z: Z) =>
    z
      .string()
      .optional()
      .describe(`Container image; ${NOTEBOOK_DEFAULTS.image} when not given`),
  cpu: (z: Z) =>
    z
      .string()
      .optional()
      .describe(`CPU, 100m to 64; ${NOTEBOOK_DEFAULTS.cpu} when not given`),
  memory: (z: Z) =>
    z
      .string()
      .optional()
      .describe(
        `Memory, 128Mi to 1Ti; ${NOTEBOOK_DEFAULTS.memory} when not given`,
      ),
  storage: (z: Z) =>
    z
      .string()
      .optional()
      .describe(
        `Workspace volume, 1Gi to 16Ti; ${NOTEBOOK_DEFAULTS.storage} when not given`,
      ),
};

/** A template leaves an unset optional parameter empty; that means "not given". */
export function given<T extends Record<string, unknown>>(
  input: T,
  optional: string[],
): Partial<T> {
  return Object.fromEntries(
    Object.entries(input).filter(
      ([key, value]) =>
        value !== undefined && !(optional.includes(key) && value === ''),
    ),
  ) as Partial<T>;
}

/**
 * The input of `ml:notebook:create` as the API's create-notebook request:
 * valid, with the notebook defaults applied, or an `InputError` with the
 * API's message.
 */
export function parseNotebookInput(
  input: Record<string, unknown>,
): ParsedCreateNotebookRequest {
  return parseMlInput(
    createNotebookRequestSchema,
    given(input, [
      'image',
      'cpu',
      'memory',
      'storage',
      'gpuResource',
      'flavor',
    ]),
    'notebook',
  );
}

/** The input of `ml:gpu-quota:check`, parsed with the notebook rules. */
export function parsePlacementInput(
  input: Record<string, unknown>,
): ParsedGpuRequest {
  return parseMlInput(
    gpuRequestSchema,
    given(input, ['gpuResource', 'flavor']),
    'placement',
  );
}
