import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { readServerSentEvents } from '@mlplatform/plugin-ml-common';
import {
  createAgent,
  httpRequest,
  HttpResponse,
} from '@mlplatform/plugin-ml-oci';
import type http from 'node:http';
import { JupyterHubConfig } from './jupyterhubConfig';

// JupyterHub's default slow_spawn_timeout and slow_stop_timeout.
const SLOW_SPAWN_MS = 10_000;

/** A named server in JupyterHub's user model. @internal */
export interface HubServer {
  name: string;
  ready: boolean;
  /** `spawn`, `stop` or null. */
  pending: string | null;
  /** True for a stopped server still on record (`include_stopped_servers`). */
  stopped?: boolean;
  /** Path on the hub's public URL, e.g. `/user/ada/exp-1/`. */
  url: string;
  user_options?: Record<string, unknown>;
}

/** JupyterHub's user model, the fields the portal reads. @internal */
export interface HubUser {
  name: string;
  servers: Record<string, HubServer>;
}

/** One event of a spawn's progress stream. @internal */
export interface HubProgressEvent {
  progress?: number;
  message?: string;
  ready?: boolean;
  failed?: boolean;
  /** Path of the server when ready. */
  url?: string;
}

/**
 * JupyterHub's REST API (`<url>/hub/api`) with the portal's service token.
 * Only the configured host is contacted: every path is built on the
 * configured base URL, redirects are not followed, and the token never
 * leaves this class. Errors are `@backstage/errors` types: a hub that is
 * down, answers 5xx or refuses the token is a ServiceUnavailableError.
 *
 * @internal
 */
export class JupyterHubClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(private readonly config: JupyterHubConfig) {
    this.base = new URL(`${config.url}/hub/api/`);
    this.agent = createAgent(this.base, { maxSockets: 8 });
  }

  /** The user, or undefined when JupyterHub has no such user. */
  async getUser(user: string): Promise<HubUser | undefined> {
    const res = await this.call(
      'GET',
      `users/${enc(user)}?include_stopped_servers=1`,
    );
    if (res.status === 404) return undefined;
    return this.json<HubUser>(res, `read user ${user}`);
  }

  /** Creates the user unless it exists. */
  async ensureUser(user: string): Promise<void> {
    if (await this.getUser(user)) return;
    const res = await this.call('POST', `users/${enc(user)}`);
    // 409: created by a concurrent request in between.
    if (res.status !== 409) this.check(res, `create user ${user}`);
  }

  /**
   * Starts (spawns) a named server with the profile as user_options;
   * true when it is ready at once, false while it spawns.
   */
  async startServer(
    user: string,
    server: string,
    profile: Record<string, unknown>,
  ): Promise<boolean> {
    const res = await this.call(
      'POST',
      `users/${enc(user)}/servers/${enc(server)}`,
      profile,
      // JupyterHub holds a spawn request up to its slow_spawn_timeout
      // (default 10 s) before answering 202.
      SLOW_SPAWN_MS,
    );
    this.check(res, `start server ${server} of ${user}`);
    return res.status === 201;
  }

  /** Stops a named server; `remove` also forgets it (delete). */
  async stopServer(
    user: string,
    server: string,
    options: { remove: boolean },
  ): Promise<void> {
    const res = await this.call(
      'DELETE',
      `users/${enc(user)}/servers/${enc(server)}`,
      { remove: options.remove },
      // Held up to slow_stop_timeout (default 10 s) before a 202.
      SLOW_SPAWN_MS,
    );
    // Already gone is what a delete wants.
    if (res.status === 404 && options.remove) return;
    this.check(res, `stop server ${server} of ${user}`);
  }

  /**
   * The spawn's progress events, as JupyterHub streams them, until it is
   * ready or failed (or `signal` aborts).
   */
  async *progress(
    user: string,
    server: string,
    signal: AbortSignal,
  ): AsyncGenerator<HubProgressEvent> {
    const url = new URL(
      `users/${enc(user)}/servers/${enc(server)}/progress`,
      this.base,
    );
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          Authorization: `token ${this.config.apiToken}`,
          Accept: 'text/event-stream',
        },
        redirect: 'error',
        signal,
      });
    } catch (e) {
      if (signal.aborted) return;
      throw this.unavailable((e as Error).message);
    }
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      this.check(
        { status: res.status, headers: {}, body: Buffer.from(text) },
        `read progress of ${server}`,
      );
      return;
    }
    try {
      for await (const data of readServerSentEvents(res.body)) {
        yield JSON.parse(data) as HubProgressEvent;
      }
    } catch (e) {
      if (signal.aborted) return;
      throw this.unavailable((e as Error).message);
    }
  }

  close() {
    this.agent.destroy();
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    extraTimeoutMs = 0,
  ): Promise<HttpResponse> {
    const payload =
      body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    try {
      return await httpRequest({
        method,
        url: new URL(path, this.base),
        headers: {
          Authorization: `token ${this.config.apiToken}`,
          Accept: 'application/json',
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(payload ? { body: payload } : {}),
        agent: this.agent,
        timeoutMs: this.config.requestTimeoutMs + extraTimeoutMs,
      });
    } catch (e) {
      throw this.unavailable((e as Error).message);
    }
  }

  private json<T>(res: HttpResponse, what: string): T {
    this.check(res, what);
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw this.unavailable(`cannot ${what}: the answer is not JSON`);
    }
  }

  /** Throws the error a non-2xx answer means. */
  private check(res: HttpResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const reason = hubMessage(res) ?? `HTTP ${res.status}`;
    if (res.status === 404) {
      throw new NotFoundError(`JupyterHub cannot ${what}: ${reason}`);
    }
    if (res.status === 400 || res.status === 409) {
      // JupyterHub answers 400 to a start of a server that already runs.
      throw /already|pending/i.test(reason)
        ? new ConflictError(`JupyterHub cannot ${what}: ${reason}`)
        : new InputError(`JupyterHub cannot ${what}: ${reason}`);
    }
    if (res.status === 401 || res.status === 403) {
      throw this.unavailable(
        `JupyterHub refused the portal's token (${res.status}) to ${what}; check ml.jupyterhub.apiToken and its scopes`,
      );
    }
    throw this.unavailable(`cannot ${what}: ${reason}`);
  }

  private unavailable(reason: string) {
    return new ServiceUnavailableError(
      `JupyterHub at ${this.config.url} is unavailable: ${reason}`,
    );
  }
}

function enc(segment: string) {
  return encodeURIComponent(segment);
}

function hubMessage(res: HttpResponse): string | undefined {
  try {
    const body = JSON.parse(res.body.toString('utf8'));
    return typeof body?.message === 'string'
      ? `${body.message} (${res.status})`
      : undefined;
  } catch {
    return undefined;
  }
}
