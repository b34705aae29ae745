import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  ANNOTATION_MLFLOW_EXPERIMENT,
  DATASET_KIND,
  DNS_LABEL_63_PATTERN,
  DNS_LABEL_MESSAGE,
  formatMlEntityIssues,
  ML_API_VERSION,
  MODEL_KIND,
  PIPELINE_KIND,
  validateMlEntity,
} from '@mlplatform/plugin-ml-common';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { examples } from './writeEntities.examples';

/**
 * Options of {@link createWriteEntitiesAction}.
 *
 * @public
 */
export interface WriteEntitiesActionOptions {
  /**
   * The portal's model registries (`ml.registries`): `host[:port]` of each
   * OCI registry, and whether an MLflow registry is configured. When given,
   * a `registry` elsewhere is refused, since the ML backend would refuse to
   * contact it; when absent, any well-formed registry ref is written.
   */
  registries?: { ociHosts: string[]; mlflow: boolean };
}

function checkRegistry(
  ref: string,
  registries: WriteEntitiesActionOptions['registries'],
) {
  if (!registries) return;
  const oci = /^oci:\/\/([^/]+)\//.exec(ref);
  if (oci && !registries.ociHosts.includes(oci[1].toLowerCase())) {
    throw new InputError(
      `registry: host ${
        oci[1]
      } is not configured under ml.registries (configured: ${
        registries.ociHosts.join(', ') || 'none'
      })`,
    );
  }
  if (ref.startsWith('mlflow://') && !registries.mlflow) {
    throw new InputError(
      'registry: no MLflow registry is configured under ml.registries',
    );
  }
}

/**
 * Creates the `ml:catalog:write-entities` action: writes the Model, its
 * training Dataset and its training Pipeline of a new ML project into a
 * catalog-info.yaml, wired into lineage. The entities are validated as the
 * catalog will validate them, so bad input fails here, before anything is
 * published.
 *
 * @public
 */
