/*
 * Authentication by bearer token and authorisation: read-only tokens may
 * get, list and watch, nothing else; tokens started with `rbac: true` may
 * do what the stored RBAC objects allow (rbac.ts); both with RBAC's 403
 * message.
 */
import { IncomingMessage } from 'node:http';
import { RbacAttributes } from '../rbac';
import { errors } from '../status';
import { Route } from './route';

/** Who a token belongs to. */
export interface TokenUser {
  user: string;
  readOnly?: boolean;
  /** Set for RBAC-authorized tokens: whether the stored RBAC allows a request. */
  can?: (a: RbacAttributes) => boolean;
}

/** Paths anyone may read without a token, as the system:public-info-viewer role allows. */
const PUBLIC_PATHS = ['/version', '/healthz', '/livez', '/readyz'];

/**
 * The user of a request; throws the 401 Status unless its token is known,
 * or it carries no token at all and asks for a public path (then the user is
 * undefined).
 */
export function authenticate(
  tokens: Map<string, TokenUser>,
  req: IncomingMessage,
  pathname: string,
): TokenUser | undefined {
  const auth = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(auth);
  const user = m ? tokens.get(m[1].trim()) : undefined;
  const publicPath = PUBLIC_PATHS.includes(pathname);
  if (!user && !(publicPath && !m)) throw errors.unauthorized();
  return user;
}

/**
 * Throws RBAC's 403 Status when a read-only user tries anything but a read,
 * or the RBAC objects do not allow an RBAC-authorized user the request.
 */
export function authorize(user: TokenUser, verb: string, r: Route): void {
  const resource = r.subresource
    ? `${r.type.plural}/${r.subresource}`
    : r.type.plural;
  if (user.can) {
    const attributes = {
      verb,
      group: r.type.group,
      resource,
      ...(r.type.namespaced && r.namespace ? { namespace: r.namespace } : {}),
      ...(r.name ? { name: r.name } : {}),
    };
    if (user.can(attributes)) return;
  } else if (!user.readOnly || ['get', 'list', 'watch'].includes(verb)) {
    return;
  }
  const scope =
    r.type.namespaced && r.namespace
      ? `in the namespace "${r.namespace}"`
      : 'at the cluster scope';
  throw errors.forbidden(
    { group: r.type.group, resource: r.type.plural, name: r.name },
    `User "${user.user}" cannot ${verb} resource "${resource}" in API group "${r.type.group}" ${scope}`,
  );
}
