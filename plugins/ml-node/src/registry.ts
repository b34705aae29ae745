import { createExtensionPoint } from '@backstage/backend-plugin-api';
import { ModelVersion } from '@mlplatform/plugin-ml-common';

/**
 * Why a registry call failed, so the ML backend can map it to an HTTP status:
 * `invalid-ref` and `host-not-allowed` are the caller's fault and nothing was
 * sent (400); `not-found` is 404 and `conflict` 409; `unauthorized` and
 * `server` are the registry's answer, `unreachable` is the network and
 * `protocol` a reply that breaks the registry's API (all 503).
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
 * An error from a model registry adapter. The message names the registry and
 * what was asked, never its credentials.
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

/**
 * One version of a model as a registry stores it: the API's
 * {@link @mlplatform/plugin-ml-common#ModelVersion} plus the raw annotations
 * or tags the registry holds.
 *
 * @public
 */
export interface ModelRegistryVersion extends ModelVersion {
  /** Any further annotations or tags the registry holds. */
  annotations: Record<string, string>;
}

/**
 * What moving an alias did.
 *
 * @public
 */
export interface ModelRegistryAliasResult {
  /** The version the alias pointed at before, if it existed. */
  previousVersion?: string;
  /** The OCI manifest digest the alias now points at, where there is one. */
  digest?: string;
}

/**
 * A model registry the ML backend can read versions from and move aliases in.
 * The backend creates one per entry of `ml.registries`; modules add more
 * through {@link mlRegistryAdaptersExtensionPoint}.
 *
 * Adapters must refuse refs they cannot serve before sending any request,
 * and throw {@link ModelRegistryError} or an `@backstage/errors` type (as the
 * OCI client of `@mlplatform/plugin-ml-oci` does), so the backend can map
 * failures to clear HTTP errors; other errors become 500.
 *
 * @public
 */
export interface ModelRegistryAdapter {
  /** The URL scheme of the refs it serves, e.g. `oci` for `oci://host/repo`. */
  readonly scheme: string;
  /** A name for messages and API responses, e.g. the config name. */
  readonly name?: string;
  /**
   * Whether this adapter serves `ref` (already known to have its scheme),
   * e.g. because the ref's host is its registry. Absent means "all refs".
   */
  supports?(ref: string): boolean;
  /** Versions of the model at `ref`, newest first. */
  listVersions(ref: string): Promise<ModelRegistryVersion[]>;
  /** Releases connections when the backend stops. */
  close?(): void;
  /** Points `alias` at `version`. */
  setAlias(
    ref: string,
    alias: string,
    version: string,
  ): Promise<ModelRegistryAliasResult>;
}

/**
 * Lets backend modules add model registry adapters to the ML backend.
 *
 * @public
 */
export interface MlRegistryAdaptersExtensionPoint {
  addRegistryAdapter(...adapters: ModelRegistryAdapter[]): void;
}

/**
 * Extension point for {@link MlRegistryAdaptersExtensionPoint}.
 *
 * @public
 */
export const mlRegistryAdaptersExtensionPoint =
  createExtensionPoint<MlRegistryAdaptersExtensionPoint>({
    id: 'ml.registryAdapters',
  });
