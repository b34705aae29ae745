import { mockServices } from '@backstage/backend-test-utils';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { Validator } from 'jsonschema';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, promises as fs, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { createPublishLocalAction } from './publishLocal';
import { examples } from './publishLocal.examples';
import { createRegisterFileAction } from './publishLocalRegister';

// git runs in child processes: slow on a busy 2-core machine.
jest.setTimeout(30_000);

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map(r => fs.rm(r, { recursive: true, force: true })));
});

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'ml-publish-local-'));
  roots.push(root);
  const publishDir = join(root, 'git');
  const config = mockServices.rootConfig({
    data: { scaffolder: { ml: { localPublishDirectory: publishDir } } },
  });
  return { root, publishDir, config };
}

async function workspaceWith(root: string) {
  const workspacePath = join(root, 'workspace');
  await fs.mkdir(join(workspacePath, 'src'), { recursive: true });
  await fs.writeFile(join(workspacePath, 'catalog-info.yaml'), 'kind: Model\n');
  await fs.writeFile(join(workspacePath, 'src', 'train.py'), 'print(1)\n');
  return workspacePath;
}

const gitOf = (bare: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', bare, ...args], {
    encoding: 'utf8',
  }).trim();

describe('ml:publish:local', () => {
  it('publishes the workspace as the first commit on main of a bare repository, as the user', async () => {
    const { root, publishDir, config } = setup();
    const workspacePath = await workspaceWith(root);
    const ctx = createMockActionContext({
      workspacePath,
      input: { repoName: 'churn-predictor', gitCommitMessage: 'First' },
      user: {
        entity: {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'User',
          metadata: { name: 'alice' },
          spec: {
            profile: { displayName: 'Alice', email: 'alice@example.com' },
          },
        },
      },
    });
    await createPublishLocalAction({ config }).handler(ctx);

    const bare = join(publishDir, 'churn-predictor.git');
    expect(gitOf(bare, 'log', '--format=%s|%an|%ae', 'main')).toBe(
      'First|Alice|alice@example.com',
    );
    expect(
      gitOf(bare, 'ls-tree', '-r', '--name-only', 'main').split('\n'),
    ).toEqual(['catalog-info.yaml', 'src/train.py']);
    expect(ctx.output).toHaveBeenCalledWith(
      'remoteUrl',
      pathToFileURL(bare).href,
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'repoContentsUrl',
      `${pathToFileURL(join(publishDir, 'churn-predictor')).href}/`,
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'catalogInfoPath',
      '/catalog-info.yaml',
    );
    // The checkout the catalog reads is the pushed commit.
    const checkout = join(publishDir, 'churn-predictor');
    expect(
      execFileSync(
        'git',
        ['-C', checkout, 'status', '--porcelain', '--branch'],
        {
          encoding: 'utf8',
        },
      ).trim(),
    ).toBe('## main...origin/main');
  });

  it('refuses a repository that exists and leaves it alone', async () => {
    const { root, publishDir, config } = setup();
    const workspacePath = await workspaceWith(root);
    const action = createPublishLocalAction({ config });
    await action.handler(
      createMockActionContext({ workspacePath, input: { repoName: 'taken' } }),
    );
    const head = gitOf(join(publishDir, 'taken.git'), 'rev-parse', 'main');
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: { repoName: 'taken' },
        }),
      ),
    ).rejects.toThrow('repository taken already exists');
    expect(gitOf(join(publishDir, 'taken.git'), 'rev-parse', 'main')).toBe(
      head,
    );
  });

  it('refuses to run when not configured, saying which key to set', async () => {
    const { root } = setup();
    const action = createPublishLocalAction({
      config: mockServices.rootConfig({ data: {} }),
    });
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath: await workspaceWith(root),
          input: { repoName: 'x' },
        }),
      ),
    ).rejects.toThrow(
      /not configured: set scaffolder\.ml\.localPublishDirectory/,
    );
  });

  it('cannot write outside the publish directory, whatever the input', async () => {
    const { root, publishDir, config } = setup();
    const workspacePath = await workspaceWith(root);
    const action = createPublishLocalAction({ config });
    // The scaffolder validates input against the schema first ...
    for (const repoName of ['../escape', 'a/b', 'Upper', '.git', '']) {
      expect(
        new Validator().validate({ repoName }, action.schema!.input as any)
          .valid,
      ).toBe(false);
    }
    // ... and the handler resolves paths safely even without it.
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: { repoName: '../../escape' },
        }),
      ),
    ).rejects.toThrow(/outside/);
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: { repoName: 'ok', sourcePath: '../../etc' },
        }),
      ),
    ).rejects.toThrow(/outside/);
    expect(existsSync(join(root, 'escape.git'))).toBe(false);
    expect(existsSync(publishDir) ? readdirSync(publishDir) : []).toEqual([]);
  });

  it('creates nothing in a dry run', async () => {
    const { root, publishDir, config } = setup();
    // The mock context does not take isDryRun; the scaffolder sets it.
    const ctx = {
      ...createMockActionContext({
        workspacePath: await workspaceWith(root),
        input: { repoName: 'dry' },
      }),
      isDryRun: true,
    };
    await createPublishLocalAction({ config }).handler(ctx);
    expect(existsSync(publishDir)).toBe(false);
    expect(ctx.output).toHaveBeenCalledWith(
      'remoteUrl',
      pathToFileURL(join(publishDir, 'dry.git')).href,
    );
  });

  it('runs the documented example', async () => {
    const { root, publishDir, config } = setup();
    const steps = parse(examples[0].example).steps;
    const addLocation = jest.fn(async (location: { dryRun?: boolean }) => ({
      location: { id: '1', type: 'file', target: '' },
      entities: location.dryRun
        ? [
            {
              apiVersion: 'mlplatform.io/v1alpha1',
              kind: 'Model',
              metadata: { name: 'churn-predictor' },
            },
          ]
        : [],
    }));
    const catalog = { addLocation } as unknown as CatalogService;

    const publish = createMockActionContext({
      workspacePath: await workspaceWith(root),
      input: steps[0].input,
    });
    await createPublishLocalAction({ config }).handler(publish);
    const outputs = Object.fromEntries(
      (publish.output as jest.Mock).mock.calls,
    );
    const register = createMockActionContext({
      workspacePath: root,
      input: {
        repoContentsUrl: outputs.repoContentsUrl,
        catalogInfoPath: outputs.catalogInfoPath,
      },
    });
    await createRegisterFileAction({ config, catalog }).handler(register);

    const target = join(publishDir, 'churn-predictor', 'catalog-info.yaml');
    expect(addLocation).toHaveBeenCalledWith(
      { type: 'file', target, dryRun: false },
      expect.anything(),
    );
    expect(register.output).toHaveBeenCalledWith(
      'entityRef',
      'model:default/churn-predictor',
    );
  });
});

