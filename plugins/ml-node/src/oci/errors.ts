/**
 * Why a registry call failed, so callers can map it to an HTTP status:
 * `invalid-ref` and `host-not-allowed` are the caller's fault and nothing was
 * sent; `unauthorized`, `not-found` and `server` are the registry's answer;
 * `unreachable` is the network; `protocol` is a reply that breaks the spec.
 *
 * @public
 */
export type ModelRegistryErrorKind =
  | 'invalid-ref'
  | 'host-not-allowed'
  | 'unauthorized'
  | 'not-found'
  | 'server'
  | 'unreachable'
  | 'protocol'
  | 'conflict';

/**
 * An error from a model registry adapter or client. The message names the
 * registry and what was asked, never its credentials.
 *
 * @public
 */
export class ModelRegistryError extends Error {
  constructor(
    readonly kind: ModelRegistryErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelRegistryError';
  }
}
