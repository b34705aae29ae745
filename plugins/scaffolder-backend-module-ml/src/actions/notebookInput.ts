import type { z as zv3 } from 'zod/v3';

type Z = typeof zv3;

/** DNS-1123 label, ≤ 52 characters (StatefulSet pod names add a suffix). */
export const NOTEBOOK_NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;
/** A DNS-1123 label (namespace). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A Kubernetes quantity such as 2, 500m, 8Gi. */
export const QUANTITY =
  /^\+?[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
/** nvidia.com/gpu or a MIG profile. */
export const GPU_RESOURCE = /^nvidia\.com\/(gpu|mig-[0-9]+g\.[0-9]+gb)$/;

/** Where a workload runs and whose GPUs it spends. */
export const placementInput = {
  cluster: (z: Z) =>
    z
      .string()
      .min(1)
      .describe('Cluster name, as configured under ml.kubernetes.clusters'),
  namespace: (z: Z) =>
    z
      .string()
      .regex(DNS_LABEL)
      .describe("The team's namespace on that cluster"),
  gpus: (z: Z) =>
    z.number().int().min(0).max(64).describe('Whole GPUs (or MIG slices)'),
  gpuResource: (z: Z) =>
    z
      .string()
      .regex(GPU_RESOURCE)
      .optional()
      .describe('GPU resource name; nvidia.com/gpu when not given'),
  flavor: (z: Z) =>
    z
      .string()
      .regex(DNS_LABEL)
      .optional()
      .describe('Kueue ResourceFlavor, when the quota has several'),
};
