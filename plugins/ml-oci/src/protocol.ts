// Pieces of the OCI distribution protocol that the client needs and that
// need no state of their own; not exported from the package.
import crypto from 'node:crypto';
import { HttpResponse } from './http';

/** Every manifest type a model artifact may come as. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

// Upper bound on pages followed, so a registry that links a page to itself
// cannot loop us forever.
export const MAX_PAGES = 100_000;

/** The digest of `data` as the distribution spec writes it. */
export function sha256(data: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;
}

/** The first value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The parameters of a `WWW-Authenticate: Bearer ...` challenge that names a realm. */
export function parseChallenge(
  value: string,
): Record<string, string> | undefined {
  const m = /^Bearer\s+(.*)$/i.exec(value.trim());
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[1].matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    params[p[1].toLowerCase()] = p[2];
  }
  return params.realm ? params : undefined;
}

/** The registry's own explanation of a failure, for error messages. */
export function registryMessage(res: HttpResponse): string {
  try {
    const body = JSON.parse(res.body.toString('utf8'));
    const errors = body?.errors as Array<{ code?: string; message?: string }>;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map(e => `${e.code ?? ''} ${e.message ?? ''}`.trim())
        .join('; ');
    }
  } catch {
    // Not a distribution error body.
  }
  return res.body.toString('utf8').slice(0, 200).trim();
}

/** The token scope a request needs: pull, or pull and push. */
export function scopeOf(pathname: string, method: string): string {
  if (pathname.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const m = /^\/v2\/(.+?)\/(?:tags|manifests|blobs)\//.exec(pathname);
  if (!m) return '';
  const actions = method === 'GET' || method === 'HEAD' ? 'pull' : 'pull,push';
  return `repository:${m[1]}:${actions}`;
}