export function createWriteEntitiesAction(
  options: WriteEntitiesActionOptions = {},
) {
  return createTemplateAction({
    id: 'ml:catalog:write-entities',
    description:
      'Writes Model, Dataset and Pipeline entities of a new ML project into a catalog-info.yaml in the workspace',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        // Entity names: what the catalog accepts and, because names become
        // Kubernetes objects too, ml-common's DNS-1123 label rule.
        name: z =>
          z.string().regex(DNS_LABEL_63_PATTERN, {
            message: `${DNS_LABEL_MESSAGE}, at most 63 characters`,
          }),
        owner: z =>
          z
            .string()
            .min(1)
            .describe('Owning group, e.g. group:default/fraud-team'),
        description: z => z.string().optional(),
        system: z => z.string().optional(),
        modelType: z =>
          z
            .enum([
              'classifier',
              'regressor',
              'llm',
              'embedding',
              'recommender',
              'other',
            ])
            .optional()
            .describe('Model type; classifier when not given'),
        framework: z =>
          z
            .string()
            .optional()
            .describe('Framework; pytorch-lightning when not given'),
        datasetLocation: z =>
          z
            .string()
            .regex(/^(s3|pvc|nfs|feast|gs|file):\/\/.+/)
            .describe(
              'Where the training data lives: s3://bucket/path, pvc://claim/path, nfs://, feast://, gs://',
            ),
        registry: z =>
          z
            .string()
            .regex(/^(oci|mlflow):\/\/.+/)
            .optional()
            .describe(
              'Where versions are pushed: oci://host/repo or mlflow://name',
            ),
        mlflowExperiment: z =>
          z
            .string()
            .max(500)
            .optional()
            .describe(
              'The MLflow experiment the training logs its runs to: the mlplatform.io/mlflow-experiment annotation of the Model and the Pipeline (docs/experiments.md); none when empty',
            ),
        schedule: z =>
          z
            .string()
            .regex(/^(\S+\s+){4}\S+$/)
            .optional()
            .describe('Cron schedule (5 fields) of the training pipeline'),
        orchestrator: z =>
          z
            .enum(['kubernetes-job', 'argo', 'kubeflow', 'airflow'])
            .optional()
            .describe(
              'What runs the training pipeline; kubernetes-job when not given',
            ),
        kubernetesId: z =>
          z
            .string()
            .regex(DNS_LABEL_63_PATTERN)
            .optional()
            .describe(
              'Value of the backstage.io/kubernetes-id label on the workloads (Model and Pipeline pages show them); the name when not given',
            ),
        techdocs: z =>
          z
            .boolean()
            .optional()
            .describe(
              'The repository has TechDocs (mkdocs.yml): annotate the Model with backstage.io/techdocs-ref dir:.',
            ),
        filePath: z =>
          z
            .string()
            .optional()
            .describe(
              'File to write, relative to the workspace; catalog-info.yaml when not given',
            ),
      },
      output: {
        entityRefs: z => z.array(z.string()),
        filePath: z => z.string(),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const filePath = input.filePath ?? 'catalog-info.yaml';
      const datasetName = `${input.name}-training-data`;
      const pipelineName = `${input.name}-training`;
      const lifecycle = 'experimental';
      const kubernetesId = input.kubernetesId ?? input.name;
      // Templates pass '' when the registry is not MLflow.
      const experiment: Record<string, string> = input.mlflowExperiment
        ? { [ANNOTATION_MLFLOW_EXPERIMENT]: input.mlflowExperiment }
        : {};
      const common = {
        owner: input.owner,
        lifecycle,
        ...(input.system ? { system: input.system } : {}),
      };

      const dataset = {
        apiVersion: ML_API_VERSION,
        kind: DATASET_KIND,
        metadata: {
          name: datasetName,
          description: `Training data of ${input.name}`,
        },
        spec: { type: 'table', ...common, location: input.datasetLocation },
      };
      const pipeline = {
        apiVersion: ML_API_VERSION,
        kind: PIPELINE_KIND,
        metadata: {
          name: pipelineName,
          description: `Trains ${input.name}`,
          annotations: {
            'backstage.io/kubernetes-id': kubernetesId,
            ...experiment,
          },
        },
        spec: {
          type: 'training',
          ...common,
          orchestrator: {
            type: input.orchestrator ?? 'kubernetes-job',
            id: pipelineName,
          },
          ...(input.schedule ? { schedule: input.schedule } : {}),
          consumes: [`dataset:${datasetName}`],
          produces: [`model:${input.name}`],
        },
      };
      const model = {
        apiVersion: ML_API_VERSION,
        kind: MODEL_KIND,
        metadata: {
          name: input.name,
          ...(input.description ? { description: input.description } : {}),
          annotations: {
            'backstage.io/kubernetes-id': kubernetesId,
            ...experiment,
            ...(input.techdocs ? { 'backstage.io/techdocs-ref': 'dir:.' } : {}),
          },
        },
        spec: {
          type: input.modelType ?? 'classifier',
          ...common,
          framework: input.framework ?? 'pytorch-lightning',
          ...(input.registry ? { registry: input.registry } : {}),
          trainedOn: [`dataset:${datasetName}`],
          producedBy: `pipeline:${pipelineName}`,
        },
      };

      if (input.registry) checkRegistry(input.registry, options.registries);
      const entities = [model, dataset, pipeline];
      for (const entity of entities) {
        const issues = validateMlEntity(entity);
        if (issues.length) {
          throw new InputError(formatMlEntityIssues(entity, issues));
        }
      }
      const text = entities.map(e => stringify(e)).join('---\n');
      const target = resolveSafeChildPath(ctx.workspacePath, filePath);
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.writeFile(target, text, 'utf8');

      const entityRefs = entities.map(e =>
        stringifyEntityRef({ kind: e.kind, name: e.metadata.name }),
      );
      ctx.logger.info(`Wrote ${entityRefs.join(', ')} to ${filePath}`);
      ctx.output('entityRefs', entityRefs);
      ctx.output('filePath', filePath);
    },
  });
}
