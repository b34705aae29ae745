/*
 * RBAC as the real API server's authorizer evaluates it, for the tokens
 * started with `rbac: true`: a request is allowed when a ClusterRoleBinding
 * binds the user to a ClusterRole, or a RoleBinding in the request's
 * namespace binds it to a Role there or a ClusterRole, with a rule matching
 * the API group, the resource (`pods/log` for a subresource), the verb and,
 * when the rule names some, the object's name. No aggregation, no
 * non-resource rules (discovery and /version are open to every user, as the
 * built-in roles make them).
 */
import { Cluster } from './cluster';

/** What a request asks to do, as RBAC sees it. */
export interface RbacAttributes {
  verb: string;
  group: string;
  /** Plural, or `plural/subresource`. */
  resource: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
}

const RBAC = 'rbac.authorization.k8s.io';

/** The identities a user name stands for: itself, its ServiceAccount, its groups. */
function subjectMatches(subject: any, user: string, bindingNs?: string) {
  if (subject?.kind === 'User') return subject.name === user;
  if (subject?.kind === 'ServiceAccount') {
    const ns = subject.namespace ?? bindingNs;
    return user === `system:serviceaccount:${ns}:${subject.name}`;
  }
  if (subject?.kind === 'Group') {
    const sa = /^system:serviceaccount:([^:]+):/.exec(user);
    return (
      subject.name === 'system:authenticated' ||
      (!!sa &&
        (subject.name === 'system:serviceaccounts' ||
          subject.name === `system:serviceaccounts:${sa[1]}`))
    );
  }
  return false;
}

const has = (list: string[] | undefined, value: string) =>
  !!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: PolicyRule, a: RbacAttributes): boolean {
  return (
    has(rule.apiGroups, a.group) &&
    has(rule.resources, a.resource) &&
    has(rule.verbs, a.verb) &&
    (!rule.resourceNames?.length ||
      (!!a.name && rule.resourceNames.includes(a.name)))
  );
}

function objects(cluster: Cluster, plural: string, namespace?: string): any[] {
  const t = cluster.typeFor(RBAC, 'v1', plural);
  return t ? cluster.store.list(t, namespace) : [];
}

/** The rules of the role a binding refers to (none when it does not exist). */
function rulesOf(cluster: Cluster, binding: any): PolicyRule[] {
  const ref = binding.roleRef ?? {};
  const role =
    ref.kind === 'ClusterRole'
      ? objects(cluster, 'clusterroles').find(r => r.metadata.name === ref.name)
      : objects(cluster, 'roles', binding.metadata.namespace).find(
          r => r.metadata.name === ref.name,
        );
  return role?.rules ?? [];
}

/** True when the stored RBAC objects allow `user` to do `a`. */
export function rbacAllows(
  cluster: Cluster,
  user: string,
  a: RbacAttributes,
): boolean {
  const bindings = [
    ...objects(cluster, 'clusterrolebindings'),
    ...(a.namespace ? objects(cluster, 'rolebindings', a.namespace) : []),
  ].filter(b =>
    (b.subjects ?? []).some((s: any) =>
      subjectMatches(s, user, b.metadata.namespace),
    ),
  );
  return bindings.some(b => rulesOf(cluster, b).some(r => ruleAllows(r, a)));
}
