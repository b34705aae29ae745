/*
 * The server against the real kubectl 1.32 binary: discovery, apply (client-
 * and server-side), tables, selectors, deletes and the error messages users see.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeApiServer, startKubeApiServer } from './index';

const KUBECTL = '/usr/bin/kubectl';
const haveKubectl = fs.existsSync(KUBECTL);
if (!haveKubectl && process.env.CI) {
  throw new Error(`${KUBECTL} is required in CI for the kubectl tests`);
}
const describeIfKubectl = haveKubectl ? describe : describe.skip;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const MANIFEST = `
apiVersion: v1
kind: Namespace
metadata:
  name: team-x
  labels:
    mlplatform.io/team: x-team
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: gpu-quota
  namespace: team-x
spec:
  hard:
    requests.nvidia.com/gpu: "4"
    pods: "10"
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: trainer
  namespace: team-x
spec:
  replicas: REPLICAS
  serviceName: trainer
  selector:
    matchLabels: {app: trainer}
  template:
    metadata:
      labels: {app: trainer}
    spec:
      containers:
      - name: main
        image: pytorch/pytorch:2.4.0
        env:
        - {name: EPOCHS, value: "10"}
        resources:
          limits: {nvidia.com/gpu: "1"}
---
apiVersion: kueue.x-k8s.io/v1beta2
kind: ClusterQueue
metadata:
  name: cq-x
spec:
  cohortName: shared
  namespaceSelector: {}
  resourceGroups:
  - coveredResources: [nvidia.com/gpu]
    flavors:
    - name: a100
      resources:
      - {name: nvidia.com/gpu, nominalQuota: 8}
`;

describeIfKubectl('test-kube-apiserver with the real kubectl', () => {
  let server: KubeApiServer;
  let dir: string;
  let kubeconfig: string;

  const kubectl = (
    args: string[],
    opts: { input?: string; config?: string } = {},
  ): Promise<Run> =>
    new Promise(resolve => {
      const child = execFile(
        KUBECTL,
        [
          '--kubeconfig',
          opts.config ?? kubeconfig,
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
      if (opts.input !== undefined) child.stdin!.end(opts.input);
    });

  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-test-'));
    server = await startKubeApiServer({
      tokens: { 'viewer-token': { user: 'viewer', readOnly: true } },
    });
    kubeconfig = await server.writeKubeconfig(path.join(dir, 'kubeconfig'));
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('applies a multi-document manifest, re-applies it unchanged, then configures a change', async () => {
    const file = write('m.yaml', MANIFEST.replace('REPLICAS', '2'));
    const first = await kubectl(['apply', '-f', file]);
    expect(first.stderr).toBe('');
    expect(first.stdout.trim().split('\n')).toEqual([
      'namespace/team-x created',
      'resourcequota/gpu-quota created',
      'statefulset.apps/trainer created',
      'clusterqueue.kueue.x-k8s.io/cq-x created',
    ]);
    const again = await kubectl(['apply', '-f', file]);
    expect(again.stdout.trim().split('\n')).toEqual([
      'namespace/team-x unchanged',
      'resourcequota/gpu-quota unchanged',
      'statefulset.apps/trainer unchanged',
      'clusterqueue.kueue.x-k8s.io/cq-x unchanged',
    ]);
    const changed = await kubectl([
      'apply',
      '-f',
      write('m3.yaml', MANIFEST.replace('REPLICAS', '3')),
    ]);
    expect(changed.stdout).toContain('statefulset.apps/trainer configured');
    expect(changed.stdout).toContain('namespace/team-x unchanged');
    const sts: any = server.get('apps/v1', 'StatefulSet', 'team-x', 'trainer');
    expect(sts.spec.replicas).toBe(3);
    // the last-applied annotation kubectl keeps for three-way merges
    expect(
      sts.metadata.annotations[
        'kubectl.kubernetes.io/last-applied-configuration'
      ],
    ).toContain('"replicas":3');
    expect(sts.spec.template.spec.containers[0].env).toEqual([
      { name: 'EPOCHS', value: '10' },
    ]);
  });

  it('prints tables for get, with quotas across namespaces and custom resources', async () => {
    const quotas = await kubectl(['get', 'resourcequota', '-A']);
    expect(quotas.code).toBe(0);
    const lines = quotas.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+AGE\s+REQUEST\s+LIMIT$/);
    expect(lines[1]).toMatch(
      /^team-x\s+gpu-quota\s+\d+s\s+pods: 3\/10, requests\.nvidia\.com\/gpu: 3\/4\s*$/,
    );

    const cqs = await kubectl(['get', 'clusterqueues']);
    expect(cqs.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+COHORT\s+PENDING WORKLOADS$/),
      expect.stringMatching(/^cq-x\s+shared\s*$/),
    ]);
    const short = await kubectl([
      'get',
      'cq',
      'cq-x',
      '-o',
      'jsonpath={.spec.cohortName}',
    ]);
    expect(short.stdout).toBe('shared');

    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      'team-x',
      '-l',
      'app=trainer',
      '-o',
      'json',
    ]);
    const list = JSON.parse(pods.stdout);
    expect(list.kind).toBe('List');
    expect(
      list.items.map((p: any) => [p.metadata.name, p.status.phase]),
    ).toEqual([
      ['trainer-0', 'Running'],
      ['trainer-1', 'Running'],
      ['trainer-2', 'Running'],
    ]);
    const none = await kubectl([
      'get',
      'pods',
      '-n',
      'team-x',
      '-l',
      'app=other',
    ]);
    expect(none.stderr.trim()).toBe('No resources found in team-x namespace.');

    const events = await kubectl([
      'get',
      'events',
      '-n',
      'team-x',
      '--field-selector',
      'reason=SuccessfulCreate',
    ]);
    const eventLines = events.stdout.trim().split('\n');
    expect(eventLines[0]).toMatch(
      /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/,
    );
    expect(eventLines).toContainEqual(
      expect.stringMatching(
        /^\d+s\s+Normal\s+SuccessfulCreate\s+statefulset\/trainer\s+create Pod trainer-0 in StatefulSet trainer successful$/,
      ),
    );

    const crds = await kubectl(['get', 'crd', 'notebooks.kubeflow.org']);
    expect(crds.stdout.split('\n')[1]).toMatch(
      /^notebooks\.kubeflow\.org\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );

    const podTable = await kubectl(['get', 'po', '-n', 'team-x']);
    expect(podTable.stdout.split('\n')[1]).toMatch(
      /^trainer-0\s+1\/1\s+Running\s+0\s+\d+s$/,
    );
  });

  it('shows the server errors kubectl users see', async () => {
    const missing = await kubectl(['get', 'po', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'Error from server (NotFound): pods "nope" not found',
    );

    const badName = await kubectl([
      'apply',
      '-f',
      write(
        'bad.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\n  namespace: team-x\nspec:\n  containers:\n  - name: main\n    image: busybox\n',
      ),
    ]);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain(
      `The Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters`,
    );

    const unknownField = await kubectl([
      'apply',
      '-f',
      write(
        'unk.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\n  namespace: team-x\nspec:\n  containres: []\n  containers:\n  - name: main\n    image: busybox\n',
      ),
    ]);
    expect(unknownField.stderr.trim()).toBe(
      `Error from server (BadRequest): error when creating "${path.join(
        dir,
        'unk.yaml',
      )}": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containres"`,
    );

    const badCq = await kubectl([
      'apply',
      '-f',
      write(
        'cq.yaml',
        'apiVersion: kueue.x-k8s.io/v1beta2\nkind: ClusterQueue\nmetadata:\n  name: bad-cq\nspec:\n  queueingStrategy: Whenever\n',
      ),
    ]);
    expect(badCq.stderr).toContain(
      'The ClusterQueue "bad-cq" is invalid: spec.queueingStrategy: Unsupported value: "Whenever": supported values: "StrictFIFO", "BestEffortFIFO"',
    );

    const overQuota = await kubectl([
      'run',
      'greedy',
      '-n',
      'team-x',
      '--image=busybox',
      '--overrides',
      JSON.stringify({
        spec: {
          containers: [
            {
              name: 'greedy',
              image: 'busybox',
              resources: { limits: { 'nvidia.com/gpu': '2' } },
            },
          ],
        },
      }),
    ]);
    expect(overQuota.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "greedy" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=3, limited: requests.nvidia.com/gpu=4',
    );

    const viewer = await server.writeKubeconfig(path.join(dir, 'viewer'), {
      token: 'viewer-token',
    });
    const forbidden = await kubectl(['create', 'namespace', 'nope'], {
      config: viewer,
    });
    expect(forbidden.stderr.trim()).toBe(
      'Error from server (Forbidden): namespaces is forbidden: User "viewer" cannot create resource "namespaces" in API group "" at the cluster scope',
    );
    // kubectl's create generators send protobuf, which only a real server reads
    const protobuf = await kubectl(['create', 'namespace', 'nope']);
    expect(protobuf.stderr.trim()).toBe(
      'Error from server (UnsupportedMediaType): the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got application/vnd.kubernetes.protobuf)',
    );
    const wrongToken = await server.writeKubeconfig(path.join(dir, 'wrong'), {
      token: 'wrong',
    });
    const unauthorized = await kubectl(['get', 'pods'], { config: wrongToken });
    expect(unauthorized.stderr).toContain(
      'error: You must be logged in to the server (Unauthorized)',
    );
  });

  it('scales, patches and server-side applies', async () => {
    expect(
      (
        await kubectl([
          'scale',
          'sts',
          'trainer',
          '-n',
          'team-x',
          '--replicas=1',
        ])
      ).stdout.trim(),
    ).toBe('statefulset.apps/trainer scaled');
    expect(
      (server.list('v1', 'Pod', 'team-x') as any[]).map(p => p.metadata.name),
    ).toEqual(['trainer-0']);
    const patched = await kubectl([
      'patch',
      'cq',
      'cq-x',
      '--type=merge',
      '-p',
      '{"spec":{"stopPolicy":"Hold"}}',
    ]);
    expect(patched.stdout.trim()).toBe(
      'clusterqueue.kueue.x-k8s.io/cq-x patched',
    );
    const ssa = await kubectl(['apply', '--server-side', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: team-x\ndata:\n  a: "1"\n',
    });
    expect(ssa.stdout.trim()).toBe('configmap/settings serverside-applied');
    expect(
      (server.get('v1', 'ConfigMap', 'team-x', 'settings') as any).data,
    ).toEqual({ a: '1' });
  });

  it('rolls out a Deployment: rollout status, set image, history and undo', async () => {
    // (in the manifest: \`kubectl create namespace\` writes protobuf, which this server does not read)
    const deployment = `apiVersion: v1
kind: Namespace
metadata:
  name: rollout
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: scorer
  namespace: rollout
spec:
  replicas: 3
  selector:
    matchLabels: {app: scorer}
  template:
    metadata:
      labels: {app: scorer}
    spec:
      containers:
      - name: main
        image: scorer:1
`;
    expect(
      (
        await kubectl(['apply', '-f', write('scorer.yaml', deployment)])
      ).stdout.trim(),
    ).toBe('namespace/rollout created\ndeployment.apps/scorer created');
    const status = async () =>
      kubectl([
        'rollout',
        'status',
        'deployment/scorer',
        '-n',
        'rollout',
        '--timeout=10s',
      ]);
    expect((await status()).stdout.trim()).toBe(
      'deployment "scorer" successfully rolled out',
    );
    const pods = await kubectl([
      'get',
      'pods',
      '-n',
      'rollout',
      '-l',
      'app=scorer',
      '-o',
      'name',
    ]);
    expect(pods.stdout.trim().split('\n')).toHaveLength(3);

    expect(
      (
        await kubectl([
          'set',
          'image',
          'deployment/scorer',
          'main=scorer:2',
          '-n',
          'rollout',
        ])
      ).stdout.trim(),
    ).toBe('deployment.apps/scorer image updated');
    expect((await status()).stdout.trim()).toBe(
      'deployment "scorer" successfully rolled out',
    );
    const history = await kubectl([
      'rollout',
      'history',
      'deployment/scorer',
      '-n',
      'rollout',
    ]);
    expect(history.stdout).toMatch(
      /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/,
    );
    const images = async () =>
      (
        await kubectl([
          'get',
          'pods',
          '-n',
          'rollout',
          '-o',
          'jsonpath={.items[*].spec.containers[0].image}',
        ])
      ).stdout.split(' ');
    expect(await images()).toEqual(['scorer:2', 'scorer:2', 'scorer:2']);

    const undo = await kubectl([
      'rollout',
      'undo',
      'deployment/scorer',
      '-n',
      'rollout',
    ]);
    expect(undo.stderr).toBe('');
    expect(undo.stdout.trim()).toBe('deployment.apps/scorer rolled back');
    expect((await status()).stdout.trim()).toBe(
      'deployment "scorer" successfully rolled out',
    );
    expect(await images()).toEqual(['scorer:1', 'scorer:1', 'scorer:1']);
    const rs = await kubectl(['get', 'rs', '-n', 'rollout']);
    expect(rs.stdout).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\n/);
    expect(rs.stdout.trim().split('\n')).toHaveLength(3);
    expect((await kubectl(['delete', 'namespace', 'rollout'])).code).toBe(0);
  });

  it('deletes what a manifest created', async () => {
    const file = path.join(dir, 'm.yaml');
    const del = await kubectl(['delete', '-f', file]);
    expect(del.stderr).toBe('');
    expect(del.stdout.trim().split('\n')).toEqual([
      'namespace "team-x" deleted',
      'resourcequota "gpu-quota" deleted',
      'statefulset.apps "trainer" deleted',
      'clusterqueue.kueue.x-k8s.io "cq-x" deleted',
    ]);
    const wait = await kubectl([
      'wait',
      '--for=delete',
      'namespace/team-x',
      '--timeout=10s',
    ]);
    expect(wait.code).toBe(0);
    expect(server.list('v1', 'Pod', 'team-x')).toEqual([]);
  });
});
