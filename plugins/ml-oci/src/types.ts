/**
 * Where an OCI registry is and how to authenticate to it; the shape of one
 * `ml.registries[]` entry of type `oci`.
 *
 * @public
 */
export interface OciRegistryEndpoint {
  /** Name from config, used in messages. */
  name: string;
  /** Base URL, e.g. `https://registry.example.com:5000`. */
  url: string;
  username?: string;
  password?: string;
  /** A static bearer token; takes precedence over username/password. */
  token?: string;
  /** PEM CA bundle trusted for this registry only. */
  ca?: string | Buffer;
}

/** @public */
export interface OciDistributionClientOptions {
  /** Per-request deadline; default 15 s. */
  timeoutMs?: number;
  /** Parallel connections to the registry; default 16. */
  maxSockets?: number;
  /** Called before every HTTP request, e.g. to count them. */
  onRequest?: (method: string, url: URL) => void;
}

/**
 * An OCI image manifest, as far as model artifacts use it.
 *
 * @public
 */
export interface OciManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
  annotations?: Record<string, string>;
}

/** @public */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** @public */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  /** The exact bytes, so re-tagging keeps the digest. */
  raw: Buffer;
  manifest: OciManifest;
}
