// Over 400 lines on purpose: one class per registry, because every call
// (reads, pushes, paging) shares the origin check, the bearer tokens and the
// blob cache held here; the protocol details are already in protocol.ts,
// refs.ts and http.ts.
import {
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import type http from 'node:http';
import { createAgent, httpRequest, HttpResponse } from './http';
import {
  header,
  MANIFEST_ACCEPT,
  MAX_PAGES,
  parseChallenge,
  registryMessage,
  scopeOf,
  sha256,
} from './protocol';
import { validateOciRepository } from './refs';
import {
  FetchedManifest,
  OciDistributionClientOptions,
  OciManifest,
  OciRegistryEndpoint,
} from './types';

/**
 * A client of the OCI distribution API (Docker Registry v2) for one
 * configured registry. It only ever contacts that registry's origin: paging
 * links and token realms on other hosts are refused.
 *
 * Authentication: a static bearer token, or basic auth, or the registry's
 * `WWW-Authenticate: Bearer realm=...` token flow (realm on the same host)
 * with the configured username/password.
 *
 * Failures are `@backstage/errors` types, so a backend answers them with the
 * right status as they are: `InputError` for a ref or tag that breaks the
 * distribution spec and for a registry that points at another host (nothing
 * is sent there), `NotFoundError` for a 404, and `ServiceUnavailableError`
 * for everything the registry or the network did wrong, including refusing
 * the configured credentials. Messages name the registry, never its
 * credentials.
 *
 * @public
 */
export class OciDistributionClient {
  readonly name: string;
  readonly base: URL;
  /** Requests sent so far, for benchmarks and tests. */
  requestCount = 0;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<string, string>();
  private readonly knownBlobs = new Set<string>();

  constructor(
    private readonly endpoint: OciRegistryEndpoint,
    private readonly options: OciDistributionClientOptions = {},
  ) {
    this.name = endpoint.name;
    this.base = new URL(endpoint.url.replace(/\/+$/, ''));
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.agent = createAgent(this.base, {
      ca: endpoint.ca,
      maxSockets: options.maxSockets ?? 16,
    });
  }

  /** `host[:port]` of the registry, as refs name it. */
  get host(): string {
    return this.base.host;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  /** Every repository in the registry (`_catalog`, following `Link`). */
  async listRepositories(options: { pageSize?: number } = {}) {
    const out: string[] = [];
    await this.paginate(
      `/v2/_catalog?n=${options.pageSize ?? 1000}`,
      'the repository catalog',
      body => out.push(...((body.repositories as string[]) ?? [])),
    );
    return out;
  }

  /** Tags of a repository (`tags/list`, following `Link`). */
  async listTags(repository: string, options: { pageSize?: number } = {}) {
    validateOciRepository(repository);
    const out: string[] = [];
    const n = options.pageSize ? `?n=${options.pageSize}` : '';
    await this.paginate(
      `/v2/${repository}/tags/list${n}`,
      `tags of ${repository}`,
      body => out.push(...((body.tags as string[] | null) ?? [])),
    );
    return out;
  }

  /** The digest a tag points at, or undefined when the tag does not exist. */
  async headManifest(
    repository: string,
    reference: string,
  ): Promise<string | undefined> {
    validateOciRepository(repository);
    const res = await this.send(
      'HEAD',
      `/v2/${repository}/manifests/${encodeURIComponent(reference)}`,
      { accept: MANIFEST_ACCEPT },
    );
    if (res.status === 404) return undefined;
    this.check(res, `manifest ${repository}:${reference}`);
    const digest = header(res, 'docker-content-digest');
    if (!digest) {
      throw new ServiceUnavailableError(
        `Registry "${this.name}" (${this.host}) sent no Docker-Content-Digest for ${repository}:${reference}`,
      );
    }
    return digest;
  }

  /** A manifest by tag or digest, with its exact bytes and digest. */
  async getManifest(
    repository: string,
    reference: string,
  ): Promise<FetchedManifest> {
    validateOciRepository(repository);
    const what = `manifest ${repository}:${reference}`;
    const res = await this.send(
      'GET',
      `/v2/${repository}/manifests/${encodeURIComponent(reference)}`,
      { accept: MANIFEST_ACCEPT },
    );
    this.check(res, what);
    const digest = sha256(res.body);
    const claimed = header(res, 'docker-content-digest');
    if (claimed && claimed !== digest) {
      throw new ServiceUnavailableError(
        `Registry "${this.name}" (${this.host}) sent ${what} whose content does not match its digest ${claimed}`,
      );
    }
    let manifest: OciManifest;
    try {
      manifest = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new ServiceUnavailableError(
        `Registry "${this.name}" (${this.host}) sent ${what} that is not JSON`,
      );
    }
    const mediaType =
      header(res, 'content-type')?.split(';')[0] ??
      manifest.mediaType ??
      'application/vnd.oci.image.manifest.v1+json';
    return { digest, mediaType, raw: res.body, manifest };
  }

  /** PUTs manifest bytes under a tag; returns the digest. */
  async putManifest(
    repository: string,
    reference: string,
    raw: Buffer,
    mediaType: string,
  ): Promise<string> {
    validateOciRepository(repository);
    const res = await this.send(
      'PUT',
      `/v2/${repository}/manifests/${encodeURIComponent(reference)}`,
      { 'content-type': mediaType },
      raw,
    );
    this.check(res, `pushing manifest ${repository}:${reference}`, [201]);
    return header(res, 'docker-content-digest') ?? sha256(raw);
  }

  /** Whether the repository already has a blob. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    if (this.knownBlobs.has(`${repository}@${digest}`)) return true;
    const res = await this.send('HEAD', `/v2/${repository}/blobs/${digest}`);
    if (res.status === 404) return false;
    this.check(res, `blob ${repository}@${digest}`);
    this.knownBlobs.add(`${repository}@${digest}`);
    return true;
  }

  /**
   * Uploads a blob (monolithic POST + PUT) unless the repository has it.
   * With `mountFrom`, first asks the registry to mount the blob from that
   * repository, which costs one request when it is there.
   */
  async pushBlob(
    repository: string,
    data: Buffer,
    options: { mountFrom?: string } = {},
  ): Promise<{ digest: string; size: number }> {
    validateOciRepository(repository);
    const digest = sha256(data);
    const key = `${repository}@${digest}`;
    // A mount answers 201 when the blob is already there, so skip the HEAD.
    const missing =
      !this.knownBlobs.has(key) &&
      (options.mountFrom !== undefined ||
        !(await this.hasBlob(repository, digest)));
    if (missing) {
      const what = `uploading a blob to ${repository}`;
      const mount = options.mountFrom
        ? `?mount=${digest}&from=${encodeURIComponent(options.mountFrom)}`
        : '';
      const start = await this.send(
        'POST',
        `/v2/${repository}/blobs/uploads/${mount}`,
      );
      if (start.status === 201) {
        this.knownBlobs.add(key);
        return { digest, size: data.length };
      }
      this.check(start, what, [202]);
      const location = header(start, 'location');
      if (!location) {
        throw new ServiceUnavailableError(
          `Registry "${this.name}" (${this.host}) sent no upload location for ${repository}`,
        );
      }
      const target = this.sameOrigin(location, what);
      target.searchParams.set('digest', digest);
      const put = await this.send(
        'PUT',
        target.pathname + target.search,
        { 'content-type': 'application/octet-stream' },
        data,
      );
      this.check(put, what, [201]);
      this.knownBlobs.add(key);
    }
    return { digest, size: data.length };
  }

  private async paginate(
    first: string,
    what: string,
    onPage: (body: Record<string, unknown>) => void,
  ) {
    let next: string | undefined = first;
    for (let page = 0; next; page++) {
      if (page >= MAX_PAGES) {
        throw new ServiceUnavailableError(
          `Registry "${this.name}" (${this.host}) returned more than ${MAX_PAGES} pages of ${what}`,
        );
      }
      const res = await this.send('GET', next);
      this.check(res, what);
      onPage(JSON.parse(res.body.toString('utf8')));
      const link = header(res, 'link');
      const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      if (m) {
        const url = this.sameOrigin(m[1], what);
        next = url.pathname + url.search;
      } else {
        next = undefined;
      }
    }
  }

  private sameOrigin(location: string, what: string): URL {
    const url = new URL(location, this.base);
    if (url.origin !== this.base.origin) {
      throw new InputError(
        `Registry "${this.name}" (${this.host}) pointed ${what} at ${url.host}, which is not the configured registry; refused`,
      );
    }
    return url;
  }

  private authHeader(scope: string): string | undefined {
    const { token, username, password } = this.endpoint;
    if (token) return `Bearer ${token}`;
    const exchanged = this.tokens.get(scope);
    if (exchanged) return `Bearer ${exchanged}`;
    if (username) {
      return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString(
        'base64',
      )}`;
    }
    return undefined;
  }

  private async send(
    method: 'GET' | 'HEAD' | 'PUT' | 'POST',
    pathAndQuery: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<HttpResponse> {
    // The distribution API lives at /v2/ on the registry's origin.
    const url = new URL(pathAndQuery, this.base.origin);
    const scope = scopeOf(url.pathname, method);
    const first = await this.exchange(method, url, headers, body, scope);
    if (first.status !== 401 || this.endpoint.token) return first;
    const challenge = parseChallenge(header(first, 'www-authenticate') ?? '');
    if (!challenge) return first;
    await this.fetchToken(challenge, scope);
    return this.exchange(method, url, headers, body, scope);
  }

  private async exchange(
    method: 'GET' | 'HEAD' | 'PUT' | 'POST',
    url: URL,
    headers: Record<string, string>,
    body: Buffer | undefined,
    scope: string,
  ): Promise<HttpResponse> {
    const auth = this.authHeader(scope);
    this.requestCount++;
    this.options.onRequest?.(method, url);
    try {
      return await httpRequest({
        method,
        url,
        headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
        body,
        agent: this.agent,
        timeoutMs: this.timeoutMs,
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new ServiceUnavailableError(
        `Registry "${this.name}" (${this.host}) is unreachable: ${
          err.code ?? err.message
        }`,
      );
    }
  }

  // The distribution token flow: GET realm?service=..&scope=.. with the
  // configured credentials, answer {token} or {access_token}.
  private async fetchToken(challenge: Record<string, string>, scope: string) {
    const realm = new URL(challenge.realm, this.base);
    if (realm.host !== this.base.host) {
      throw new InputError(
        `Registry "${this.name}" (${this.host}) asks for a token from ${realm.host}, which is not configured under ml.registries; refused`,
      );
    }
    if (challenge.service) realm.searchParams.set('service', challenge.service);
    realm.searchParams.set('scope', challenge.scope ?? scope);
    const { username, password } = this.endpoint;
    this.requestCount++;
    this.options.onRequest?.('GET', realm);
    const res = await httpRequest({
      method: 'GET',
      url: realm,
      headers: username
        ? {
            authorization: `Basic ${Buffer.from(
              `${username}:${password ?? ''}`,
            ).toString('base64')}`,
          }
        : {},
      agent: this.agent,
      timeoutMs: this.timeoutMs,
    }).catch(e => {
      throw new ServiceUnavailableError(
        `Token service of registry "${this.name}" (${
          realm.host
        }) is unreachable: ${
          (e as { code?: string }).code ?? (e as Error).message
        }`,
      );
    });
    this.check(res, 'a registry token');
    const body = JSON.parse(res.body.toString('utf8'));
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string') {
      throw new ServiceUnavailableError(
        `Token service of registry "${this.name}" (${realm.host}) answered without a token`,
      );
    }
    this.tokens.set(scope, token);
  }

  private check(res: HttpResponse, what: string, ok: number[] = [200]) {
    if (ok.includes(res.status)) return;
    const where = `registry "${this.name}" (${this.host})`;
    if (res.status === 401 || res.status === 403) {
      let configured = 'anonymous access (no credentials configured)';
      if (this.endpoint.token) configured = 'the configured token';
      else if (this.endpoint.username) {
        configured = `the configured credentials of user "${this.endpoint.username}"`;
      }
      // Not NotAllowedError: the registry refused the portal's own
      // credentials, which the person asking can neither see nor fix.
      throw new ServiceUnavailableError(
        `The ${where} refused ${configured} for ${what} (HTTP ${res.status})`,
      );
    }
    if (res.status === 404) {
      throw new NotFoundError(
        `${what[0].toUpperCase()}${what.slice(1)} not found in ${where}${
          res.body.length ? `: ${registryMessage(res)}` : ''
        }`,
      );
    }
    throw new ServiceUnavailableError(
      `The ${where} failed with HTTP ${res.status} on ${what}${
        res.body.length ? `: ${registryMessage(res)}` : ''
      }`,
    );
  }
}
