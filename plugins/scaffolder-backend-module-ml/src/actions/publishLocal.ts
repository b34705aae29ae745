import {
  resolveSafeChildPath,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { UserEntity } from '@backstage/catalog-model';
import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  DNS_LABEL_63_PATTERN,
  DNS_LABEL_MESSAGE,
} from '@mlplatform/plugin-ml-common';
import { existsSync, promises as fs } from 'node:fs';
import { basename, resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { examples } from './publishLocal.examples';
import { git, GitAuthor } from './publishLocalGit';

/** The config key naming the directory that local repositories go to. */
export const LOCAL_PUBLISH_DIRECTORY_KEY =
  'scaffolder.ml.localPublishDirectory';

/**
 * Where `ml:publish:local` puts repositories: `<root>/<name>.git` (bare, the
 * remote) and `<root>/<name>` (a clone of it with `main` checked out, which
 * the catalog reads through a file location).
 *
 * @internal
 */
export function localPublishRoot(config: RootConfigService): string {
  const directory = config.getOptionalString(LOCAL_PUBLISH_DIRECTORY_KEY);
  if (!directory) {
    throw new InputError(
      `ml:publish:local is not configured: set ${LOCAL_PUBLISH_DIRECTORY_KEY} to the directory local git repositories are published to (e.g. .demo/git), or publish with publish:github and friends instead`,
    );
  }
  // Relative to the backend's working directory, like catalog file locations.
  return resolvePath(directory);
}

/**
 * The bare repository and its checkout for a repository name, refusing names
 * that would resolve outside the publish directory.
 *
 * @internal
 */
export function localRepositoryPaths(root: string, name: string) {
  return {
    bare: resolveSafeChildPath(root, `${name}.git`),
    checkout: resolveSafeChildPath(root, name),
  };
}

/** The user running the template, else the scaffolder's default author. */
function authorOf(
  config: RootConfigService,
  user: UserEntity | undefined,
  name?: string,
  email?: string,
): GitAuthor {
  const profile = user?.spec?.profile ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    name:
      name ??
      str(profile.displayName) ??
      config.getOptionalString('scaffolder.defaultAuthor.name') ??
      'Scaffolder',
    email:
      email ??
      str(profile.email) ??
      config.getOptionalString('scaffolder.defaultAuthor.email') ??
      'scaffolder@backstage.io',
  };
}

/**
 * Creates `ml:publish:local`: publishes the workspace as the first commit on
 * `main` of a new bare git repository under
 * `scaffolder.ml.localPublishDirectory` — the stand-in for publish:github and
 * friends where there is no git host (the demo, tests).
 *
 * @public
 */
export function createPublishLocalAction(options: {
  config: RootConfigService;
}) {
  const { config } = options;
  return createTemplateAction({
    id: 'ml:publish:local',
    description:
      'Publishes the workspace to a new bare git repository in a local directory (scaffolder.ml.localPublishDirectory), for demos and tests without a git host',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoName: z =>
          z
            .string()
            // ml-common's label rule: the name is also a directory and,
            // through the template, a catalog and Kubernetes name.
            .regex(DNS_LABEL_63_PATTERN, {
              message: `${DNS_LABEL_MESSAGE}, at most 63 characters`,
            })
            .describe('Repository name; the bare repository is <name>.git'),
        sourcePath: z =>
          z
            .string()
            .optional()
            .describe(
              'Directory of the workspace to publish; the whole workspace when not given',
            ),
        defaultBranch: z =>
          z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/)
            .optional()
            .describe('Branch to push; main when not given'),
        gitCommitMessage: z =>
          z
            .string()
            .optional()
            .describe(
              'Message of the first commit; "Initial commit" when not given',
            ),
        gitAuthorName: z => z.string().optional(),
        gitAuthorEmail: z => z.string().optional(),
      },
      output: {
        remoteUrl: z =>
          z.string().describe('file:// URL of the bare repository'),
        repoContentsUrl: z =>
          z
            .string()
            .describe(
              'file:// URL of the checked-out repository root the catalog reads',
            ),
        catalogInfoPath: z =>
          z
            .string()
            .describe('Path of catalog-info.yaml from the repository root'),
        commitHash: z => z.string().optional(),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const branch = input.defaultBranch ?? 'main';
      const root = localPublishRoot(config);
      const { bare, checkout } = localRepositoryPaths(root, input.repoName);
      const source = input.sourcePath
        ? resolveSafeChildPath(ctx.workspacePath, input.sourcePath)
        : ctx.workspacePath;
      if (!existsSync(source)) {
        throw new InputError(
          `sourcePath ${input.sourcePath} does not exist in the workspace`,
        );
      }
      const refuseExisting = () => {
        for (const path of [bare, checkout]) {
          if (existsSync(path)) {
            throw new ConflictError(
              `repository ${input.repoName} already exists at ${path}; pick another name`,
            );
          }
        }
      };

      ctx.output('remoteUrl', pathToFileURL(bare).href);
      ctx.output('repoContentsUrl', `${pathToFileURL(checkout).href}/`);
      ctx.output('catalogInfoPath', '/catalog-info.yaml');

      if (ctx.isDryRun) {
        refuseExisting();
        ctx.logger.info(
          `Dry run: would publish ${source} to ${bare} (branch ${branch})`,
        );
        return;
      }

      const author = authorOf(
        config,
        ctx.user?.entity,
        input.gitAuthorName,
        input.gitAuthorEmail,
      );
      const message =
        input.gitCommitMessage ??
        config.getOptionalString('scaffolder.defaultCommitMessage') ??
        'Initial commit';

      const commitHash = await ctx.checkpoint({
        key: `ml-publish-local:${input.repoName}`,
        fn: async () => {
          refuseExisting();
          await fs.mkdir(root, { recursive: true });
          try {
            await git([
              'init',
              '--quiet',
              '--bare',
              `--initial-branch=${branch}`,
              bare,
            ]);
            await git(['clone', '--quiet', bare, checkout]);
            // The clone of an empty repository has an unborn HEAD; point it
            // at the branch to publish whatever git's default is.
            await git(['symbolic-ref', 'HEAD', `refs/heads/${branch}`], {
              cwd: checkout,
            });
            await fs.cp(source, checkout, {
              recursive: true,
              filter: path => basename(path) !== '.git',
            });
            await git(['add', '--all'], { cwd: checkout });
            await git(['commit', '--quiet', '--no-verify', '-m', message], {
              cwd: checkout,
              author,
            });
            await git(
              ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`],
              {
                cwd: checkout,
              },
            );
            await git(
              ['branch', '--quiet', '--set-upstream-to', `origin/${branch}`],
              {
                cwd: checkout,
              },
            );
            return await git(['rev-parse', 'HEAD'], { cwd: checkout });
          } catch (error) {
            // Nothing half-made stays behind to block a retry with this name.
            await fs.rm(bare, { recursive: true, force: true });
            await fs.rm(checkout, { recursive: true, force: true });
            throw error;
          }
        },
      });

      ctx.logger.info(
        `Published ${input.repoName} to ${bare} (${branch} at ${commitHash}) as ${author.name} <${author.email}>`,
      );
      ctx.output('commitHash', commitHash);
    },
  });
}