describe('ml:catalog:register-file', () => {
  it('only registers files of repositories under the publish directory', async () => {
    const { root, config } = setup();
    const addLocation = jest.fn();
    const action = createRegisterFileAction({
      config,
      catalog: { addLocation } as unknown as CatalogService,
    });
    for (const input of [
      { repoContentsUrl: pathToFileURL('/etc').href },
      { repoContentsUrl: pathToFileURL(join(root, 'git')).href },
      {
        repoContentsUrl: pathToFileURL(join(root, 'git', 'repo')).href,
        catalogInfoPath: '../../../etc/passwd',
      },
    ]) {
      await expect(
        action.handler(createMockActionContext({ workspacePath: root, input })),
      ).rejects.toThrow(/not a repository under|outside/);
    }
    expect(addLocation).not.toHaveBeenCalled();
  });

  it('registers nothing when the catalog rejects the entities', async () => {
    const { root, publishDir, config } = setup();
    await createPublishLocalAction({ config }).handler(
      createMockActionContext({
        workspacePath: await workspaceWith(root),
        input: { repoName: 'bad' },
      }),
    );
    const addLocation = jest.fn(async () => {
      throw new Error('Model "bad": spec.owner is required');
    });
    await expect(
      createRegisterFileAction({
        config,
        catalog: { addLocation } as unknown as CatalogService,
      }).handler(
        createMockActionContext({
          workspacePath: root,
          input: {
            repoContentsUrl: `${pathToFileURL(join(publishDir, 'bad')).href}/`,
          },
        }),
      ),
    ).rejects.toThrow('spec.owner is required');
    // Only the dry run was attempted.
    expect(addLocation).toHaveBeenCalledTimes(1);
    expect(addLocation).toHaveBeenCalledWith(
      expect.objectContaining({ dryRun: true }),
      expect.anything(),
    );
  });
});
