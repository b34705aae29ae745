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
import { MlflowRegistryAdapter } from './MlflowRegistryAdapter';
import { splitMlflowRef } from './mlflowRef';
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
    return this.route(ref).adapter;
  }

  /**
   * The adapter serving `ref` and the ref to hand it: MLflow adapters get
   * the bare `mlflow://<model>`, as the registry is already chosen.
   */
  private route(ref: string): { adapter: ModelRegistryAdapter; ref: string } {
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
      if (scheme === 'mlflow') return this.routeMlflow(ref);
      const candidates = this.adapters.filter(a => a.scheme === scheme);
      const adapter = candidates.find(a => !a.supports || a.supports(ref));
      if (adapter) return { adapter, ref };
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

  /**
   * `mlflow://<registry>/<model>` goes to the MLflow registry of that name;
   * the bare `mlflow://<model>` only while exactly one is configured, since
   * picking the first of several would read another team's model silently.
   */
  private routeMlflow(ref: string): {
    adapter: ModelRegistryAdapter;
    ref: string;
  } {
    const { registry, model } = splitMlflowRef(ref);
    const bare = `mlflow://${model}`;
    const mlflow = this.adapters.filter(
      a => a.scheme === 'mlflow' && (!a.supports || a.supports(bare)),
    );
    const names = mlflow.map(a => `"${a.name ?? a.scheme}"`).join(', ');
    if (registry !== undefined) {
      const adapter = mlflow.find(a => a.name === registry);
      if (adapter) return { adapter, ref: bare };
      throw new ModelRegistryError(
        'host-not-allowed',
        `MLflow registry "${registry}" of "${ref}" is not configured under ml.registries (MLflow registries: ${
          names || 'none'
        }); refusing to contact it`,
      );
    }
    if (mlflow.length === 1) return { adapter: mlflow[0], ref: bare };
    if (mlflow.length === 0) {
      throw new ModelRegistryError(
        'host-not-allowed',
        `No registry of type mlflow is configured under ml.registries for "${ref}"`,
      );
    }
    throw new ModelRegistryError(
      'invalid-ref',
      `Registry ref "${ref}" is ambiguous: ${mlflow.length} MLflow registries are configured under ml.registries (${names}); name one, as mlflow://<registry>/${model}`,
    );
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
    const route = this.route(ref);
    try {
      return await this.versions.get(ref, () =>
        route.adapter.listVersions(route.ref),
      );
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
    const route = this.route(ref);
    try {
      return await route.adapter.setAlias(route.ref, alias, version);
    } catch (e) {
      throw toBackstageError(e);
    } finally {
      this.versions.delete(ref);
    }
  }
}
