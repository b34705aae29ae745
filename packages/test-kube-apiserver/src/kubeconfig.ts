/*
 * A kubeconfig for the stand-in server: one cluster with its CA, one token
 * user, one context — what kubectl and client libraries need to connect.
 */

/** The kubeconfig YAML for `url` with CA data `caData` and bearer `token`. */
export function kubeconfigYaml(opts: {
  url: string;
  caData: string;
  token: string;
  contextName?: string;
  namespace?: string;
}): string {
  const ctx = opts.contextName ?? 'test-kube-apiserver';
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${ctx}`,
    '  cluster:',
    `    server: ${opts.url}`,
    `    certificate-authority-data: ${opts.caData}`,
    'users:',
    `- name: ${ctx}-user`,
    '  user:',
    `    token: ${JSON.stringify(opts.token)}`,
    'contexts:',
    `- name: ${ctx}`,
    '  context:',
    `    cluster: ${ctx}`,
    `    user: ${ctx}-user`,
    `    namespace: ${opts.namespace ?? 'default'}`,
    `current-context: ${ctx}`,
    '',
  ].join('\n');
}
