import {
  ModelEntityV1alpha1,
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunsResponse,
} from '@mlplatform/plugin-ml-common';

const minutesAgo = (m: number) =>
  new Date(Date.now() - m * 60_000).toISOString();
const minutesFromNow = (m: number) =>
  new Date(Date.now() + m * 60_000).toISOString();

/** The fraud team's nightly training pipeline (examples/ml/fraud.yaml). */
export const trainingPipeline: PipelineEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Pipeline',
  metadata: {
    name: 'fraud-detector-training',
    namespace: 'default',
    title: 'Fraud detector training',
  },
  spec: {
    type: 'training',
    lifecycle: 'production',
    owner: 'fraud-team',
    orchestrator: {
      type: 'argo',
      id: 'fraud-detector-training',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
    },
    schedule: '0 3 * * *',
    produces: ['model:fraud-detector'],
  },
};

/** The model it produces. */
export const producedModel: ModelEntityV1alpha1 = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: { name: 'fraud-detector', namespace: 'default' },
  spec: {
    type: 'classifier',
    lifecycle: 'production',
    owner: 'fraud-team',
    producedBy: 'pipeline:fraud-detector-training',
  },
};

export const runningRun: PipelineRun = {
  id: 'fraud-detector-training-x7k2',
  status: 'running',
  rawStatus: 'Running',
  startedAt: minutesAgo(12),
  durationSeconds: 725,
  trigger: { type: 'alert', by: 'ModelDriftHigh 3f2a9c01' },
  parameters: { epochs: '10', learning_rate: '0.001' },
  uiUrl: 'http://argo.test/workflows/fraud/fraud-detector-training-x7k2',
  logsUrl:
    'http://argo.test/workflows/fraud/fraud-detector-training-x7k2?tab=logs',
};

export const succeededRun: PipelineRun = {
  id: 'fraud-detector-training-q9m4',
  status: 'succeeded',
  rawStatus: 'Succeeded',
  startedAt: minutesAgo(60 * 21),
  finishedAt: minutesAgo(60 * 21 - 65),
  durationSeconds: 3900,
  trigger: { type: 'schedule' },
  parameters: { epochs: '8', learning_rate: '0.001' },
  producedModelVersion: 'v4',
  tensorboardUrl: 'http://tensorboard.test/#scalars&run=q9m4',
};

export const failedRun: PipelineRun = {
  id: 'fraud-detector-training-a1b2',
  status: 'failed',
  rawStatus: 'Failed',
  message: 'OOMKilled in step train',
  startedAt: minutesAgo(60 * 45),
  durationSeconds: 410,
  trigger: { type: 'manual', by: 'user:default/guest' },
  parameters: { epochs: '40' },
};

/** Three runs, newest first, with the next scheduled run in 5 hours. */
export function runsResponse(
  runs: PipelineRun[] = [runningRun, succeededRun, failedRun],
): PipelineRunsResponse {
  return {
    pipelineRef: 'pipeline:default/fraud-detector-training',
    orchestrator: {
      type: 'argo',
      id: 'fraud-detector-training',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
    },
    runs,
    schedule: '0 3 * * *',
    nextRunAt: minutesFromNow(5 * 60),
  };
}

/** An error as MlClient rejects with it: a ResponseError-like with the body. */
export function backendError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`Request failed with ${statusCode}`), {
    name: 'ResponseError',
    statusCode,
    body: { error: { name: 'Error', message }, response: { statusCode } },
  });
}
