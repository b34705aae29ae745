import { createExtensionPoint } from '@backstage/backend-plugin-api';

/**
 * One version of a model as a registry stores it.
 *
 * @public
 */
export interface ModelRegistryVersion {
  /** The registry's version id: an OCI digest or an MLflow version number. */
  version: string;
  /** Tags or aliases currently pointing at this version. */
  aliases: string[];
  /** ISO 8601 creation time, when the registry knows it. */
  createdAt?: string;
  /** Evaluation metrics recorded with the version, e.g. `{ auc: 0.93 }`. */
  metrics: Record<string, number>;
  /** Link or id of the training run that produced it. */
  sourceRun?: string;
  /** Artifact size in bytes, when known. */
  sizeBytes?: number;
  /** Any further annotations or tags the registry holds. */
  annotations: Record<string, string>;
}

/**
 * A model registry the ML backend can read versions from and move aliases in.
 * Registered through {@link mlRegistryAdaptersExtensionPoint}.
 *
 * @public
 */
export interface ModelRegistryAdapter {
  /** The URL scheme of the refs it serves, e.g. `oci` for `oci://host/repo`. */
  readonly scheme: string;
  /** Versions of the model at `ref`, newest first. */
  listVersions(ref: string): Promise<ModelRegistryVersion[]>;
  /** Points `alias` at `version`, returning the version it pointed at before. */
  setAlias(
    ref: string,
    alias: string,
    version: string,
  ): Promise<{ previousVersion?: string }>;
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
