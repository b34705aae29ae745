import { Entity } from '@backstage/catalog-model';
import {
  CompareRunsResponse,
  ExperimentRun,
  ExperimentRunsResponse,
} from '@mlplatform/plugin-ml-common';

const MLFLOW = 'http://mlflow.example.com';

/** A Model naming its experiment. */
export const fraudModel: Entity = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: {
    name: 'fraud-detector',
    namespace: 'default',
    annotations: { 'mlplatform.io/mlflow-experiment': 'fraud-detector' },
  },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
};

const run = (
  id: string,
  name: string,
  over: Partial<ExperimentRun>,
): ExperimentRun => ({
  id,
  name,
  status: 'finished',
  startedAt: '2026-11-20T09:00:00.000Z',
  finishedAt: '2026-11-20T09:06:00.000Z',
  durationSeconds: 360,
  user: 'ada',
  params: {},
  metrics: {},
  url: `${MLFLOW}/#/experiments/1/runs/${id}`,
  modelVersions: [],
  ...over,
});

export const baseline = run('r1', 'baseline', {
  gitCommit: '1a2b3c4d5e6f7a8b',
  params: { lr: '0.1', epochs: '6' },
  metrics: { loss: 0.5, val_auc: 0.88 },
});
export const lowLr = run('r2', 'low-lr', {
  gitCommit: '9f8e7d6c5b4a3f2e',
  params: { lr: '0.01', epochs: '6' },
  metrics: { loss: 0.2, val_auc: 0.95 },
  modelVersions: [
    {
      name: 'fraud-detector',
      version: '1',
      url: `${MLFLOW}/#/models/fraud-detector/versions/1`,
    },
  ],
});
export const diverged = run('r3', 'diverged', {
  status: 'failed',
  user: 'grace',
  params: { lr: '1.0', epochs: '6' },
  metrics: { loss: 4.5 },
});

export const runsResponse = (
  runs: ExperimentRun[] = [lowLr, baseline, diverged],
): ExperimentRunsResponse => ({
  configured: true,
  entityRef: 'model:default/fraud-detector',
  experiment: {
    id: '1',
    name: 'fraud-detector',
    registry: 'team-mlflow',
    url: `${MLFLOW}/#/experiments/1`,
  },
  runs,
  keyParams: ['lr'],
  metricNames: ['loss', 'val_auc'],
});

const history = (values: number[]) =>
  values.map((value, step) => ({
    step,
    timestamp: Date.UTC(2026, 10, 20, 9, step),
    value,
  }));

export const compareResponse: CompareRunsResponse = {
  entityRef: 'model:default/fraud-detector',
  experiment: {
    id: '1',
    name: 'fraud-detector',
    registry: 'team-mlflow',
    url: `${MLFLOW}/#/experiments/1`,
  },
  runs: [lowLr, baseline],
  metrics: [
    {
      name: 'loss',
      histories: {
        r2: history([1.1, 0.6, 0.2]),
        r1: history([1.2, 0.8, 0.5]),
      },
    },
    {
      name: 'val_auc',
      histories: {
        r2: history([0.7, 0.9, 0.95]),
        r1: history([0.7, 0.8, 0.88]),
      },
    },
  ],
  params: [
    { name: 'epochs', values: { r1: '6', r2: '6' }, differs: false },
    { name: 'lr', values: { r1: '0.1', r2: '0.01' }, differs: true },
  ],
};
