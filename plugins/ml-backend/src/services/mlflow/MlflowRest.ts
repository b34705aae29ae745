import { createAgent, httpRequest } from '@mlplatform/plugin-ml-oci';
import type http from 'node:http';

/**
 * One MLflow server as `ml.registries` configures it: the only host an
 * {@link MlflowRest} contacts.
 *
 * @internal
 */
export interface MlflowRestEndpoint {
  /** Base URL, e.g. `https://mlflow.example.com` or `https://host/mlflow`. */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  ca?: string | Buffer;
  /** Deadline of each request; default 15 s. */
  timeoutMs?: number;
}

/**
 * Why an MLflow call failed, for each client to word in its own error type.
 * `kind`: `unreachable` (no answer; `cause` says why), `unauthorized` (401
 * or 403), `not-found` and `invalid` (MLflow's own RESOURCE_DOES_NOT_EXIST
 * and INVALID_PARAMETER_VALUE; a bare 404 is a URL that is not an MLflow
 * API, so `other`), `other` (any other answer, or a 200 that is not JSON).
 *
 * @internal
 */
export interface MlflowRestFailure {
  kind: 'unreachable' | 'unauthorized' | 'not-found' | 'invalid' | 'other';
  /** The HTTP status; absent when the server did not answer. */
  status?: number;
  /** MLflow's error body; absent when the answer was not JSON. */
  body?: { error_code?: string; message?: string };
  /** The network error's code or message, when unreachable. */
  cause?: string;
}

/**
 * The REST transport of MLflow's API 2.0 (`<url>/api/2.0/mlflow/...`) that
 * the tracking client and the registry adapter share: the configured
 * credentials (a bearer token, else basic auth) on every request, JSON in
 * and out, a deadline, and failures classified once as
 * {@link MlflowRestFailure}s that `toError` turns into the caller's errors.
 *
 * @internal
 */
export class MlflowRest {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly endpoint: MlflowRestEndpoint,
    private readonly toError: (
      failure: MlflowRestFailure,
      what: string,
    ) => Error,
  ) {
    this.base = new URL(endpoint.url);
    this.agent = createAgent(this.base, { ca: endpoint.ca, maxSockets: 8 });
    this.headers = { accept: 'application/json' };
    if (endpoint.token) {
      this.headers.authorization = `Bearer ${endpoint.token}`;
    } else if (endpoint.username) {
      this.headers.authorization = `Basic ${Buffer.from(
        `${endpoint.username}:${endpoint.password ?? ''}`,
      ).toString('base64')}`;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * Calls `endpoint` (e.g. `runs/get`): GET with `params` as the query, POST
   * with them as the JSON body. `what` names what is read, for messages.
   */
  async call<T>(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, unknown>,
    what: string,
  ): Promise<T> {
    // Keeps a path prefix of the configured URL (MLflow behind a proxy path).
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}/api/2.0/mlflow/${endpoint}`,
      this.base,
    );
    const headers = { ...this.headers };
    let body: Buffer | undefined;
    if (method === 'GET') {
      for (const [k, v] of Object.entries(params)) {
        url.searchParams.set(k, String(v));
      }
    } else {
      body = Buffer.from(JSON.stringify(params));
      headers['content-type'] = 'application/json';
    }
    const res = await httpRequest({
      method,
      url,
      headers,
      body,
      agent: this.agent,
      timeoutMs: this.endpoint.timeoutMs ?? 15_000,
    }).catch(e => {
      const cause = (e as { code?: string }).code ?? (e as Error).message;
      throw this.toError({ kind: 'unreachable', cause }, what);
    });
    let parsed: any;
    try {
      parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status === 200 && parsed !== undefined) return parsed as T;
    const failure = { status: res.status, body: parsed };
    if (res.status === 401 || res.status === 403) {
      throw this.toError({ kind: 'unauthorized', ...failure }, what);
    }
    if (parsed?.error_code === 'RESOURCE_DOES_NOT_EXIST') {
      throw this.toError({ kind: 'not-found', ...failure }, what);
    }
    if (parsed?.error_code === 'INVALID_PARAMETER_VALUE') {
      throw this.toError({ kind: 'invalid', ...failure }, what);
    }
    throw this.toError({ kind: 'other', ...failure }, what);
  }
}

/**
 * Every item of a paged MLflow search, following `next_page_token` until
 * the last page or until `enough` says so.
 *
 * @internal
 */
export async function mlflowPages<T>(
  page: (
    pageToken: string | undefined,
    sofar: T[],
  ) => Promise<{
    items?: T[];
    next_page_token?: string;
  }>,
  enough: (items: T[]) => boolean = () => false,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken: string | undefined;
  do {
    const answer = await page(pageToken, items);
    items.push(...(answer.items ?? []));
    pageToken = answer.next_page_token || undefined;
  } while (pageToken && !enough(items));
  return items;
}
