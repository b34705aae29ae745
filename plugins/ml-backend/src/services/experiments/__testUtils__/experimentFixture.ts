import { Entity } from '@backstage/catalog-model';
import { MlRegistryConfig } from '@mlplatform/plugin-ml-common';
import { MlflowHandle, seedMlflowExperiment } from '@mlplatform/test-services';
import fs from 'node:fs';

/** MLflow's basic-auth admin of the tests: the portal must send ml.registries' credentials. */
export const mlflowAdmin = {
  username: 'admin',
  password: 'mlflow-Adm1n-password',
};

const t0 = Date.UTC(2026, 10, 20, 9);
const curve = (from: number, to: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));

/** Run ids by name, the experiment ids and the version produced. */
export interface SeededExperiments {
  experimentId: string;
  otherExperimentId: string;
  runs: Record<'baseline' | 'lowLr' | 'failed' | 'live', string>;
  foreignRun: string;
}

/**
 * A small hyperparameter search in experiment `fraud-detector`: a baseline,
 * a better run with a lower learning rate that was registered as version 1
 * of `fraud-detector`, a failed run and one still running; plus a run of
 * another experiment.
 */
export async function seedExperiments(
  mlflow: MlflowHandle,
): Promise<SeededExperiments> {
  const seeded = await seedMlflowExperiment(mlflow, {
    name: 'fraud-detector',
    runs: [
      {
        name: 'baseline',
        user: 'ada',
        gitCommit: '1a2b3c4d5e6f',
        params: { lr: '0.1', epochs: '6', batch_size: '64' },
        metrics: { loss: curve(1.2, 0.5, 6), val_auc: curve(0.7, 0.88, 6) },
        startTime: t0,
        stepMs: 60_000,
      },
      {
        name: 'low-lr',
        user: 'ada',
        gitCommit: '9f8e7d6c5b4a',
        params: { lr: '0.01', epochs: '6', batch_size: '64' },
        metrics: { loss: curve(1.1, 0.2, 6), val_auc: curve(0.72, 0.95, 6) },
        startTime: t0 + 3_600_000,
        stepMs: 60_000,
      },
      {
        name: 'diverged',
        status: 'FAILED',
        user: 'grace',
        params: { lr: '1.0', epochs: '6', dropout: '0.2' },
        metrics: { loss: [1.3, 4.5] },
        startTime: t0 + 7_200_000,
        stepMs: 60_000,
      },
      {
        name: 'live',
        status: 'RUNNING',
        user: 'grace',
        params: { lr: '0.005', epochs: '6', batch_size: '64' },
        metrics: { loss: [1.0] },
        startTime: t0 + 10_800_000,
      },
    ],
  });
  const other = await seedMlflowExperiment(mlflow, {
    name: 'churn-model',
    runs: [
      { name: 'elsewhere', params: { lr: '0.1' }, metrics: { loss: [1] } },
    ],
  });
  await mlflow.post('registered-models/create', { name: 'fraud-detector' });
  await mlflow.post('model-versions/create', {
    name: 'fraud-detector',
    source: `mlflow-artifacts:/${seeded.experimentId}/${seeded.runIds['low-lr']}/artifacts/model`,
    run_id: seeded.runIds['low-lr'],
  });
  return {
    experimentId: seeded.experimentId,
    otherExperimentId: other.experimentId,
    runs: {
      baseline: seeded.runIds.baseline,
      lowLr: seeded.runIds['low-lr'],
      failed: seeded.runIds.diverged,
      live: seeded.runIds.live,
    },
    foreignRun: other.runIds.elsewhere,
  };
}

/** `ml.registries` of the tests: the MLflow plus an OCI entry it must ignore. */
export function registriesFor(mlflow: MlflowHandle): MlRegistryConfig[] {
  return [
    { name: 'oci-local', type: 'oci', url: 'http://127.0.0.1:1' },
    { name: 'team-mlflow', type: 'mlflow', url: mlflow.url, ...mlflowAdmin },
  ];
}

function entity(
  kind: 'Model' | 'Pipeline',
  name: string,
  experiment?: string,
): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind,
    metadata: {
      name,
      namespace: 'default',
      annotations: experiment
        ? { 'mlplatform.io/mlflow-experiment': experiment }
        : {},
    },
    spec: { owner: 'fraud-team', lifecycle: 'production', type: 'classifier' },
  };
}

/** Catalog entities naming experiments in each way the annotation allows. */
export const experimentEntities: Entity[] = [
  entity('Model', 'fraud-detector', 'fraud-detector'),
  entity('Model', 'fraud-detector-qualified', 'team-mlflow/fraud-detector'),
  entity('Model', 'no-experiment'),
  entity('Model', 'ghost', 'no-such-experiment'),
  entity('Pipeline', 'fraud-training', 'fraud-detector'),
];

/**
 * The REST API requests MLflow has answered so far, from its access log.
 * A marker request is logged after every earlier one (one worker), so
 * waiting for it makes the count exact.
 */
export async function mlflowRequests(mlflow: MlflowHandle): Promise<string[]> {
  const marker = `marker-${Date.now()}-${Math.random()}`;
  await fetch(`${mlflow.url}/health?${marker}`);
  for (let i = 0; i < 100; i++) {
    const log = fs.readFileSync(mlflow.logFile, 'utf8');
    if (log.includes(marker)) {
      return [
        ...log.matchAll(/"(GET|POST) \/api\/2\.0\/mlflow\/([^? ]+)/g),
      ].map(m => `${m[1]} ${m[2]}`);
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`MLflow did not log ${marker}`);
}
