import {
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  RootConfigService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { ENTITY_REF_PATTERN } from '@mlplatform/plugin-ml-common';

const ENTITY_REF = new RegExp(ENTITY_REF_PATTERN);

/*
 * What the module's entity providers read alike from their
 * `catalog.providers.*` config: the owner of entities that name none, and
 * when they run.
 */

// `@backstage/config`'s Config, without a dependency of its own on it.
type Config = ReturnType<RootConfigService['getConfig']>;

/**
 * `defaultOwner` of a provider's config as a full entity ref (`fraud-team`
 * becomes `group:default/fraud-team`), or undefined when not set.
 *
 * @throws InputError naming `configKey.defaultOwner` when it is not a ref.
 */
export function readDefaultOwner(
  providerConfig: Config,
  configKey: string,
): string | undefined {
  const rawOwner = providerConfig.getOptionalString('defaultOwner');
  if (!rawOwner) return undefined;
  try {
    const ref = stringifyEntityRef(
      parseEntityRef(rawOwner, { defaultKind: 'group' }),
    );
    // parseEntityRef accepts any characters in a name; the ML kinds do not.
    if (!ENTITY_REF.test(ref)) throw new Error('not a valid entity name');
    return ref;
  } catch (e) {
    throw new InputError(
      `${configKey}.defaultOwner is not an entity reference: "${rawOwner}" (${
        (e as Error).message
      })`,
    );
  }
}

/** The provider's `schedule`, else its own default. */
export function readProviderSchedule(
  providerConfig: Config,
  defaultSchedule: SchedulerServiceTaskScheduleDefinition,
): SchedulerServiceTaskScheduleDefinition {
  return providerConfig.has('schedule')
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
        providerConfig.getConfig('schedule'),
      )
    : defaultSchedule;
}
