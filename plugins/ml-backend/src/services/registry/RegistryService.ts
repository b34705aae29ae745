import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import {
  ModelRegistryAdapter,
  ModelRegistryAliasResult,
  ModelRegistryError,
  ModelRegistryVersion,
} from '@mlplatform/plugin-ml-node';
import {
  OciDistributionClientOptions,
  parseOciModelRef,
} from '@mlplatform/plugin-ml-oci';
import { readFileSync } from 'node:fs';
import { RegistryConfig } from '../../config';
import { CoalescingCache } from '../coalescingCache';
import { MlflowRegistryAdapter, parseMlflowRef } from './MlflowRegistryAdapter';
import { OciRegistryAdapter } from './OciRegistryAdapter';

/** @internal */
export interface RegistryServiceOptions {
  /** `ml.registries` from config. */
  registries: RegistryConfig[];
  /** Adapters added by modules through `mlRegistryAdaptersExtensionPoint`. */
  extraAdapters?: ModelRegistryAdapter[];
  logger: LoggerService;
  /** Passed to the OCI clients, e.g. to count requests in tests. */
  ociClientOptions?: OciDistributionClientOptions;
  /**
   * How long a model's version list is reused, in milliseconds; identical
   * concurrent reads share one registry read either way. Default 5000;
   * moving an alias through this service drops the model's entry at once.
   */
  versionsCacheTtlMs?: number;
}

/**
 * Turns a registry error into the backend's typed errors: the caller's
 * mistakes are 400/404, the registry's failures are 503 naming the registry.
 */
function toBackstageError(e: unknown): Error {
  if (!(e instanceof ModelRegistryError)) return e as Error;
  switch (e.kind) {
    case 'invalid-ref':
    case 'host-not-allowed':
      return new InputError(e.message);
    case 'not-found':
      return new NotFoundError(e.message);
    case 'conflict':
      return new ConflictError(e.message);
    default:
      return new ServiceUnavailableError(e.message);
  }
}

/**
 * The model registries of the ML backend: one adapter per `ml.registries`
 * entry plus those added by modules. Picks the adapter for a ref and refuses,
 * before any request is sent, refs whose host or scheme is not configured.
 *
 * @internal
 */
export class RegistryService {
  private readonly adapters: ModelRegistryAdapter[];

  static create(options: RegistryServiceOptions): RegistryService {
    const configured = options.registries.map(r => {
      const endpoint = {
        name: r.name,
        url: r.url,
        username: r.username,
        password: r.password,
        token: r.token,
        ca: r.caFile ? readFileSync(r.caFile) : undefined,
      };
      return r.type === 'oci'
        ? new OciRegistryAdapter(endpoint, options.ociClientOptions)
        : new MlflowRegistryAdapter(endpoint);
    });
    return new RegistryService(
      [...configured, ...(options.extraAdapters ?? [])],
      options.logger,
      new CoalescingCache({
        ttlMs: options.versionsCacheTtlMs ?? 5000,
        maxEntries: 10_000,
      }),
    );
  }

  private constructor(
    adapters: ModelRegistryAdapter[],
    private readonly logger: LoggerService,
    private readonly versions: CoalescingCache<ModelRegistryVersion[]>,
  ) {
    this.adapters = adapters;
  }

  /** The adapter serving `ref`; throws an InputError when none may. */
  resolve(ref: string): ModelRegistryAdapter {
    try {
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(ref)?.[1];
      if (!scheme) {
        throw new ModelRegistryError(
          'invalid-ref',
          `Invalid registry ref "${ref}": expected oci://host[:port]/repository or mlflow://name`,
        );
      }
      // Parse first, so a malformed ref is reported as such.
      if (scheme === 'oci') parseOciModelRef(ref);
      if (scheme === 'mlflow') parseMlflowRef(ref);
      const candidates = this.adapters.filter(a => a.scheme === scheme);
      const adapter = candidates.find(a => !a.supports || a.supports(ref));
      if (adapter) return adapter;
      if (scheme === 'oci') {
        throw new ModelRegistryError(
          'host-not-allowed',
          `Registry host ${
            parseOciModelRef(ref).host
          } is not configured under ml.registries; refusing to contact it`,
        );
      }
      throw new ModelRegistryError(
        'host-not-allowed',
        `No registry of type ${scheme} is configured under ml.registries for "${ref}"`,
      );
    } catch (e) {
      throw toBackstageError(e);
    }
  }

  /** Closes the adapters' idle connections, on backend shutdown. */
  close(): void {
    for (const adapter of this.adapters) adapter.close?.();
  }

  /** Name of the registry serving `ref`, for responses. */
  registryName(ref: string): string {
    const adapter = this.resolve(ref);
    return adapter.name ?? adapter.scheme;
  }

  async listVersions(ref: string): Promise<ModelRegistryVersion[]> {
    const adapter = this.resolve(ref);
    try {
      return await this.versions.get(ref, () => adapter.listVersions(ref));
    } catch (e) {
      this.logger.warn(
        `Listing versions of ${ref} failed: ${(e as Error).message}`,
      );
      throw toBackstageError(e);
    }
  }

  /**
   * Forgets the cached versions of `ref`, so the next read asks the registry:
   * for changes made outside the portal (a registry's webhook).
   */
  invalidate(ref: string): void {
    this.versions.delete(ref);
  }

  async setAlias(
    ref: string,
    alias: string,
    version: string,
  ): Promise<ModelRegistryAliasResult> {
    const adapter = this.resolve(ref);
    try {
      return await adapter.setAlias(ref, alias, version);
    } catch (e) {
      throw toBackstageError(e);
    } finally {
      this.versions.delete(ref);
    }
  }
}
