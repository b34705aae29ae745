import { KubeApiServer } from '@mlplatform/test-kube-apiserver';
import { ClusterService } from '../services/kubernetes/ClusterService';

/**
 * A ClusterService on test API servers, by cluster name, with the token and
 * CA each server issued (no service account, TLS verified) and the team
 * label the seeds use.
 */
export function testClusters(
  servers: Record<string, Pick<KubeApiServer, 'url' | 'token' | 'caData'>>,
  options: { requestTimeoutMs?: number } = {},
): ClusterService {
  return ClusterService.create({
    clusters: Object.entries(servers).map(([name, s]) => ({
      name,
      url: s.url,
      token: s.token,
      caData: s.caData,
      serviceAccount: false,
      skipTLSVerify: false,
    })),
    settings: {
      teamLabel: 'mlplatform.io/team',
      refreshSeconds: 60,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    },
  });
}
