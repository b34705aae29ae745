/*
 * The public types of the stand-in server: its options, its handle and the
 * request log. The HTTP handlers share KubeRequestRecord and KubeFault, so
 * they live apart from startKubeApiServer.
 */
import { CrdGroup } from './resources';
import { KueueVisibilityMode } from './http/visibility';

export type { KueueVisibilityMode } from './http/visibility';

/** @public */
export interface KubeApiServerOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (random). */
  port?: number;
  /** Admin bearer token; default random hex. */
  token?: string;
  /**
   * Extra tokens, e.g. a read-only one for 403 tests, or one authorized by
   * the RBAC objects stored in the server (`rbac: true`; a ServiceAccount's
   * user is `system:serviceaccount:<namespace>:<name>`).
   */
  tokens?: Record<string, { user: string; readOnly?: boolean; rbac?: boolean }>;
  /** CRD groups served: default ['kueue', 'kubeflow', 'argo', 'kserve']; [] = plain cluster without those CRDs. */
  crds?: CrdGroup[];
  /**
   * Objects created at start (validated like any create; their status is then
   * written through /status before controllers see them). Objects of a known
   * custom resource whose CRD group is not served are skipped, so one seed
   * fits a cluster with and without that add-on.
   */
  seed?: object[];
  /** Run the tiny built-in controllers (default true). */
  controllers?: boolean;
  /** Kubernetes version reported by /version, default v1.32.0. */
  gitVersion?: string;
  /**
   * Kueue's visibility API (pending workloads with their queue positions):
   * `served` (default, with the kueue CRDs), `absent` (404, not in
   * discovery) or `forbidden` (RBAC's 403 for every caller).
   */
  kueueVisibility?: KueueVisibilityMode;
}

/** One request as the server saw it. @public */
export interface KubeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  verb?:
    | 'get'
    | 'list'
    | 'watch'
    | 'create'
    | 'update'
    | 'patch'
    | 'delete'
    | 'deletecollection';
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  status: number;
}

/** A fault every matching request answers with. @public */
export interface KubeFault {
  status?: number;
  delayMs?: number;
  match?: (r: { method: string; path: string }) => boolean;
}

/** A running stand-in API server. @public */
export interface KubeApiServer {
  /** https://127.0.0.1:PORT */
  url: string;
  token: string;
  /** PEM of the CA that signed the serving cert. */
  caPem: string;
  /** base64 of caPem (kubeconfig certificate-authority-data). */
  caData: string;
  /** Writes a kubeconfig for this server; returns its path. */
  writeKubeconfig(
    path: string,
    opts?: { token?: string; contextName?: string; namespace?: string },
  ): Promise<string>;
  /** Request log. */
  readonly requests: KubeRequestRecord[];
  resetRequests(): void;
  /** Creates an object, bypassing HTTP (still defaulted, validated and admitted). */
  create(obj: object): Promise<object>;
  /** Creates or replaces an object (like `kubectl apply` of a full object). */
  apply(obj: object): Promise<object>;
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): object | undefined;
  list(apiVersion: string, kind: string, namespace?: string): object[];
  /** Switches Kueue's visibility API between served, absent and forbidden. */
  setKueueVisibility(mode: KueueVisibilityMode): void;
  /**
   * Appends lines to a running container's log (`pods/log`), as if the
   * container printed them; followers see them at once. Throws when the pod
   * or container does not exist.
   */
  appendPodLog(
    namespace: string,
    pod: string,
    container: string,
    ...lines: string[]
  ): void;
  /** Fault injection; null clears. */
  setFault(fault: KubeFault | null): void;
  stop(): Promise<void>;
}
