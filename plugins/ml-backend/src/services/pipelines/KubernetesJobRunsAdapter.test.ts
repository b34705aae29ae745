import { mockServices } from '@backstage/backend-test-utils';
import { PipelineEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { PipelineOrchestratorError } from '@mlplatform/plugin-ml-node';
import {
  KubeApiServer,
  loadManifests,
  startKubeApiServer,
} from '@mlplatform/test-kube-apiserver';
import fs from 'node:fs';
import path from 'node:path';
import { testClusters } from '../../__testUtils__/testClusters';
import { ClusterService } from '../kubernetes/ClusterService';
import { KubernetesJobRunsAdapter } from './KubernetesJobRunsAdapter';

jest.setTimeout(30_000);

const seed = (file: string) =>
  loadManifests(
    fs.readFileSync(
      path.resolve(__dirname, '../../../../../examples/kube', file),
      'utf8',
    ),
  );

function pipeline(
  orchestrator: PipelineEntityV1alpha1['spec']['orchestrator'],
): PipelineEntityV1alpha1 {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: orchestrator.id, namespace: 'default' },
    spec: {
      type: 'training',
      lifecycle: 'production',
      owner: 'fraud-team',
      orchestrator,
    },
  };
}

async function orchestratorError(
  p: Promise<unknown>,
): Promise<PipelineOrchestratorError> {
  const e = await p.then(
    () => undefined,
    err => err,
  );
  expect(e).toBeInstanceOf(PipelineOrchestratorError);
  return e;
}

const FRAUD = pipeline({
  type: 'kubernetes-job',
  id: 'fraud-detector-training',
  namespace: 'fraud',
  cluster: 'gpu-cluster-a',
});
const ANOMALY = pipeline({
  type: 'kubernetes-job',
  id: 'transaction-anomaly-training',
  namespace: 'fraud',
  cluster: 'gpu-cluster-a',
});
const SCHEDULE = { type: 'schedule', by: 'CronJob fraud-detector-training' };
const ALICE = { type: 'manual' as const, by: 'user:default/alice' };

