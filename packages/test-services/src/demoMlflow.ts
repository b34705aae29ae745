import {
  MlflowRestClient,
  mlflowRestClient,
  MlflowSeedModel,
  seedMlflowModel,
} from './mlflowClient';

const DAY = 86_400_000;

/**
 * The example Models whose `spec.registry` is an `mlflow://` ref
 * (examples/ml), with versions as their training jobs would have registered
 * them: a run each with metrics, params and its training dataset, aliases
 * for what is served.
 *
 * @public
 */
export function demoMlflowModels(now = Date.now()): MlflowSeedModel[] {
  const daysAgo = (n: number) => now - n * DAY;
  return [
    {
      name: 'support-assistant-llm',
      description:
        'Drafts answers for support agents; fine-tuned from Granite 3.1 8B Instruct.',
      experiment: 'nlp/support-llm-finetuning',
      tags: { team: 'nlp-team' },
      versions: [
        { lr: '2e-5', rougeL: 0.412, win: 0.48, tox: 0.009, at: 40 },
        { lr: '1e-5', rougeL: 0.437, win: 0.55, tox: 0.006, at: 21 },
        { lr: '1e-5', rougeL: 0.451, win: 0.58, tox: 0.007, at: 3 },
      ].map((v, i) => ({
        startTime: daysAgo(v.at),
        params: {
          base_model: 'ibm-granite/granite-3.1-8b-instruct',
          learning_rate: v.lr,
          lora_rank: '16',
          epochs: '3',
        },
        metrics: { rougeL: v.rougeL, win_rate_vs_base: v.win, toxicity: v.tox },
        tags: { framework: 'transformers' },
        description: `LoRA fine-tune #${i + 1} on the curated support tickets.`,
        dataset: {
          name: 'support-tickets-curated',
          digest: `tickets-2026w${10 + i * 3}`,
        },
      })),
      aliases: { champion: '2', challenger: '3' },
    },
    {
      name: 'intent-classifier',
      description: 'Routes incoming tickets to one of 42 support queues.',
      experiment: 'nlp/intent-classifier-training',
      tags: { team: 'nlp-team' },
      versions: [
        { acc: 0.861, f1: 0.815, at: 60 },
        { acc: 0.874, f1: 0.829, at: 30 },
        { acc: 0.887, f1: 0.842, at: 6 },
      ].map(v => ({
        startTime: daysAgo(v.at),
        params: { model: 'xlm-roberta-base', max_length: '256' },
        metrics: { accuracy: v.acc, 'macro-f1': v.f1 },
        tags: { framework: 'transformers' },
        dataset: {
          name: 'support-tickets-curated',
          digest: `tickets-d${v.at}`,
        },
      })),
      aliases: { champion: '3' },
    },
    {
      name: 'transaction-anomaly',
      description:
        'Unsupervised anomaly score used as a second opinion in review queues.',
      experiment: 'fraud/transaction-anomaly-training',
      tags: { team: 'fraud-team' },
      versions: [
        { p: 0.39, at: 28 },
        { p: 0.42, at: 7 },
      ].map(v => ({
        startTime: daysAgo(v.at),
        params: { algorithm: 'isolation-forest', n_estimators: '300' },
        metrics: { precision_at_1pct: v.p },
        tags: { framework: 'scikit-learn' },
        dataset: { name: 'fraud-features', digest: `features-d${v.at}` },
      })),
      aliases: { champion: '2' },
    },
  ];
}

/**
 * Seeds the demo models into an empty MLflow.
 *
 * @public
 */
export async function seedDemoMlflow(client: MlflowRestClient): Promise<void> {
  for (const model of demoMlflowModels()) {
    await seedMlflowModel(client, model);
  }
}

/**
 * The MLflow events the portal listens to (docs/registry.md, "Webhooks"), as
 * MLflow's REST API names them.
 *
 * @public
 */
export const PORTAL_WEBHOOK_EVENTS = [
  { entity: 'MODEL_VERSION', action: 'CREATED' },
  { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
  { entity: 'MODEL_VERSION_ALIAS', action: 'DELETED' },
];

/**
 * Creates the MLflow webhook that posts registry events to the portal
 * (`<backend>/api/ml/registry/webhooks/mlflow/<registry>`), signed with
 * `secret` (the registry's `webhookSecret`). A portal on this machine needs
 * MLflow started with `mlflowLocalWebhooksEnv` (./mlflow.ts).
 *
 * @returns The webhook's id.
 * @public
 */
export async function createPortalWebhook(
  client: MlflowRestClient,
  options: { url: string; secret: string },
): Promise<string> {
  const { webhook } = await client.post('webhooks', {
    name: 'backstage-ml-portal',
    description: 'Registry events for the ML portal (docs/registry.md)',
    url: options.url,
    events: PORTAL_WEBHOOK_EVENTS,
    secret: options.secret,
  });
  return webhook.webhook_id;
}

// scripts/demo-stack.sh: `demoMlflow.ts seed <mlflow url> [<portal webhook url> <secret>]`.
// The webhook is created after seeding: the portal is not up yet.
if (require.main === module) {
  const [command, url, hookUrl, secret] = process.argv.slice(2);
  const client = url ? mlflowRestClient(url) : undefined;
  const run =
    command === 'seed' && client
      ? seedDemoMlflow(client).then(async () => {
          if (hookUrl && secret) {
            await createPortalWebhook(client, { url: hookUrl, secret });
            process.stdout.write(`webhook to ${hookUrl}\n`);
          }
        })
      : Promise.reject(
          new Error(
            'usage: demoMlflow.ts seed <mlflow url> [<portal webhook url> <secret>]',
          ),
        );
  run.then(
    () => process.stdout.write(`seeded ${demoMlflowModels().length} models\n`),
    error => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
