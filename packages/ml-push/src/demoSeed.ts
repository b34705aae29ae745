/*
 * Seeds the demo stack's OCI registry with model versions, the way the
 * example models' training pipelines would have pushed them:
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     packages/ml-push/src/demoSeed.ts http://localhost:19050
 *
 * fraud-detector v1..v3 (production -> v2, staging -> v3), product-ranker
 * v1..v2 (production -> v1), item-embedding v1 (production): the example
 * Models of examples/ml describe these. chargeback-risk and ticket-router
 * exist only in the registry: the catalog's registry Model provider adds
 * them. Metrics move between versions so the Versions card and the Promote
 * dialog have something to compare. Pushing again is a no-op (same tags,
 * same digests).
 */
import { pushModel } from '@mlplatform/plugin-ml-oci';

interface SeedVersion {
  tag: string;
  metrics: Record<string, number>;
  aliases?: string[];
  daysAgo: number;
}

const MODELS: Array<{
  repository: string;
  owner: string;
  framework: string;
  pipeline?: string;
  modelType?: string;
  trainedOn: string[];
  versions: SeedVersion[];
}> = [
  {
    repository: 'models/fraud-detector',
    owner: 'group:default/fraud-team',
    framework: 'xgboost',
    pipeline: 'pipeline:default/fraud-detector-training',
    trainedOn: [
      'dataset:default/fraud-features',
      'dataset:default/chargeback-labels',
    ],
    versions: [
      {
        tag: 'v1',
        metrics: { auc: 0.931, precision: 0.82, recall: 0.74 },
        daysAgo: 41,
      },
      {
        tag: 'v2',
        metrics: { auc: 0.952, precision: 0.86, recall: 0.77 },
        aliases: ['production'],
        daysAgo: 20,
      },
      {
        tag: 'v3',
        metrics: { auc: 0.968, precision: 0.88, recall: 0.81 },
        aliases: ['staging'],
        daysAgo: 3,
      },
    ],
  },
  {
    repository: 'models/product-ranker',
    owner: 'group:default/recsys-team',
    framework: 'pytorch',
    pipeline: 'pipeline:default/recsys-ranker-training',
    trainedOn: ['dataset:default/recsys-interaction-features'],
    versions: [
      {
        tag: 'v1',
        metrics: { ndcg_at_10: 0.412, map: 0.301 },
        aliases: ['production'],
        daysAgo: 30,
      },
      { tag: 'v2', metrics: { ndcg_at_10: 0.437, map: 0.322 }, daysAgo: 6 },
    ],
  },
  {
    repository: 'models/item-embedding',
    owner: 'group:default/recsys-team',
    framework: 'pytorch',
    pipeline: 'pipeline:default/recsys-feature-pipeline',
    trainedOn: [
      'dataset:default/clickstream-raw',
      'dataset:default/product-catalog',
    ],
    versions: [
      {
        tag: 'v1',
        metrics: { recall_at_50: 0.63 },
        aliases: ['production'],
        daysAgo: 12,
      },
    ],
  },
  {
    repository: 'models/chargeback-risk',
    owner: 'group:default/fraud-team',
    framework: 'xgboost',
    modelType: 'classifier',
    trainedOn: [
      'dataset:default/chargeback-labels',
      'dataset:default/fraud-features',
    ],
    versions: [
      { tag: 'v1', metrics: { auc: 0.88, recall: 0.71 }, daysAgo: 20 },
      {
        tag: 'v2',
        metrics: { auc: 0.9, recall: 0.74 },
        aliases: ['staging'],
        daysAgo: 3,
      },
    ],
  },
  {
    repository: 'models/ticket-router',
    owner: 'group:default/nlp-team',
    framework: 'onnx',
    modelType: 'classifier',
    trainedOn: ['dataset:default/support-tickets-curated'],
    versions: [
      {
        tag: 'v1',
        metrics: { accuracy: 0.86, macro_f1: 0.81 },
        aliases: ['production'],
        daysAgo: 15,
      },
    ],
  },
];

export async function seedDemoRegistry(registry: string): Promise<number> {
  let pushed = 0;
  for (const model of MODELS) {
    for (const version of model.versions) {
      await pushModel({
        registry,
        repository: model.repository,
        tag: version.tag,
        file: {
          name: 'model.bin',
          // Deterministic content per version, so a second seed changes nothing.
          data: Buffer.from(`${model.repository}:${version.tag}\n`.repeat(64)),
        },
        framework: model.framework,
        metrics: version.metrics,
        owner: model.owner,
        pipeline: model.pipeline,
        pipelineRun: model.pipeline
          ? `${model.pipeline.split('/')[1]}-${version.tag}`
          : undefined,
        modelType: model.modelType,
        trainedOn: model.trainedOn,
        aliases: version.aliases,
        created: new Date(
          Date.UTC(2026, 10, 23) - version.daysAgo * 86_400_000,
        ),
        force: true,
      });
      pushed++;
    }
  }
  return pushed;
}

if (require.main === module) {
  const registry = process.argv[2];
  if (!registry) {
    process.stderr.write('usage: demoSeed.ts <registry url>\n');
    process.exit(2);
  }
  seedDemoRegistry(registry).then(
    n => process.stdout.write(`${JSON.stringify({ pushed: n })}\n`),
    error => {
      process.stderr.write(`demo seed failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}
