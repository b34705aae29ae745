import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';

/**
 * `fraud-detector`, `default/fraud-detector` and `model:default/fraud-detector`
 * all name the same Model: assistants use whichever they saw last.
 */
export function entityParams(
  ref: string,
  kind: 'model' | 'pipeline',
): { namespace: string; name: string } {
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
  return { namespace: parsed.namespace, name: parsed.name };
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