describe('KubernetesJobRunsAdapter against the test API server', () => {
  let a: KubeApiServer;
  let clusters: ClusterService;
  let adapter: KubernetesJobRunsAdapter;

  const jobNames = () =>
    (a.list('batch/v1', 'Job', 'fraud') as any[])
      .map(j => j.metadata.name)
      .sort();
  const writes = () => a.requests.filter(r => r.method !== 'GET');

  beforeEach(async () => {
    a = await startKubeApiServer({ seed: seed('gpu-cluster-a.yaml') });
    clusters = testClusters({ 'gpu-cluster-a': a }, { requestTimeoutMs: 1000 });
    adapter = KubernetesJobRunsAdapter.create({
      clusters,
      logger: mockServices.logger.mock(),
      logsUrl: 'https://logs.example.com/{{cluster}}/{{namespace}}/{{name}}',
    });
  });

  afterEach(async () => {
    clusters.close();
    await a.stop();
  });

  it('lists the demo runs newest first with status, trigger, parameters and outputs', async () => {
    a.resetRequests();
    const runs = await adapter.listRuns({ pipeline: FRAUD, limit: 20 });
    expect(a.requests.filter(r => r.verb === 'list')).toHaveLength(1);
    expect(
      runs.map(r => [r.id, r.status, r.rawStatus, r.trigger, r.parameters]),
    ).toEqual([
      [
        'fraud-detector-training-rerun',
        'failed',
        'Failed',
        { type: 'manual' },
        {},
      ],
      [
        'fraud-detector-training-29913300',
        'succeeded',
        'Complete',
        SCHEDULE,
        { epochs: '40', learning_rate: '0.001' },
      ],
      [
        'fraud-detector-training-m4x7q',
        'succeeded',
        'Complete',
        ALICE,
        { epochs: '60', learning_rate: '0.0005' },
      ],
      [
        'fraud-detector-training-29903220',
        'failed',
        'Failed',
        SCHEDULE,
        { epochs: '40', learning_rate: '0.001' },
      ],
      [
        'fraud-detector-training-29893140',
        'succeeded',
        'Complete',
        SCHEDULE,
        { epochs: '40', learning_rate: '0.001' },
      ],
    ]);
    // the Job the Kubernetes tab shows is not a run of the pipeline
    expect(runs.map(r => r.id)).not.toContain('fraud-detector-training');
    expect(runs[1]).toMatchObject({
      startedAt: '2026-11-16T03:00:02.000Z',
      finishedAt: '2026-11-16T04:47:55.000Z',
      durationSeconds: 6473,
      producedModelVersion: '1.7.0',
      datasetDigests: [
        'sha256:91c0e7d2a4b6f8e1c3a5d7f9b2e4c6a8d0f1e3b5c7a9d2f4e6b8c0a1d3e5f7b9',
      ],
      tensorboardUrl:
        'https://tensorboard.example.com/fraud/fraud-detector-training-29913300/',
      logsUrl:
        'https://logs.example.com/gpu-cluster-a/fraud/fraud-detector-training-29913300',
    });
    expect(runs[2].datasetDigests).toHaveLength(2);
    expect(runs[3]).toMatchObject({
      message:
        'BackoffLimitExceeded: Job has reached the specified backoff limit',
      finishedAt: '2026-11-09T03:41:10.000Z',
      durationSeconds: 2467,
    });
    expect(runs[0].message).toBe(
      'DeadlineExceeded: Job was active longer than specified deadline',
    );
    const two = await adapter.listRuns({ pipeline: FRAUD, limit: 2 });
    expect(two.map(r => r.id)).toEqual(runs.slice(0, 2).map(r => r.id));
  });

  it('reports alert triggers and a running Job with its duration so far', async () => {
    const runs = await adapter.listRuns({ pipeline: ANOMALY, limit: 20 });
    expect(runs.map(r => [r.id, r.status, r.trigger])).toEqual([
      [
        'transaction-anomaly-training-t5v8c',
        'running',
        { type: 'alert', by: 'TransactionAnomalyDrift 9c4e2b7a1d0f6e83' },
      ],
      [
        'transaction-anomaly-training-p7w3n',
        'failed',
        { type: 'manual', by: 'user:default/bob' },
      ],
      [
        'transaction-anomaly-training-h2k9d',
        'succeeded',
        { type: 'alert', by: 'TransactionAnomalyDrift 6a1f0c2e9b7d4e35' },
      ],
    ]);
    const running = runs[0];
    expect(running.finishedAt).toBeUndefined();
    expect(running.durationSeconds).toBeGreaterThanOrEqual(
      Math.floor((Date.now() - Date.parse('2026-11-23T08:15:00Z')) / 1000) - 5,
    );
  });

  it('starts a run from the CronJob, as kubectl create job --from does, and lists it', async () => {
    const run = await adapter.startRun({
      pipeline: ANOMALY,
      parameters: { window_days: '60', seed: '7' },
      trigger: ALICE,
    });
    expect(run).toMatchObject({
      id: expect.stringMatching(/^transaction-anomaly-training-[a-z0-9]{5}$/),
      trigger: ALICE,
      parameters: { contamination: '0.01', window_days: '60', seed: '7' },
    });
    const job: any = a.get('batch/v1', 'Job', 'fraud', run.id);
    const cronJob: any = a.get(
      'batch/v1',
      'CronJob',
      'fraud',
      'transaction-anomaly-training',
    );
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'CronJob',
        name: 'transaction-anomaly-training',
        uid: cronJob.metadata.uid,
        controller: true,
      }),
    ]);
    expect(job.metadata.labels['mlplatform.io/pipeline']).toBe(
      'transaction-anomaly-training',
    );
    expect(job.metadata.annotations).toMatchObject({
      'cronjob.kubernetes.io/instantiate': 'manual',
      'mlplatform.io/trigger': 'manual',
      'mlplatform.io/triggered-by': 'user:default/alice',
    });
    // the template's env order is kept; new parameters come last
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'PARAM_contamination', value: '0.01' },
      { name: 'PARAM_window_days', value: '60' },
      { name: 'PARAM_seed', value: '7' },
    ]);

    // the Job controller starts its pod
    let listed;
    for (let i = 0; i < 40; i++) {
      listed = (await adapter.listRuns({ pipeline: ANOMALY, limit: 1 }))[0];
      if (listed.status === 'running') break;
      await new Promise(r => setTimeout(r, 50));
    }
    expect(listed).toMatchObject({
      id: run.id,
      status: 'running',
      trigger: ALICE,
      parameters: { window_days: '60', seed: '7' },
    });
  });

  it('refuses bad parameters before sending anything', async () => {
    const before = jobNames();
    a.resetRequests();
    const bad: Array<Record<string, string>> = [
      { 'bad name': 'x' },
      { '1st': 'x' },
      { ok: 'x'.repeat(1001) },
      { ok: 5 as unknown as string },
    ];
    for (const parameters of bad) {
      const e = await orchestratorError(
        adapter.startRun({ pipeline: FRAUD, parameters, trigger: ALICE }),
      );
      expect(e.kind).toBe('invalid');
    }
    expect(a.requests).toEqual([]);
    expect(jobNames()).toEqual(before);
  });

  it('says which CronJob it looked for when the pipeline has none', async () => {
    const e = await orchestratorError(
      adapter.startRun({
        pipeline: pipeline({
          type: 'kubernetes-job',
          id: 'churn-training',
          namespace: 'fraud',
          cluster: 'gpu-cluster-a',
        }),
        parameters: {},
        trigger: ALICE,
      }),
    );
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain(
      'CronJob fraud/churn-training not found on cluster gpu-cluster-a',
    );
    expect(writes()).toEqual([]);
  });

  it('maps unknown clusters, 500s, timeouts and 403s to error kinds naming the cluster', async () => {
    const unknown = await orchestratorError(
      adapter.listRuns({
        pipeline: pipeline({ ...FRAUD.spec.orchestrator, cluster: 'nope' }),
        limit: 5,
      }),
    );
    expect(unknown.kind).toBe('not-configured');
    expect(unknown.message).toContain('unknown cluster "nope"');

    a.setFault({ status: 500 });
    const server = await orchestratorError(
      adapter.listRuns({ pipeline: FRAUD, limit: 5 }),
    );
    expect(server).toMatchObject({ kind: 'server', status: 500 });
    expect(server.message).toContain(
      'cluster gpu-cluster-a failed to list jobs',
    );

    a.setFault({ delayMs: 3000 });
    const slow = await orchestratorError(
      adapter.listRuns({ pipeline: FRAUD, limit: 5 }),
    );
    expect(slow.kind).toBe('unavailable');
    expect(slow.message).toContain(
      'cluster gpu-cluster-a did not answer within 1s',
    );

    a.setFault({ status: 403, match: r => r.method === 'POST' });
    const forbidden = await orchestratorError(
      adapter.startRun({ pipeline: FRAUD, parameters: {}, trigger: ALICE }),
    );
    expect(forbidden).toMatchObject({ kind: 'unauthorized', status: 403 });
    expect(forbidden.message).toContain('not allowed to create jobs');
    a.setFault(null);
  });

  it('uses the first configured cluster and namespace default without spec.orchestrator.cluster', async () => {
    await a.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'nightly-1',
        namespace: 'default',
        labels: { 'mlplatform.io/pipeline': 'nightly' },
      },
      spec: {
        suspend: true,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'main', image: 'busybox' }],
          },
        },
      },
    });
    const runs = await adapter.listRuns({
      pipeline: pipeline({ type: 'kubernetes-job', id: 'nightly' }),
      limit: 5,
    });
    expect(runs.map(r => [r.id, r.status, r.rawStatus, r.trigger])).toEqual([
      ['nightly-1', 'pending', 'Suspended', { type: 'unknown' }],
    ]);
    expect(runs[0].logsUrl).toBe(
      'https://logs.example.com/gpu-cluster-a/default/nightly-1',
    );
  });

  it('is unavailable when the cluster does not answer at all', async () => {
    await a.stop();
    const e = await orchestratorError(
      adapter.listRuns({ pipeline: FRAUD, limit: 5 }),
    );
    expect(e.kind).toBe('unavailable');
    expect(e.message).toContain('cannot reach cluster gpu-cluster-a');
  });
});
