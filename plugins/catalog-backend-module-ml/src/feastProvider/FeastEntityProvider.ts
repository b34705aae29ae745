import {
  LoggerService,
  SchedulerServiceTaskRunner,
} from '@backstage/backend-plugin-api';
import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import {
  FeastProjectSnapshot,
  FeastRegistryClient,
  FeastRegistryClientOptions,
} from './FeastRegistryClient';
import { feastProjectEntities, FeastSkip } from './feastEntities';

function sleep(ms: number) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** @public */
export interface FeastEntityProviderOptions {
  /** The Feast registry REST server to read. */
  registry: {
    /** Its name in messages and location keys; default `feast`. */
    name?: string;
    /** Base URL of `feast serve_registry --rest-api` (`http://host:6572`). */
    url: string;
    /** Bearer token, when the server requires one. */
    token?: string;
    /** Projects to read; default every project of the registry. */
    projects?: string[];
  };
  logger: LoggerService;
  /** Runs the refresh on a schedule; without it, call `refresh()` yourself. */
  taskRunner?: SchedulerServiceTaskRunner;
  /** Entity namespace of provided Datasets; default `default`. */
  namespace?: string;
  /** Owner of objects without an `owner` tag; such objects are skipped without it. */
  defaultOwner?: string;
  /**
   * Retries of a scheduled refresh whose registry read failed: `attempts`
   * in all (default 4), waiting `initialDelayMs` (default 5 s) after the
   * first failure, doubling up to `maxDelayMs` (default 60 s).
   */
  retry?: { attempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Passed to the registry client (page size, timeout, request hook). */
  clientOptions?: Omit<FeastRegistryClientOptions, 'url' | 'token'>;
}

/** What one refresh did. @public */
export interface FeastRefreshResult {
  /** `full` when the registry was read and applied; `none` when it failed. */
  mutation: 'full' | 'none';
  /** Projects read. */
  projects: string[];
  /** Datasets provided now (after a failure: the ones kept from before). */
  datasets: number;
  /** Feast objects that did not become entities, with the reason. */
  skipped: FeastSkip[];
  /** HTTP requests sent to the registry by this refresh. */
  requests: number;
  /** Why the registry could not be read; its Datasets were kept. */
  error?: string;
}

/** How the provider is doing, for logs and status pages. @public */
export interface FeastProviderStatus {
  lastSuccessAt?: Date;
  lastError?: string;
  /** Failed reads since the last success. */
  consecutiveFailures: number;
  datasets: number;
}

/**
 * Ingests a Feast registry (its REST registry server) as `Dataset` entities:
 * feature services and feature views (`type: features`, with entities,
 * fields and types, TTL, tags, owner and `derivedFrom` their views or data
 * sources) and the data sources they read (`type: table`) unless a source's
 * `dataset` tag names the catalog Dataset it is. Models are linked by the
 * lineage they already state (`spec.trainedOn: [fraud-features]`).
 *
 * Each successful refresh applies a full mutation of what the registry
 * holds now. A refresh that cannot read every project applies nothing, so
 * the Datasets stay as they were; the scheduled run then retries with
 * exponential backoff and logs each failure.
 *
 * @public
 */
export class FeastEntityProvider implements EntityProvider {
  private connection?: EntityProviderConnection;
  private readonly client: FeastRegistryClient;
  private readonly name: string;
  private readonly loggedSkips = new Set<string>();
  private readonly state: FeastProviderStatus = {
    consecutiveFailures: 0,
    datasets: 0,
  };

  constructor(private readonly options: FeastEntityProviderOptions) {
    this.name = options.registry.name ?? 'feast';
    this.client = new FeastRegistryClient({
      ...options.clientOptions,
      url: options.registry.url,
      token: options.registry.token,
    });
  }

  getProviderName(): string {
    return `ml-feast:${this.name}`;
  }

  /** Requests sent to the registry so far. */
  get requestCount(): number {
    return this.client.requestCount;
  }

  status(): FeastProviderStatus {
    return { ...this.state };
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.taskRunner?.run({
      id: `${this.getProviderName()}:refresh`,
      fn: async () => {
        await this.refreshWithRetry();
      },
    });
  }

