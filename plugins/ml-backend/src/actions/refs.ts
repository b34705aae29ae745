import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import {
  EntityPathParams,
  entityPathParamsSchema,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../parseInput';

/**
 * `fraud-detector`, `default/fraud-detector` and `model:default/fraud-detector`
 * all name the same Model: assistants use whichever they saw last. The
 * namespace and name then pass the HTTP API's path schema, so a tool refuses
 * them with the message the route gives.
 */
export function entityParams(
  ref: string,
  kind: 'model' | 'pipeline',
): EntityPathParams {
  let parsed;
  try {
    parsed = parseEntityRef(ref, {
      defaultKind: kind,
      defaultNamespace: 'default',
    });
  } catch {
    throw new InputError(`"${ref}" is not a ${kind} name or entity ref`);
  }
  if (parsed.kind.toLocaleLowerCase('en-US') !== kind) {
    throw new InputError(`"${ref}" is a ${parsed.kind}, not a ${kind}`);
  }
  return parseInput(
    entityPathParamsSchema,
    { namespace: parsed.namespace, name: parsed.name },
    kind,
  );
}

/**
 * A Model or a Pipeline, the entities with experiments and logs: a bare
 * name or `default/name` is a Model, `pipeline:...` names a Pipeline.
 */
export function modelOrPipelineEntity(ref: string) {
  let kind: string;
  try {
    kind = parseEntityRef(ref, { defaultKind: 'model' }).kind;
  } catch {
    throw new InputError(`"${ref}" is not a model or pipeline name or ref`);
  }
  const lower = kind.toLocaleLowerCase('en-US');
  if (lower !== 'model' && lower !== 'pipeline') {
    throw new InputError(`"${ref}" is a ${kind}, not a model or pipeline`);
  }
  return { kind: lower, ...entityParams(ref, lower) } as const;
}

/** Mutations act for a person, as in the UI: a service token cannot spend a team's GPUs. */
export function userCredentials(
  credentials: BackstageCredentials,
  action: string,
): BackstageCredentials<{ type: 'user'; userEntityRef: string }> {
  const { type } = credentials.principal as { type: string };
  if (type !== 'user') {
    throw new NotAllowedError(
      `${action} acts for a signed-in user; call it with a user's token, not ${type} credentials`,
    );
  }
  return credentials as BackstageCredentials<{
    type: 'user';
    userEntityRef: string;
  }>;
}
