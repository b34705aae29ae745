/*
 * The demo seeds in examples/kube load into the server as the demo stack
 * starts them, and show what the ML portal's quota views rely on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KubeApiServer, loadManifests, startKubeApiServer } from './index';

const seed = (name: string) =>
  loadManifests(
    fs.readFileSync(
      path.resolve(__dirname, '../../../examples/kube', name),
      'utf8',
    ),
  );

describe('examples/kube demo seeds', () => {
  let a: KubeApiServer;
  let b: KubeApiServer;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startKubeApiServer({ seed: seed('gpu-cluster-a.yaml') }),
      // as the demo stack starts it: --no-kubeflow
      startKubeApiServer({
        seed: seed('gpu-cluster-b.yaml'),
        crds: ['kueue', 'argo'],
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('gpu-cluster-a: fraud-detector serves v2 with a 10 % canary of v3 (the Serving card demo)', () => {
    const isvc: any = a.get(
      'serving.kserve.io/v1beta1',
      'InferenceService',
      'fraud',
      'fraud-detector',
    );
    expect(isvc.status.url).toBe('http://fraud-detector-fraud.example.com');
    expect(
      isvc.status.components.predictor.traffic.map((t: any) => [
        t.tag,
        t.revisionName,
        t.percent,
      ]),
    ).toEqual([
      ['latest', 'fraud-detector-predictor-00002', 10],
      ['prev', 'fraud-detector-predictor-00001', 90],
    ]);
  });

  it('gpu-cluster-a: the fraud quota has 5 of 8 GPUs in use by running pods', () => {
    const quota: any = a.get('v1', 'ResourceQuota', 'fraud', 'gpu-quota');
    expect(quota.status.hard['requests.nvidia.com/gpu']).toBe('8');
    expect(quota.status.used['requests.nvidia.com/gpu']).toBe('5');
    const pods = a.list('v1', 'Pod', 'fraud') as any[];
    expect(pods.every(p => p.status.phase === 'Running')).toBe(true);
    // The model's serving pod and its training pipeline's Job pod, each
    // labelled for the Kubernetes tab of its own entity page.
    const byId = (id: string) =>
      pods.filter(p => p.metadata.labels['backstage.io/kubernetes-id'] === id);
    expect(byId('fraud-detector')).toHaveLength(1);
    expect(byId('fraud-detector-training')).toHaveLength(1);
    expect(
      (a.get('v1', 'Namespace', undefined, 'fraud') as any).metadata.labels[
        'mlplatform.io/team'
      ],
    ).toBe('fraud-team');
  });

  it('gpu-cluster-a: recsys borrows in cohort ml-shared and has two pending workloads', () => {
    const cq: any = a.get(
      'kueue.x-k8s.io/v1beta2',
      'ClusterQueue',
      undefined,
      'recsys-cq',
    );
    expect(cq.spec.cohortName).toBe('ml-shared');
    expect(cq.status.pendingWorkloads).toBe(2);
    const v1beta1: any = a.get(
      'kueue.x-k8s.io/v1beta1',
      'ClusterQueue',
      undefined,
      'recsys-cq',
    );
    expect(v1beta1.spec.cohort).toBe('ml-shared');
    const pending = (
      a.list('kueue.x-k8s.io/v1beta2', 'Workload', 'recsys') as any[]
    ).filter(w =>
      w.status.conditions.some(
        (c: any) => c.type === 'QuotaReserved' && c.status === 'False',
      ),
    );
    expect(pending.map(w => w.status.conditions[0].message)).toEqual([
      "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 4 more needed",
      "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 4 more needed",
    ]);
    expect(a.list('kueue.x-k8s.io/v1beta2', 'Cohort')).toHaveLength(1);
  });

  it('gpu-cluster-a: fraud-team also queues in shared-pool-cq from fraud-sandbox (the notebook form’s wait estimate)', () => {
    const ns: any = a.get('v1', 'Namespace', undefined, 'fraud-sandbox');
    expect(ns.metadata.labels['mlplatform.io/team']).toBe('fraud-team');
    const lq: any = a.get(
      'kueue.x-k8s.io/v1beta2',
      'LocalQueue',
      'fraud-sandbox',
      'fraud-sandbox-lq',
    );
    expect(lq.spec.clusterQueue).toBe('shared-pool-cq');
    expect(a.list('v1', 'ResourceQuota', 'fraud-sandbox')).toHaveLength(0);
  });

  it('gpu-cluster-b: nlp-cq has GPUs and MIG slices with a MIG borrowing limit, and no Kubeflow', () => {
    const cq: any = b.get(
      'kueue.x-k8s.io/v1beta2',
      'ClusterQueue',
      undefined,
      'nlp-cq',
    );
    const quotas = cq.spec.resourceGroups.flatMap((g: any) =>
      g.flavors.flatMap((f: any) => f.resources),
    );
    expect(quotas).toEqual(
      expect.arrayContaining([
        { name: 'nvidia.com/gpu', nominalQuota: 4 },
        { name: 'nvidia.com/mig-1g.10gb', nominalQuota: 14, borrowingLimit: 7 },
      ]),
    );
    expect(cq.status.pendingWorkloads).toBe(1);
    expect(() => b.list('kubeflow.org/v1', 'Notebook')).toThrow(
      'no matches for kind "Notebook" in version "kubeflow.org/v1"',
    );
  });

  it('gpu-cluster-a: pipeline runs are Jobs of their CronJob and Argo Workflows, finished ones without pods', () => {
    const jobs = (a.list('batch/v1', 'Job', 'fraud') as any[]).filter(
      j =>
        j.metadata.labels?.['mlplatform.io/pipeline'] ||
        j.metadata.ownerReferences?.some((r: any) => r.kind === 'CronJob'),
    );
    expect(jobs).toHaveLength(8);
    const cronJob: any = a.get(
      'batch/v1',
      'CronJob',
      'fraud',
      'fraud-detector-training',
    );
    expect(cronJob.spec).toMatchObject({
      schedule: '0 3 * * 1',
      suspend: true,
    });
    const owners = new Set(
      (a.list('v1', 'Pod', 'fraud') as any[]).map(
        p => p.metadata.ownerReferences?.[0]?.name,
      ),
    );
    // only the running run has a pod; the finished ones were not restarted
    expect(owners.has('transaction-anomaly-training-t5v8c')).toBe(true);
    expect(jobs.filter(j => owners.has(j.metadata.name))).toHaveLength(1);
    const workflows = a.list(
      'argoproj.io/v1alpha1',
      'Workflow',
      'recsys',
    ) as any[];
    expect(
      workflows.map(w => w.status.phase).sort((x, y) => x.localeCompare(y)),
    ).toEqual([
      'Error',
      'Failed',
      'Pending',
      'Running',
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    for (const id of ['recsys-features', 'recsys-batch-scoring']) {
      expect(
        a.get('argoproj.io/v1alpha1', 'WorkflowTemplate', 'recsys', id),
      ).toBeDefined();
    }
  });

  it('gpu-cluster-b: support-llm-finetuning waits in Kueue and llm-evaluation runs daily', () => {
    const pending: any = b.get(
      'batch/v1',
      'Job',
      'nlp',
      'support-llm-finetuning-2b6a8',
    );
    expect(pending.spec.suspend).toBe(true);
    expect(b.list('v1', 'Pod', 'nlp')).toHaveLength(2);
    const cron: any = b.get(
      'argoproj.io/v1alpha1',
      'CronWorkflow',
      'nlp',
      'llm-evaluation',
    );
    expect(cron.spec.schedule).toBe('0 6 * * *');
    expect(
      (b.list('argoproj.io/v1alpha1', 'Workflow', 'nlp') as any[]).map(w => [
        w.metadata.name,
        w.status.phase,
      ]),
    ).toEqual([
      ['llm-evaluation-1795068000', 'Error'],
      ['llm-evaluation-1795240800', 'Failed'],
      ['llm-evaluation-1795327200', 'Succeeded'],
      ['llm-evaluation-1795413600', 'Running'],
      ['llm-evaluation-q8r2t', 'Succeeded'],
    ]);
  });
});