  /**
   * Refreshes, and while the registry cannot be read waits and tries again
   * (exponential backoff, `retry` option), logging each failure. Resolves
   * with the last attempt's result.
   */
  async refreshWithRetry(): Promise<FeastRefreshResult> {
    const attempts = Math.max(1, this.options.retry?.attempts ?? 4);
    let delay = this.options.retry?.initialDelayMs ?? 5_000;
    const maxDelay = this.options.retry?.maxDelayMs ?? 60_000;
    for (let attempt = 1; ; attempt++) {
      const result = await this.refresh();
      if (!result.error) {
        this.options.logger.info(
          `Feast provider ${this.name}: ${result.datasets} datasets from ${result.projects.length} project(s), ${result.skipped.length} objects skipped, ${result.requests} requests`,
        );
        return result;
      }
      const keeping = this.state.lastSuccessAt
        ? `keeping its ${result.datasets} Datasets as they were`
        : 'applying nothing, so the catalog keeps the Datasets an earlier run provided';
      if (attempt >= attempts) {
        this.options.logger.warn(
          `Feast provider ${this.name}: cannot read the registry (attempt ${attempt}/${attempts}): ${result.error}; ${keeping} until the next scheduled refresh`,
        );
        return result;
      }
      this.options.logger.warn(
        `Feast provider ${
          this.name
        }: cannot read the registry (attempt ${attempt}/${attempts}): ${
          result.error
        }; ${keeping}, retrying in ${
          delay < 1000 ? `${delay} ms` : `${Math.round(delay / 1000)} s`
        }`,
      );
      await sleep(delay);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  /** Reads the registry once and applies it; see the class comment. */
  async refresh(): Promise<FeastRefreshResult> {
    if (!this.connection) {
      throw new Error(`Feast provider ${this.name}: not connected`);
    }
    const before = this.client.requestCount;
    let snapshots: FeastProjectSnapshot[];
    let projects: string[] = [];
    try {
      const available = await this.client.listProjects();
      projects = this.options.registry.projects ?? available;
      const missing = projects.filter(p => !available.includes(p));
      if (missing.length) {
        // An unknown project lists as empty: applying that would delete its
        // Datasets on a typo or a registry that lost its state.
        throw new Error(
          `project(s) ${missing.join(', ')} not in the registry (it has: ${
            available.join(', ') || 'none'
          })`,
        );
      }
      snapshots = [];
      for (const project of projects) {
        snapshots.push(await this.client.readProject(project));
      }
    } catch (e) {
      this.state.consecutiveFailures++;
      this.state.lastError = (e as Error).message;
      return {
        mutation: 'none',
        projects,
        datasets: this.state.datasets,
        skipped: [],
        requests: this.client.requestCount - before,
        error: (e as Error).message,
      };
    }

    const defaults = {
      namespace: this.options.namespace ?? 'default',
      defaultOwner: this.options.defaultOwner,
      registryName: this.name,
      apiRoot: this.client.apiRoot,
    };
    const taken = new Map<string, string>();
    const entities: DeferredEntity[] = [];
    const skipped: FeastSkip[] = [];
    for (const snapshot of snapshots) {
      const out = feastProjectEntities(snapshot, defaults, taken);
      skipped.push(...out.skipped);
      for (const entity of out.entities) {
        entities.push({ entity, locationKey: this.getProviderName() });
      }
    }
    this.logSkips(skipped);
    await this.connection.applyMutation({ type: 'full', entities });
    this.state.consecutiveFailures = 0;
    this.state.lastError = undefined;
    this.state.lastSuccessAt = new Date();
    this.state.datasets = entities.length;
    return {
      mutation: 'full',
      projects,
      datasets: entities.length,
      skipped,
      requests: this.client.requestCount - before,
    };
  }

  /** Logs each skipped object once, until it changes. */
  private logSkips(skipped: FeastSkip[]) {
    const current = new Set(skipped.map(s => `${s.object}: ${s.reason}`));
    for (const line of current) {
      if (!this.loggedSkips.has(line)) {
        this.options.logger.warn(
          `Feast provider ${this.name}: skipped ${line}`,
        );
      }
    }
    this.loggedSkips.clear();
    for (const line of current) this.loggedSkips.add(line);
  }
}
