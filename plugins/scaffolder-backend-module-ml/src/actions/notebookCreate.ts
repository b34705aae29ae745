import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  availableGpus,
  describeGpuShortfall,
} from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';
import { examples } from './notebookCreate.examples';
import { NOTEBOOK_NAME, QUANTITY, placementInput } from './notebookInput';

/**
 * Creates `ml:notebook:create`: creates a GPU notebook through the ML
 * backend's `POST /api/ml/notebooks`, as the user running the template — the
 * same code path, checks and audit as the portal's "New notebook" dialog.
 *
 * @public
 */
export function createNotebookCreateAction(options: { ml: MlService }) {
  const { ml } = options;
  return createTemplateAction({
    id: 'ml:notebook:create',
    description:
      "Creates a Jupyter notebook with GPUs in a team's namespace (Kubeflow Notebook or StatefulSet), within the team's quota",
    supportsDryRun: true,
    examples,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .regex(NOTEBOOK_NAME)
            .describe(
              'Notebook name: lowercase letters, digits and "-", at most 52 characters',
            ),
        ...placementInput,
        image: z =>
          z
            .string()
            .regex(/^[a-z0-9]+([._\-/:@][a-zA-Z0-9_.\-]+)*$/)
            .max(512)
            .describe('Container image'),
        cpu: z => z.string().regex(QUANTITY).describe('CPU, e.g. 4 or 500m'),
        memory: z => z.string().regex(QUANTITY).describe('Memory, e.g. 16Gi'),
        storage: z =>
          z
            .string()
            .regex(QUANTITY)
            .optional()
            .describe('Workspace volume; 10Gi when not given'),
      },
      output: {
        name: z => z.string(),
        cluster: z => z.string(),
        namespace: z => z.string(),
        phase: z => z.string(),
        url: z => z.string().optional(),
        backend: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const credentials = await ctx.getInitiatorCredentials();
      const request = {
        name: input.name,
        cluster: input.cluster,
        namespace: input.namespace,
        image: input.image,
        cpu: input.cpu,
        memory: input.memory,
        storage: input.storage ?? '10Gi',
        gpus: input.gpus,
        gpuResource: input.gpuResource ?? 'nvidia.com/gpu',
        ...(input.flavor ? { flavor: input.flavor } : {}),
      };

      if (ctx.isDryRun) {
        // Read-only: say whether it would fit, create nothing.
        const response = await ml.getQuotas(
          { cluster: input.cluster, namespace: input.namespace },
          { credentials },
        );
        const availability = availableGpus(
          response.quotas,
          request.gpuResource,
          input.flavor,
        );
        if (
          request.gpus > 0 &&
          (!availability || availability.available < request.gpus)
        ) {
          throw new InputError(
            describeGpuShortfall({
              gpus: request.gpus,
              resource: request.gpuResource,
              namespace: input.namespace,
              cluster: input.cluster,
              availability,
            }),
          );
        }
        ctx.logger.info(
          `Dry run: would create notebook ${input.name} in ${input.namespace} on ${input.cluster}`,
        );
        ctx.output('name', input.name);
        ctx.output('cluster', input.cluster);
        ctx.output('namespace', input.namespace);
        ctx.output('phase', 'DryRun');
        return;
      }

      const notebook = await ctx.checkpoint({
        key: `ml-notebook-create:${input.cluster}:${input.namespace}:${input.name}`,
        fn: async () => {
          const created = await ml.createNotebook(request, { credentials });
          return {
            name: created.name,
            cluster: created.cluster,
            namespace: created.namespace,
            phase: created.phase,
            backend: created.backend,
            ...(created.url ? { url: created.url } : {}),
          };
        },
      });
      ctx.logger.info(
        `Created notebook ${notebook.name} in ${notebook.namespace} on ${notebook.cluster} (${notebook.backend}, ${notebook.phase})`,
      );
      ctx.output('name', notebook.name);
      ctx.output('cluster', notebook.cluster);
      ctx.output('namespace', notebook.namespace);
      ctx.output('phase', notebook.phase);
      ctx.output('backend', notebook.backend);
      if (notebook.url) ctx.output('url', notebook.url);
    },
  });
}
