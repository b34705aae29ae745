import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { requireBinary, serverBinaries } from './binaries';
import { htpasswdLine } from './htpasswd';
import { getFreePort } from './ports';
import {
  httpStatusIs,
  launchServer,
  makeTempDir,
  removeTempDir,
} from './process';

/**
 * Options for {@link startRegistry}.
 *
 * @public
 */
export interface RegistryOptions {
  /** Require HTTP basic auth with this single user (bcrypt htpasswd file). */
  htpasswd?: { username: string; password: string };
  /** Startup timeout in ms. Default 20000. */
  startTimeoutMs?: number;
}

/**
 * The OCI image manifest media type.
 *
 * @public
 */
export const OCI_MANIFEST_MEDIA_TYPE =
  'application/vnd.oci.image.manifest.v1+json';

/**
 * A running Distribution (Docker/OCI) registry.
 *
 * @public
 */
export interface RegistryHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `127.0.0.1:PORT`, the form image references use. */
  host: string;
  port: number;
  storageDir: string;
  logFile: string;
  /** Basic auth credentials, when started with `htpasswd`. */
  credentials?: { username: string; password: string };
  /** `Basic …` header value for `credentials`, else undefined. */
  authorization?: string;
  /**
   * `fetch` relative to `url` (absolute URLs pass through), adding the
   * Authorization header when the registry has credentials.
   */
  request(pathOrUrl: string, init?: RequestInit): Promise<Response>;
  /** Uploads a blob (POST + PUT) and returns its descriptor fields. */
  pushBlob(
    repo: string,
    data: Buffer | string,
  ): Promise<{ digest: string; size: number }>;
  /** PUTs a manifest under a tag or digest and returns its digest. */
  putManifest(
    repo: string,
    reference: string,
    manifest: object,
    mediaType?: string,
  ): Promise<string>;
  /** Kills the registry and removes its storage. */
  stop(): Promise<void>;
}

async function expectStatus(res: Response, ok: number[], what: string) {
  if (!ok.includes(res.status)) {
    throw new Error(`${what} failed (${res.status}): ${await res.text()}`);
  }
}

/**
 * Starts a real Distribution registry (`docker-registry serve`) on
 * 127.0.0.1 with a free port, filesystem storage in a temp dir and delete
 * enabled. Ready when `GET /v2/` answers 200 (or 401 with auth).
 *
 * @public
 */
export async function startRegistry(
  options: RegistryOptions = {},
): Promise<RegistryHandle> {
  const binary = requireBinary(serverBinaries.registry);
  const dir = makeTempDir('registry');
  const storageDir = path.join(dir, 'storage');
  const logFile = path.join(dir, 'registry.log');
  const configFile = path.join(dir, 'config.yml');
  fs.mkdirSync(storageDir);

  const { htpasswd } = options;
  let auth: Record<string, unknown> | undefined;
  if (htpasswd) {
    const file = path.join(dir, 'htpasswd');
    try {
      fs.writeFileSync(
        file,
        htpasswdLine(htpasswd.username, htpasswd.password),
      );
    } catch (error) {
      await removeTempDir(dir);
      throw error;
    }
    auth = { htpasswd: { realm: 'test-registry', path: file } };
  }

  const port = await getFreePort();
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  // Our own config, never the Debian default (/etc/docker/registry), which
  // binds :5000 on all interfaces and stores under /var/lib.
  const config = {
    version: '0.1',
    log: { level: 'info', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      // The upload purger is a background job that is useless in tests.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: host, secret: crypto.randomBytes(16).toString('hex') },
    auth,
    health: { storagedriver: { enabled: false } },
  };
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));

  // REGISTRY_* variables override config keys; a stray one in the
  // developer's environment must not change the test server.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')),
  );
  const server = await launchServer({
    name: 'docker-registry',
    command: binary,
    args: ['serve', configFile],
    cwd: dir,
    env,
    logFile,
    tempDir: dir,
    ready: httpStatusIs(`${url}/v2/`, [200, 401]),
    timeoutMs: options.startTimeoutMs ?? 20000,
  });

  const authorization = htpasswd
    ? `Basic ${Buffer.from(
        `${htpasswd.username}:${htpasswd.password}`,
      ).toString('base64')}`
    : undefined;

  const request = (pathOrUrl: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (authorization && !headers.has('authorization')) {
      headers.set('authorization', authorization);
    }
    return fetch(new URL(pathOrUrl, url), { ...init, headers });
  };

  return {
    url,
    host,
    port,
    storageDir,
    logFile,
    credentials: htpasswd ? { ...htpasswd } : undefined,
    authorization,
    request,
    stop: server.stop,
    async pushBlob(repo, data) {
      const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
      const digest = `sha256:${crypto
        .createHash('sha256')
        .update(body)
        .digest('hex')}`;
      const start = await request(`/v2/${repo}/blobs/uploads/`, {
        method: 'POST',
      });
      await expectStatus(start, [202], `Starting blob upload to ${repo}`);
      // Location already carries the upload state as a query string.
      const location = new URL(start.headers.get('location')!, url);
      location.searchParams.set('digest', digest);
      const put = await request(location.toString(), {
        method: 'PUT',
        // Distribution rejects blob PUTs without this content type.
        headers: { 'Content-Type': 'application/octet-stream' },
        body: new Uint8Array(body),
      });
      await expectStatus(put, [201], `Uploading blob ${digest}`);
      return { digest, size: body.length };
    },
    async putManifest(
      repo,
      reference,
      manifest,
      mediaType = OCI_MANIFEST_MEDIA_TYPE,
    ) {
      const res = await request(`/v2/${repo}/manifests/${reference}`, {
        method: 'PUT',
        headers: { 'Content-Type': mediaType },
        body: JSON.stringify(manifest),
      });
      await expectStatus(res, [201], `Pushing manifest ${repo}:${reference}`);
      return res.headers.get('docker-content-digest') ?? '';
    },
  };
}
