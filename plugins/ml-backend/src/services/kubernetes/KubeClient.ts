import { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';
import http from 'node:http';

/**
 * What a request does, in Kubernetes' own words, so errors can say
 * "not allowed to list resourcequotas" rather than "403 on /api/v1/…".
 *
 * @internal
 */
export interface KubeRequestIntent {
  verb: 'get' | 'list' | 'create' | 'patch' | 'delete' | 'discover';
  /** Plural resource name, e.g. `resourcequotas` or `clusterqueues.kueue.x-k8s.io`. */
  resource: string;
  /** `namespace/name` or `name` of the object, for messages. */
  object?: string;
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/**
 * A failed request to a cluster, with a message that names the cluster and
 * says what to fix. `status` is the HTTP status when the server answered.
 *
 * @internal
 */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly cluster: string,
    readonly status?: number,
    /** The Kubernetes Status reason, e.g. `AlreadyExists`, `Forbidden`. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

function objectPart(intent: KubeRequestIntent): string {
  return intent.object ? ` ${intent.object}` : '';
}

/** The TLS material of a cluster's request options (CA, client certificate, verification, SNI name). */
function tlsOf(opts: https.RequestOptions): https.AgentOptions {
  return {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    ...(opts.rejectUnauthorized !== undefined
      ? { rejectUnauthorized: opts.rejectUnauthorized }
      : {}),
    ...(opts.servername ? { servername: opts.servername } : {}),
  };
}

/**
 * A small JSON client for one cluster's API server. Authentication and TLS
 * come from the cluster's `KubeConfig` (token, client certificate, CA,
 * `skipTLSVerify`), so the same code talks to a real cluster or a test server.
 * Every request has a deadline; errors become {@link KubeApiError}s.
 *
 * @internal
 */
export class KubeClient {
  private agent?: https.Agent | http.Agent;
  private readonly server: URL;

  constructor(
    readonly cluster: string,
    private readonly kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    const server = kc.getCurrentCluster()?.server;
    if (!server) {
      throw new KubeApiError(
        `cluster ${cluster} has no API server URL in its configuration`,
        cluster,
      );
    }
    this.server = new URL(server);
  }

  /** Host and port of the API server, for messages without secrets. */
  get host(): string {
    return this.server.host;
  }

  async request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    intent: KubeRequestIntent,
    options: { body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const opts: https.RequestOptions = { method, headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const isHttps = this.server.protocol === 'https:';
    // One keep-alive agent per cluster; TLS material is fixed per KubeConfig,
    // only the Authorization header may change (e.g. a rotated token file).
    if (!this.agent) {
      this.agent = isHttps
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ...tlsOf(opts) })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
    }
    const url = this.urlFor(path);
    const payload =
      options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      ...(opts.headers as Record<string, string>),
      Accept: 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const lib = isHttps ? https : http;

    return new Promise<T>((resolve, reject) => {
      let clearDeadline = () => {};
      const req = lib.request(
        url,
        {
          method,
          headers,
          agent: this.agent,
          ...(opts.auth ? { auth: opts.auth } : {}),
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('error', e => reject(this.networkError(e, method, url)));
          res.on('end', () => {
            clearDeadline();
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              try {
                resolve((text ? JSON.parse(text) : {}) as T);
              } catch {
                reject(
                  new KubeApiError(
                    `cluster ${this.cluster} answered ${method} ${url.pathname} with something that is not JSON`,
                    this.cluster,
                    status,
                  ),
                );
              }
              return;
            }
            reject(this.statusError(status, text, intent));
          });
        },
      );
      clearDeadline = this.deadline(req, intent, method, url, reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /**
   * GET of a non-JSON response read as a stream (`pods/log`, possibly with
   * `follow=true`): resolves with the response once its headers arrive, so
   * the deadline covers only the wait for them. A non-2xx answer rejects
   * like {@link KubeClient.request}. Destroying the response (or aborting
   * `signal`) closes the connection.
   */
  async openStream(
    path: string,
    intent: KubeRequestIntent,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const opts: https.RequestOptions = { method: 'GET', headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const isHttps = this.server.protocol === 'https:';
    const url = this.urlFor(path);
    const lib = isHttps ? https : http;
    // A follow holds its socket for as long as someone reads: no shared agent.
    return new Promise((resolve, reject) => {
      let clearDeadline = () => {};
      const req = lib.request(
        url,
        {
          method: 'GET',
          headers: {
            ...(opts.headers as Record<string, string>),
            Accept: '*/*',
          },
          ...tlsOf(opts),
          ...(opts.auth ? { auth: opts.auth } : {}),
          signal,
        },
        res => {
          clearDeadline();
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve(res);
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', c => chunks.push(c));
          res.on('end', () =>
            reject(
              this.statusError(
                status,
                Buffer.concat(chunks).toString('utf8'),
                intent,
              ),
            ),
          );
        },
      );
      clearDeadline = this.deadline(req, intent, 'GET', url, reject);
      req.end();
    });
  }

  /** The URL of an API path on this cluster's server (which may have a path prefix). */
  private urlFor(path: string): URL {
    return new URL(
      this.server.pathname.replace(/\/+$/, '') + path,
      this.server,
    );
  }

  /**
   * Gives `req` this client's deadline (destroyed with a {@link KubeApiError}
   * naming the intent when the cluster does not answer in time) and rejects
   * with its error, a network error unless already a KubeApiError. Returns
   * the function that clears the deadline once the cluster has answered.
   */
  private deadline(
    req: http.ClientRequest,
    intent: KubeRequestIntent,
    method: string,
    url: URL,
    reject: (error: Error) => void,
  ): () => void {
    const timer = setTimeout(() => {
      req.destroy(
        new KubeApiError(
          `cluster ${this.cluster} did not answer within ${
            this.timeoutMs / 1000
          }s (${intent.verb} ${intent.resource}${objectPart(intent)})`,
          this.cluster,
        ),
      );
    }, this.timeoutMs);
    req.on('error', e => {
      clearTimeout(timer);
      reject(e instanceof KubeApiError ? e : this.networkError(e, method, url));
    });
    return () => clearTimeout(timer);
  }

  private statusError(
    status: number,
    text: string,
    intent: KubeRequestIntent,
  ): KubeApiError {
    let message = '';
    let reason: string | undefined;
    try {
      const body = JSON.parse(text);
      message = typeof body.message === 'string' ? body.message : '';
      reason = typeof body.reason === 'string' ? body.reason : undefined;
    } catch {
      message = text.slice(0, 200);
    }
    const what = `${intent.verb} ${intent.resource}${objectPart(intent)}`;
    if (status === 401 || status === 403) {
      return new KubeApiError(
        `the backend's credentials for cluster ${
          this.cluster
        } are not allowed to ${intent.verb} ${intent.resource}${objectPart(
          intent,
        )} (HTTP ${status}${message ? `: ${message}` : ''})`,
        this.cluster,
        status,
        reason,
      );
    }
    if (status >= 500) {
      return new KubeApiError(
        `cluster ${this.cluster} failed to ${what}: HTTP ${status}${
          message ? ` ${message}` : ''
        }`,
        this.cluster,
        status,
        reason,
      );
    }
    return new KubeApiError(
      `cluster ${this.cluster} refused to ${what}: ${
        message || `HTTP ${status}`
      }`,
      this.cluster,
      status,
      reason,
    );
  }

  private networkError(error: Error, method: string, url: URL): KubeApiError {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (
      TLS_ERROR_CODES.has(code) ||
      /certificate|TLS|SSL/i.test(error.message)
    ) {
      return new KubeApiError(
        `TLS verification of cluster ${this.cluster} (${this.host}) failed: ${error.message}; check its caData/caFile`,
        this.cluster,
      );
    }
    return new KubeApiError(
      `cannot reach cluster ${this.cluster} at ${this.host} (${method} ${
        url.pathname
      }): ${code || error.message}`,
      this.cluster,
    );
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }
}
