import { KubeConfig } from '@kubernetes/client-node';
import { ClusterConfig } from '../../config';

/**
 * Builds the client configuration of one configured cluster. The same client
 * code then talks to a real cluster or to the test API server.
 *
 * @internal
 */
export function kubeConfigFor(cluster: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  if (cluster.serviceAccount) {
    kc.loadFromCluster();
    return kc;
  }
  if (cluster.kubeconfig) {
    kc.loadFromFile(cluster.kubeconfig);
    if (cluster.context) kc.setCurrentContext(cluster.context);
    return kc;
  }
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url!,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: cluster.skipTLSVerify,
      },
    ],
    users: [{ name: cluster.name, token: cluster.token }],
    contexts: [
      { name: cluster.name, cluster: cluster.name, user: cluster.name },
    ],
    currentContext: cluster.name,
  });
  return kc;
}

/** Host and port of the cluster's API server, for display without secrets. */
export function clusterHost(kc: KubeConfig): string {
  const server = kc.getCurrentCluster()?.server;
  return server ? new URL(server).host : 'unknown';
}
