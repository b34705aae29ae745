import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { MlApiClient } from '@mlplatform/plugin-ml-common';
import { DefaultMlService } from '@mlplatform/plugin-ml-node';
import { promises as fs } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createModelDeployAction } from './modelDeploy';
import { examples } from './modelDeploy.examples';

// A stand-in for the ML backend's deployments route, to check the action's
// own logic (parsing, dry run, the files it writes); the real backend and
// scaffolder run in modelDeploymentTemplate.test.ts.

let server: http.Server;
let baseUrl = '';
const posts: Array<{ path: string; body: any }> = [];

const action = () =>
  createModelDeployAction({
    ml: new DefaultMlService({
      auth: mockServices.auth(),
      client: new MlApiClient({
        discoveryApi: { getBaseUrl: async () => baseUrl },
      }),
    }),
  });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', c => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text);
      posts.push({ path: req.url!, body });
      const kind =
        body.runtime === 'vllm-openai' ? 'Deployment' : 'InferenceService';
      res.writeHead(body.dryRun ? 200 : 201, {
        'content-type': 'application/json',
      });
      res.end(
        JSON.stringify({
          entityRef: 'model:default/x',
          dryRun: body.dryRun,
          cluster: body.cluster,
          namespace: body.namespace,
          name: body.name,
          kind,
          version: body.version,
          storageUri: `oci://registry.example.com/x:${body.version}`,
          gpus: {
            perReplica: body.gpus,
            total: body.gpus,
            resource: 'nvidia.com/gpu',
          },
          manifests:
            kind === 'Deployment'
              ? [
                  {
                    apiVersion: 'apps/v1',
                    kind: 'Deployment',
                    metadata: { name: body.name },
                  },
                  {
                    apiVersion: 'v1',
                    kind: 'Service',
                    metadata: { name: body.name },
                  },
                ]
              : [
                  {
                    apiVersion: 'serving.kserve.io/v1beta1',
                    kind,
                    metadata: { name: body.name },
                  },
                ],
        }),
      );
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/ml`;
});
afterAll(() => new Promise(r => server.close(r)));
beforeEach(() => {
  posts.length = 0;
});

describe('ml:model:deploy', () => {
  it.each(examples.map(e => [e.description, e.example]))(
    'example: %s',
    async (_description, example) => {
      const step = parse(example).steps[0];
      expect(step.action).toBe('ml:model:deploy');
      const ctx = createMockActionContext({ input: step.input });
      await action().handler(ctx as any);
      const [{ path, body }] = posts;
      const ref = step.input.model.replace('model:', '');
      expect(path).toBe(`/api/ml/models/${ref}/deployments`);
      // the API's defaults applied by its schema; apply: false is a dry run
      expect(body).toMatchObject({
        name: step.input.name,
        version: step.input.version,
        gpuResource: 'nvidia.com/gpu',
        dryRun: step.input.apply === false,
      });
      expect(ctx.output).toHaveBeenCalledWith(
        'applied',
        step.input.apply !== false,
      );
      const files = (ctx.output as jest.Mock).mock.calls.find(
        c => c[0] === 'files',
      )![1] as string[];
      for (const file of files) {
        const written = parse(
          await fs.readFile(join(ctx.workspacePath, file), 'utf8'),
        );
        expect(written.metadata.name).toBe(step.input.name);
      }
    },
  );

  it("runs the backend's checks without applying in the scaffolder's dry run", async () => {
    const input = parse(examples[0].example).steps[0].input;
    const ctx = { ...createMockActionContext({ input }), isDryRun: true };
    await action().handler(ctx as any);
    expect(posts[0].body.dryRun).toBe(true);
    expect(ctx.output).toHaveBeenCalledWith('files', [
      'k8s/inferenceservice.yaml',
    ]);
  });

  it('refuses bad input with the API message before calling the backend', async () => {
    const input = parse(examples[0].example).steps[0].input;
    await expect(
      action().handler(
        createMockActionContext({
          input: { ...input, minReplicas: 3, maxReplicas: 2 },
        }) as any,
      ),
    ).rejects.toThrow(
      'Invalid deployment: minReplicas: must not be more than maxReplicas',
    );
    await expect(
      action().handler(
        createMockActionContext({
          input: { ...input, model: 'component:default/x' },
        }) as any,
      ),
    ).rejects.toThrow(
      /model: "component:default\/x" is not a Model entity ref/,
    );
    expect(posts).toEqual([]);
  });
});
