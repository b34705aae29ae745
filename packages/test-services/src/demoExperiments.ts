import { mlflowRestClient, MlflowRestClient } from './mlflowClient';
import {
  MlflowSeedRun,
  MlflowSeededExperiment,
  seedMlflowExperiment,
} from './mlflowExperiments';

const HOUR = 3_600_000;

/** A fixed pseudo-random sequence, so the demo's curves are the same on every start. */
function noise(seed: number) {
  let s = seed;
  return (amplitude: number) => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (s / 2_147_483_648 - 0.5) * 2 * amplitude;
  };
}

/** A decaying curve from `from` towards `to` over `steps`, with a little noise. */
function curve(
  steps: number,
  from: number,
  to: number,
  options: { rate?: number; jitter?: number; seed: number },
): number[] {
  const jitter = noise(options.seed);
  const rate = options.rate ?? 4;
  return Array.from({ length: steps }, (_, i) => {
    const t = i / Math.max(1, steps - 1);
    const v = to + (from - to) * Math.exp(-rate * t);
    return Number((v + jitter(options.jitter ?? 0)).toFixed(4));
  });
}

/**
 * Training runs with per-step metric histories for the demo's MLflow
 * experiments (the ones `demoMlflowModels` registers versions from), so the
 * Model pages' experiment cards have searches worth comparing: a LoRA
 * learning-rate / rank search for support-assistant-llm (one run diverged,
 * one still running), epochs of intent-classifier, and isolation-forest
 * sizes for transaction-anomaly.
 *
 * @public
 */
export function demoExperiments(
  now = Date.now(),
): Array<{ name: string; runs: MlflowSeedRun[] }> {
  const at = (hoursAgo: number) => now - hoursAgo * HOUR;
  const commit = (n: number) =>
    `${(0x5eed0000 + n * 7919).toString(16)}c0ffee${n}`;
  const lora = (
    name: string,
    lr: string,
    rank: string,
    final: number,
    seed: number,
    extra: Partial<MlflowSeedRun> = {},
  ): MlflowSeedRun => ({
    name,
    user: seed % 2 ? 'ada' : 'grace',
    gitCommit: commit(seed),
    startTime: at(72 - seed * 9),
    stepMs: 20_000,
    params: {
      base_model: 'ibm-granite/granite-3.1-8b-instruct',
      learning_rate: lr,
      lora_rank: rank,
      epochs: '3',
      batch_size: '16',
    },
    metrics: {
      train_loss: curve(300, 2.4, final, { seed, jitter: 0.05 }),
      eval_loss: curve(30, 2.5, final + 0.08, { seed: seed + 1, jitter: 0.02 }),
      rougeL: curve(30, 0.2, 0.38 + (1.6 - final) / 4, {
        seed: seed + 2,
        rate: 3,
        jitter: 0.004,
      }),
    },
    ...extra,
  });
  return [
    {
      name: 'nlp/support-llm-finetuning',
      runs: [
        lora('lora-lr2e-5-r16', '2e-5', '16', 1.21, 1),
        lora('lora-lr1e-5-r16', '1e-5', '16', 1.08, 2),
        lora('lora-lr1e-5-r32', '1e-5', '32', 1.02, 3),
        lora('lora-lr1e-4-r16', '1e-4', '16', 1.9, 4, {
          status: 'FAILED',
          metrics: {
            train_loss: [
              ...curve(60, 2.4, 1.6, { seed: 4, jitter: 0.05 }),
              ...curve(25, 1.7, 9.5, { seed: 5, rate: -0.5, jitter: 0.3 }),
            ],
          },
        }),
        lora('lora-lr5e-6-r32', '5e-6', '32', 1.3, 5, {
          status: 'RUNNING',
          startTime: at(1),
          metrics: {
            train_loss: curve(120, 2.4, 1.6, { seed: 6, jitter: 0.05 }),
          },
        }),
      ],
    },
    {
      name: 'nlp/intent-classifier-training',
      runs: [128, 256, 512].map((maxLength, i) => ({
        name: `xlmr-len${maxLength}`,
        user: 'grace',
        gitCommit: commit(10 + i),
        startTime: at(200 - i * 30),
        stepMs: 600_000,
        params: {
          model: 'xlm-roberta-base',
          max_length: String(maxLength),
          epochs: '10',
          learning_rate: '3e-5',
        },
        metrics: {
          val_loss: curve(10, 1.9, 0.62 - i * 0.05, {
            seed: 20 + i,
            jitter: 0.01,
          }),
          accuracy: curve(10, 0.55, 0.861 + i * 0.013, {
            seed: 30 + i,
            rate: 3,
            jitter: 0.003,
          }),
          'macro-f1': curve(10, 0.48, 0.815 + i * 0.013, {
            seed: 40 + i,
            rate: 3,
            jitter: 0.003,
          }),
        },
      })),
    },
    {
      name: 'fraud/transaction-anomaly-training',
      runs: [100, 300].map((trees, i) => ({
        name: `iforest-${trees}`,
        user: 'ada',
        gitCommit: commit(50 + i),
        startTime: at(170 - i * 100),
        stepMs: 5_000,
        params: {
          algorithm: 'isolation-forest',
          n_estimators: String(trees),
          contamination: '0.01',
        },
        metrics: {
          precision_at_1pct: curve(20, 0.2, 0.39 + i * 0.03, {
            seed: 60 + i,
            rate: 3,
            jitter: 0.005,
          }),
        },
      })),
    },
  ];
}

/**
 * Seeds {@link demoExperiments} into the demo's MLflow (after or before
 * `seedDemoMlflow`: experiments are reused by name).
 *
 * @public
 */
export async function seedDemoExperiments(
  client: MlflowRestClient,
): Promise<MlflowSeededExperiment[]> {
  const seeded: MlflowSeededExperiment[] = [];
  for (const experiment of demoExperiments()) {
    seeded.push(await seedMlflowExperiment(client, experiment));
  }
  return seeded;
}

// `demoExperiments.ts seed <mlflow url>`, as scripts/demo-stack.sh runs demoMlflow.ts.
if (require.main === module) {
  const [command, url] = process.argv.slice(2);
  const run =
    command === 'seed' && url
      ? seedDemoExperiments(mlflowRestClient(url))
      : Promise.reject(
          new Error('usage: demoExperiments.ts seed <mlflow url>'),
        );
  run.then(
    s =>
      process.stdout.write(
        `seeded ${s.reduce(
          (n, e) => n + Object.keys(e.runIds).length,
          0,
        )} runs\n`,
      ),
    error => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
