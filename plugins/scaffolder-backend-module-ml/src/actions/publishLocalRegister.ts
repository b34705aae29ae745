import {
  isChildPath,
  resolveSafeChildPath,
  RootConfigService,
} from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { localPublishRoot } from './publishLocal';

const ENTITY_PREFERENCE = ['Model', 'Component'];

/**
 * Creates `ml:catalog:register-file`: registers the catalog-info.yaml of a
 * repository published by `ml:publish:local` as a `file` location, which
 * `catalog:register` cannot do (it only registers `url` locations). Only files
 * under `scaffolder.ml.localPublishDirectory` can be registered, so a template
 * cannot make the catalog read arbitrary files of the backend host.
 *
 * @public
 */
export function createRegisterFileAction(options: {
  config: RootConfigService;
  catalog: CatalogService;
}) {
  const { config, catalog } = options;
  return createTemplateAction({
    id: 'ml:catalog:register-file',
    description:
      'Registers a catalog-info.yaml of a repository published with ml:publish:local in the catalog, as a file location',
    supportsDryRun: true,
    examples: [
      {
        description: 'Register the entities of a locally published repository',
        example: stringify({
          steps: [
            {
              id: 'register',
              action: 'ml:catalog:register-file',
              name: 'Register in the catalog',
              input: {
                repoContentsUrl: '${{ steps.publish.output.repoContentsUrl }}',
                catalogInfoPath: '${{ steps.publish.output.catalogInfoPath }}',
              },
            },
          ],
        }),
      },
    ],
    schema: {
      input: {
        repoContentsUrl: z =>
          z
            .string()
            .startsWith('file://')
            .describe(
              'file:// URL of the repository root (ml:publish:local output)',
            ),
        catalogInfoPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Path from the repository root; /catalog-info.yaml when not given',
            ),
      },
      output: {
        entityRef: z =>
          z
            .string()
            .optional()
            .describe('The Model (or first) entity registered'),
        entityRefs: z => z.array(z.string()).optional(),
        catalogInfoUrl: z => z.string(),
      },
    },
    async handler(ctx) {
      const root = localPublishRoot(config);
      const repository = fileURLToPath(ctx.input.repoContentsUrl);
      if (!isChildPath(root, repository) || repository === root) {
        throw new InputError(
          `${ctx.input.repoContentsUrl} is not a repository under ${root}; only repositories published with ml:publish:local can be registered`,
        );
      }
      const relative = (
        ctx.input.catalogInfoPath ?? '/catalog-info.yaml'
      ).replace(/^\/+/, '');
      const target = resolveSafeChildPath(repository, relative);
      ctx.output('catalogInfoUrl', `file://${target}`);

      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would register ${target} in the catalog`);
        return;
      }
      if (!existsSync(target)) {
        throw new InputError(
          `${target} does not exist; publish the repository first`,
        );
      }

      const credentials = await ctx.getInitiatorCredentials();
      const register = async (dryRun: boolean) => {
        try {
          return await catalog.addLocation(
            { type: 'file', target, dryRun },
            { credentials },
          );
        } catch (error) {
          const message = String((error as Error).message);
          if (/allowed type/.test(message)) {
            throw new InputError(
              `the catalog does not accept file locations: a catalog backend module must call catalogLocationsExtensionPoint.setAllowedLocationTypes(['url', 'file']) (${message})`,
            );
          }
          throw error;
        }
      };
      // A dry run first: the catalog processes the file with every processor
      // (the ML kinds' validation included), so invalid entities fail the step
      // before a location that can never be ingested is stored.
      const { entities } = await register(true);
      const entityRefs = entities
        .filter(e => e.kind !== 'Location')
        .map(e => stringifyEntityRef(e));
      await ctx.checkpoint({
        key: `ml-catalog-register-file:${target}`,
        fn: async () => {
          await register(false);
        },
      });

      ctx.logger.info(`Registered ${target}: ${entityRefs.join(', ')}`);
      ctx.output('entityRefs', entityRefs);
      const preferred =
        ENTITY_PREFERENCE.map(kind =>
          entityRefs.find(ref => ref.startsWith(`${kind.toLowerCase()}:`)),
        ).find(Boolean) ?? entityRefs[0];
      if (preferred) ctx.output('entityRef', preferred);
    },
  });
}
