import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  MAX_SERVING_REPLICAS,
  MODEL_SERVING_RUNTIMES,
  ModelDeploymentResponse,
  modelDeploymentRequestSchema,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { z as zv3 } from 'zod/v3';
import { examples } from './modelDeploy.examples';
import { given, placementInput } from './notebookInput';

type Z = typeof zv3;

/** The Model of a deployment: `model:<ns>/<name>`, `<ns>/<name>` or a name. */
function modelRefOf(ref: string) {
  try {
    const { kind, namespace, name } = parseEntityRef(ref, {
      defaultKind: 'model',
      defaultNamespace: 'default',
    });
    if (kind.toLocaleLowerCase('en-US') === 'model') return { namespace, name };
  } catch {
    // said below
  }
  throw new InputError(
    `Invalid deployment: model: "${ref}" is not a Model entity ref such as model:default/fraud-detector`,
  );
}

/**
 * Creates `ml:model:deploy`: serves a registry version of a Model through
 * the ML backend's `POST /api/ml/models/:namespace/:name/deployments`, as the
 * user running the template — the same checks (owning team, registry
 * version, GPUs × max replicas within the quota), manifests and audit as the
 * HTTP API and the MCP tool. The manifests the backend built are written
 * into the workspace (`targetPath`), so a GitOps repository holds exactly
 * what runs. With `apply: false`, or in a dry run, the backend checks and
 * builds but applies nothing.
 *
 * @public
 */
export function createModelDeployAction(options: { ml: MlService }) {
  const { ml } = options;
  return createTemplateAction({
    id: 'ml:model:deploy',
    description:
      "Serves a registry version of a Model in a team's namespace (KServe InferenceService, else Deployment + Service) within the team's GPU quota, and writes the manifests into the workspace",
    supportsDryRun: true,
    examples,
    schema: {
      input: {
        model: (z: Z) =>
          z.string().describe('The Model, e.g. model:default/fraud-detector'),
        name: (z: Z) =>
          z
            .string()
            .describe(
              'InferenceService (or Deployment) name: a DNS label of at most 45 characters',
            ),
        version: (z: Z) =>
          z.string().describe("A version in the Model's registry, e.g. v3"),
        runtime: (z: Z) =>
          z
            .enum(MODEL_SERVING_RUNTIMES)
            .optional()
            .describe('kserve-v2 (default) or vllm-openai for LLMs'),
        ...placementInput,
        minReplicas: (z: Z) =>
          z
            .number()
            .optional()
            .describe('At least this many replicas; 1 when not given'),
        maxReplicas: (z: Z) =>
          z
            .number()
            .optional()
            .describe(
              `At most this many (1 to ${MAX_SERVING_REPLICAS}); 1 when not given. GPUs × maxReplicas must fit the quota`,
            ),
        apply: (z: Z) =>
          z
            .boolean()
            .optional()
            .describe(
              'Apply to the cluster now (default); false only checks and writes the manifests for a GitOps tool',
            ),
        targetPath: (z: Z) =>
          z
            .string()
            .optional()
            .describe(
              'Workspace directory for the manifests; k8s when not given',
            ),
      },
      output: {
        kind: z => z.string(),
        applied: z => z.boolean(),
        storageUri: z => z.string(),
        files: z => z.array(z.string()),
        url: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { model, apply, targetPath, ...body } = ctx.input;
      const ref = modelRefOf(model);
      const dryRun = ctx.isDryRun || apply === false;
      const request = parseMlInput(
        modelDeploymentRequestSchema,
        {
          ...given(body, ['runtime', 'gpuResource', 'flavor']),
          dryRun,
        },
        'deployment',
      );
      const credentials = await ctx.getInitiatorCredentials();
      const deployed: ModelDeploymentResponse = await ctx.checkpoint({
        key: `ml-model-deploy:${request.cluster}:${request.namespace}:${request.name}:${dryRun}`,
        fn: async () =>
          JSON.parse(
            JSON.stringify(await ml.deployModel(ref, request, { credentials })),
          ),
      });
      const dir = targetPath || 'k8s';
      const files: string[] = [];
      for (const manifest of deployed.manifests) {
        const { kind } = manifest as { kind: string };
        const file = join(dir, `${kind.toLocaleLowerCase('en-US')}.yaml`);
        const target = resolveSafeChildPath(ctx.workspacePath, file);
        await fs.mkdir(resolveSafeChildPath(ctx.workspacePath, dir), {
          recursive: true,
        });
        await fs.writeFile(target, stringify(manifest), 'utf8');
        files.push(file);
      }
      ctx.logger.info(
        `${dryRun ? 'Checked, not applied' : 'Applied'}: ${deployed.kind} ${
          deployed.namespace
        }/${deployed.name} on ${deployed.cluster} serving ${
          deployed.entityRef
        } ${deployed.version} (${deployed.gpus.total} ${
          deployed.gpus.resource
        } at most); wrote ${files.join(', ')}`,
      );
      ctx.output('kind', deployed.kind);
      ctx.output('applied', !deployed.dryRun);
      ctx.output('storageUri', deployed.storageUri);
      ctx.output('files', files);
      const url = deployed.place?.url;
      if (url) ctx.output('url', url);
    },
  });
}
