/*
 * Argo Workflows' CRDs and the simulated workflow controller, through the
 * real kubectl and the server's own handle; and the seed rules that let
 * finished Jobs and Workflows be fixtures.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from './cli';
import { KubeApiServer, WORKFLOW_STEP_MS, startKubeApiServer } from './index';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = fs.existsSync(KUBECTL);
if (!haveKubectl && process.env.CI) {
  throw new Error(`${KUBECTL} is required in CI for the kubectl tests`);
}
const describeIfKubectl = haveKubectl ? describe : describe.skip;

const TEMPLATE = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: { name: 'train', namespace: 'x' },
  spec: {
    entrypoint: 'main',
    arguments: { parameters: [{ name: 'epochs', value: '10' }] },
    templates: [{ name: 'main', container: { image: 'busybox' } }],
  },
};

const workflow = (name: string, extra: any = {}) => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: { name, namespace: 'x', ...extra.metadata },
  spec: { workflowTemplateRef: { name: 'train' }, ...extra.spec },
});

async function until<T>(
  fn: () => T | undefined,
  what: string,
  ms = 10 * WORKFLOW_STEP_MS,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

describe('Argo Workflows on the test API server', () => {
  let server: KubeApiServer;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (
    args: string[],
  ): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise(resolve => {
      execFile(
        KUBECTL,
        [
          '--kubeconfig',
          kubeconfig,
          '--cache-dir',
          path.join(dir, 'cache'),
          ...args,
        ],
        { timeout: 20_000 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? Number((err as any).code ?? 1) : 0,
            stdout,
            stderr,
          }),
      );
    });

  const phase = (name: string) =>
    (server.get('argoproj.io/v1alpha1', 'Workflow', 'x', name) as any)?.status
      ?.phase;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'argo-test-'));
    server = await startKubeApiServer({
      seed: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
        TEMPLATE,
      ],
    });
    kubeconfig = await server.writeKubeconfig(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describeIfKubectl('with the real kubectl', () => {
    it('kubectl creates a Workflow from a file and lists it as it runs to Succeeded', async () => {
      const file = path.join(dir, 'workflow.yaml');
      fs.writeFileSync(
        file,
        [
          'apiVersion: argoproj.io/v1alpha1',
          'kind: Workflow',
          'metadata:',
          '  generateName: train-',
          '  namespace: x',
          'spec:',
          '  workflowTemplateRef: {name: train}',
          '  arguments:',
          '    parameters: [{name: epochs, value: "3"}]',
          '',
        ].join('\n'),
      );
      const created = await kubectl(['create', '-f', file]);
      expect(created.stderr).toBe('');
      const name = created.stdout.match(
        /^workflow\.argoproj\.io\/(train-[a-z0-9]{5}) created$/m,
      )?.[1];
      expect(name).toBeDefined();
      expect(phase(name!)).toBe('Pending');

      await until(() => phase(name!) === 'Succeeded', 'Succeeded');
      const table = await kubectl(['get', 'workflows', '-n', 'x']);
      expect(table.stderr).toBe('');
      const lines = table.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE\s+MESSAGE$/);
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^${name}\\s+Succeeded\\s+\\d+s\\s+<none>$`),
        ),
      );

      const short = await kubectl([
        'get',
        'wf',
        name!,
        '-n',
        'x',
        '-o',
        'json',
      ]);
      const wf = JSON.parse(short.stdout);
      expect(wf.spec.arguments.parameters).toEqual([
        { name: 'epochs', value: '3' },
      ]);
      expect(wf.metadata.labels).toMatchObject({
        'workflows.argoproj.io/phase': 'Succeeded',
        'workflows.argoproj.io/completed': 'true',
      });
      expect(wf.status.progress).toBe('1/1');
      expect(Date.parse(wf.status.finishedAt)).toBeGreaterThanOrEqual(
        Date.parse(wf.status.startedAt),
      );

      const templates = await kubectl(['get', 'wftmpl', '-n', 'x']);
      expect(templates.stdout.split('\n')[1]).toMatch(/^train\s+\d+s$/);
      const crd = await kubectl(['get', 'crd', 'cronworkflows.argoproj.io']);
      expect(crd.code).toBe(0);
    });
  });

  it('passes through Running, and ends where the phase annotation pins it', async () => {
    await server.create(
      workflow('pinned', {
        metadata: {
          annotations: {
            'kube-apiserver.test/phase': 'Failed',
            'kube-apiserver.test/message': 'OOMKilled (exit code 137)',
          },
        },
      }),
    );
    expect(phase('pinned')).toBe('Pending');
    await until(() => phase('pinned') === 'Running', 'Running');
    await until(() => phase('pinned') === 'Failed', 'Failed');
    const wf: any = server.get(
      'argoproj.io/v1alpha1',
      'Workflow',
      'x',
      'pinned',
    );
    expect(wf.status.message).toBe('OOMKilled (exit code 137)');
  });

  it("ends in Error with Argo's message when the WorkflowTemplate is missing", async () => {
    await server.create(
      workflow('orphan', { spec: { workflowTemplateRef: { name: 'nope' } } }),
    );
    const wf: any = server.get(
      'argoproj.io/v1alpha1',
      'Workflow',
      'x',
      'orphan',
    );
    expect(wf.status).toMatchObject({
      phase: 'Error',
      message: 'workflowtemplates.argoproj.io "nope" not found',
    });
  });

  it('validates Workflows against the CRD schema', async () => {
    await expect(
      server.create(
        workflow('bad', {
          spec: { arguments: { parameters: [{ value: 'no name' }] } },
        }),
      ),
    ).rejects.toThrow(/spec\.arguments\.parameters\[0\]\.name: Required value/);
  });

  it('leaves a seeded Workflow with a phase alone', async () => {
    const s = await startKubeApiServer({
      seed: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
        {
          ...workflow('old'),
          status: {
            phase: 'Failed',
            startedAt: '2026-11-01T03:00:00Z',
            finishedAt: '2026-11-01T03:20:00Z',
          },
        },
      ],
    });
    try {
      await new Promise(r => setTimeout(r, 3 * WORKFLOW_STEP_MS));
      expect(
        (s.get('argoproj.io/v1alpha1', 'Workflow', 'x', 'old') as any).status,
      ).toEqual({
        phase: 'Failed',
        startedAt: '2026-11-01T03:00:00Z',
        finishedAt: '2026-11-01T03:20:00Z',
      });
    } finally {
      await s.stop();
    }
  });
});

describe('seeds', () => {
  const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } };
  const job = (name: string, status?: object) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'x' },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox' }],
        },
      },
    },
    ...(status ? { status } : {}),
  });

  it('a finished Job from a seed keeps its status and gets no pod; a running one does', async () => {
    const done = {
      startTime: '2026-11-02T03:00:00Z',
      completionTime: '2026-11-02T04:00:00Z',
      succeeded: 1,
      conditions: [
        {
          type: 'Complete',
          status: 'True',
          lastProbeTime: '2026-11-02T04:00:00Z',
          lastTransitionTime: '2026-11-02T04:00:00Z',
        },
      ],
    };
    const s = await startKubeApiServer({
      seed: [
        ns,
        job('done', done),
        job('running', { startTime: '2026-11-02T05:00:00Z', active: 1 }),
      ],
    });
    try {
      const pods = s.list('v1', 'Pod', 'x') as any[];
      expect(pods.map(p => p.metadata.name)).toEqual([
        expect.stringMatching(/^running-/),
      ]);
      expect((s.get('batch/v1', 'Job', 'x', 'done') as any).status).toEqual(
        done,
      );
      expect(
        (s.get('batch/v1', 'Job', 'x', 'running') as any).status,
      ).toMatchObject({ startTime: '2026-11-02T05:00:00Z', active: 1 });
    } finally {
      await s.stop();
    }
  });

  it('skips objects of a custom resource whose CRDs are switched off, not unknown kinds', async () => {
    const s = await startKubeApiServer({
      crds: ['kueue'],
      seed: [ns, TEMPLATE, { ...workflow('w') }],
    });
    try {
      expect(() => s.list('argoproj.io/v1alpha1', 'Workflow')).toThrow(
        'no matches for kind "Workflow" in version "argoproj.io/v1alpha1"',
      );
    } finally {
      await s.stop();
    }
    await expect(
      startKubeApiServer({
        seed: [ns, { apiVersion: 'example.com/v1', kind: 'Thing' }],
      }),
    ).rejects.toThrow(/no matches for kind "Thing"/);
  });

  it('the command line serves Argo unless --no-argo', () => {
    expect(parseArgs([]).crds).toEqual(['kueue', 'kubeflow', 'argo', 'kserve']);
    expect(
      parseArgs(['--no-argo', '--no-kubeflow', '--no-kserve']).crds,
    ).toEqual(['kueue']);
  });
});
