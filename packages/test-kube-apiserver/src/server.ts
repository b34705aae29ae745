/*
 * startKubeApiServer: a fresh cluster behind an HTTPS server on a fresh CA,
 * and the handle tests hold. The cluster's semantics live in cluster.ts,
 * the HTTP front (auth, routing, lists, watches, patches, subresources,
 * discovery, faults) in http/.
 */
import https from 'node:https';
import { ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import {
  KubeApiServer,
  KubeApiServerOptions,
  KubeFault,
  KubeRequestRecord,
} from './api';
import { bootstrapCluster, seedCluster, writeDirect } from './bootstrap';
import { generateCerts } from './certs';
import { kubeconfigYaml } from './kubeconfig';
import { TokenUser } from './http/auth';
import { rbacAllows } from './rbac';
import { createRequestHandler } from './http/handler';

export type {
  KueueVisibilityMode,
  KubeApiServer,
  KubeApiServerOptions,
  KubeFault,
  KubeRequestRecord,
} from './api';

/**
 * Starts the stand-in API server over HTTPS on a fresh CA.
 *
 * @public
 */
export async function startKubeApiServer(
  opts: KubeApiServerOptions = {},
): Promise<KubeApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const adminToken = opts.token ?? randomBytes(16).toString('hex');
  const crds = opts.crds ?? ['kueue', 'kubeflow', 'argo', 'kserve'];
  const cluster = bootstrapCluster(crds, opts.controllers ?? true);
  const tokens = new Map<string, TokenUser>([
    [adminToken, { user: 'kubernetes-admin' }],
    ...Object.entries(opts.tokens ?? {}).map(
      ([token, { rbac, ...u }]): [string, TokenUser] => [
        token,
        rbac ? { ...u, can: a => rbacAllows(cluster, u.user, a) } : u,
      ],
    ),
  ]);

  const requests: KubeRequestRecord[] = [];
  let fault: KubeFault | null = null;
  let kueueVisibility = opts.kueueVisibility ?? 'served';
  const watches = new Set<ServerResponse>();

  const certs = await generateCerts(host);
  seedCluster(cluster, crds, opts.seed ?? []);

  const server = https.createServer(
    { key: certs.keyPem, cert: certs.certPem },
    createRequestHandler({
      cluster,
      tokens,
      gitVersion: opts.gitVersion ?? 'v1.32.0',
      address: (): string =>
        `${host}:${(server.address() as AddressInfo).port}`,
      requests,
      fault: () => fault,
      watches,
      kueueVisibility: () => kueueVisibility,
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `https://${urlHost}:${port}`;
  const caData = Buffer.from(certs.caPem).toString('base64');

  return {
    url,
    token: adminToken,
    caPem: certs.caPem,
    caData,
    requests,
    resetRequests() {
      requests.length = 0;
    },
    async writeKubeconfig(path, o = {}) {
      const text = kubeconfigYaml({
        url,
        caData,
        token: o.token ?? adminToken,
        contextName: o.contextName,
        namespace: o.namespace,
      });
      await fs.writeFile(path, text, { mode: 0o600 });
      return path;
    },
    async create(obj) {
      return writeDirect(cluster, obj, false);
    },
    async apply(obj) {
      return writeDirect(cluster, obj, true);
    },
    get(apiVersion, kind, namespace, name) {
      const [t, version] = cluster.typeOf(apiVersion, kind);
      const o = cluster.store.get(
        t,
        t.namespaced ? namespace : undefined,
        name,
      );
      return o ? cluster.present(t, version, o) : undefined;
    },
    list(apiVersion, kind, namespace) {
      const [t, version] = cluster.typeOf(apiVersion, kind);
      return cluster.store
        .list(t, namespace)
        .map(o => cluster.present(t, version, o));
    },
    setKueueVisibility(mode) {
      kueueVisibility = mode;
    },
    appendPodLog(namespace, pod, container, ...lines) {
      const [t] = cluster.typeOf('v1', 'Pod');
      const o = cluster.store.get(t, namespace, pod);
      if (!o) throw new Error(`pod ${namespace}/${pod} not found`);
      if (!o.spec?.containers?.some((c: any) => c.name === container))
        throw new Error(
          `pod ${namespace}/${pod} has no container ${container}`,
        );
      for (const line of lines)
        cluster.podLogs.append(o.metadata.uid, container, line);
    },
    setFault(f) {
      fault = f;
    },
    async stop() {
      cluster.close();
      for (const w of watches) w.end();
      watches.clear();
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await fs.rm(certs.dir, { recursive: true, force: true });
    },
  };
}
