import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { fitGpus } from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';
import { examples } from './notebookCreate.examples';
import { notebookInput, parseNotebookInput } from './notebookInput';
import { followSpawn } from './notebookSpawn';

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
      "Creates a Jupyter notebook with GPUs in a team's namespace (Kubeflow Notebook, StatefulSet or JupyterHub named server, whose start it follows), within the team's quota",
    supportsDryRun: true,
    examples,
    schema: {
      input: notebookInput,
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
      const request = parseNotebookInput(input);

      if (ctx.isDryRun) {
        // Read-only: say whether it would fit, create nothing.
        const response = await ml.getQuotas(
          { cluster: input.cluster, namespace: input.namespace },
          { credentials },
        );
        const fit = fitGpus(response.quotas, {
          ...request,
          cluster: input.cluster,
          namespace: input.namespace,
        });
        if (!fit.fits) throw new InputError(fit.shortfall);
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
      let { url, phase } = notebook;
      if (notebook.backend === 'jupyterhub') {
        // The run shows JupyterHub's spawn progress and ends when it is ready.
        const ready = await followSpawn(ml, notebook, credentials, ctx.logger);
        if (ready) {
          url = ready;
          phase = 'Running';
        }
      }
      ctx.output('name', notebook.name);
      ctx.output('cluster', notebook.cluster);
      ctx.output('namespace', notebook.namespace);
      ctx.output('phase', phase);
      ctx.output('backend', notebook.backend);
      if (url) ctx.output('url', url);
    },
  });
}
