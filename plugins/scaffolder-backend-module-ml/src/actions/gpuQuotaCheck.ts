import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { fitGpus } from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';
import { examples } from './gpuQuotaCheck.examples';
import { parsePlacementInput, placementInput } from './notebookInput';

/**
 * Creates `ml:gpu-quota:check`: fails the run, with the numbers, when a team's
 * namespace cannot give the requested GPUs (free + borrowable).
 *
 * @public
 */
export function createGpuQuotaCheckAction(options: { ml: MlService }) {
  const { ml } = options;
  return createTemplateAction({
    id: 'ml:gpu-quota:check',
    description:
      'Checks that a namespace on a cluster has the requested GPUs free or borrowable, and fails with the numbers when not',
    supportsDryRun: true,
    examples,
    schema: {
      input: placementInput,
      output: {
        free: z => z.number(),
        borrowable: z => z.number(),
        available: z => z.number(),
        flavor: z => z.string().optional(),
        team: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const placement = parsePlacementInput(ctx.input);
      const { cluster, namespace, gpus, gpuResource: resource } = placement;
      const response = await ml.getQuotas(
        { cluster, namespace },
        { credentials: await ctx.getInitiatorCredentials() },
      );
      const status = response.clusters.find(c => c.name === cluster);
      if (status && !status.available) {
        throw new Error(
          `cluster ${cluster} is unavailable, cannot check its quota: ${status.error}`,
        );
      }
      const quotas = response.quotas.filter(q => q.namespace === namespace);
      if (quotas.length === 0) {
        throw new InputError(
          `namespace ${namespace} on ${cluster} has no GPU quota; pick a namespace of your team`,
        );
      }
      // Stricter than a notebook: even 0 GPUs must name a resource the quota has.
      const { availability, shortfall } = fitGpus(quotas, placement);
      if (!availability || shortfall) throw new InputError(shortfall);
      ctx.logger.info(
        `${gpus} ${resource} fit in ${namespace} on ${cluster}: ${availability.free} free, ${availability.borrowable} borrowable`,
      );
      ctx.output('free', availability.free);
      ctx.output('borrowable', availability.borrowable);
      ctx.output('available', availability.available);
      if (availability.flavor) ctx.output('flavor', availability.flavor);
      if (quotas[0].team) ctx.output('team', quotas[0].team);
    },
  });
}
