import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_LOGS_SELECTOR,
  LOG_LIMITS,
  LabelMatcher,
  LogStoreQuery,
  LogStoreResponse,
  durationSeconds,
  entityPathParamsSchema,
  isDnsLabel,
  isModelEntity,
  isPipelineEntity,
  mlLogsReadPermission,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import { LogStoreAdapter } from '@mlplatform/plugin-ml-node';
import { parseInput } from '../../parseInput';
import { gpuQuotaResourceRef } from '../../permissions/register';

const DEFAULT_WINDOW_SECONDS = 3600;

/** Seconds as the shortest duration text that says them: `90m`, `1d`. */
function durationText(seconds: number): string {
  for (const [unit, s] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % s === 0) return `${seconds / s}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * An entity's lines in the central log store: the streams its
 * `mlplatform.io/logs-selector` annotation selects, over a window no longer
 * than `ml.logs.loki.maxWindow`. The selector must name its namespace
 * (`namespace="fraud"`), and the caller needs `ml.logs.read` there on one of
 * the configured clusters: an entity's author cannot point it at another
 * team's logs.
 *
 * @internal
 */
export class LogStoreService {
  static create(options: {
    adapter?: LogStoreAdapter;
    maxWindowSeconds: number;
    clusterNames: () => string[];
    catalog: CatalogService;
    permissions: PermissionsService;
  }): LogStoreService {
    return new LogStoreService(options);
  }

  private constructor(
    private readonly deps: {
      adapter?: LogStoreAdapter;
      maxWindowSeconds: number;
      clusterNames: () => string[];
      catalog: CatalogService;
      permissions: PermissionsService;
    },
  ) {}

  async query(
    target: { kind: 'model' | 'pipeline'; namespace: string; name: string },
    query: LogStoreQuery,
    credentials: BackstageCredentials,
    signal?: AbortSignal,
  ): Promise<LogStoreResponse> {
    const { adapter, catalog } = this.deps;
    const { namespace, name } = parseInput(
      entityPathParamsSchema,
      { namespace: target.namespace, name: target.name },
      target.kind,
    );
    const entity = await catalog.getEntityByRef(
      { kind: target.kind, namespace, name },
      { credentials },
    );
    const is = target.kind === 'model' ? isModelEntity : isPipelineEntity;
    if (!entity || !is(entity)) {
      throw new NotFoundError(
        `No ${
          target.kind === 'model' ? 'Model' : 'Pipeline'
        } ${namespace}/${name} in the catalog`,
      );
    }
    if (!adapter) {
      return {
        configured: false,
        message:
          'No log store is configured: set ml.logs.loki.url (docs/logs.md)',
        lines: [],
      };
    }
    const text = entity.metadata.annotations?.[ANNOTATION_LOGS_SELECTOR];
    if (!text) {
      return {
        configured: false,
        store: adapter.name,
        message: `Add annotation ${ANNOTATION_LOGS_SELECTOR} (label matchers such as namespace="fraud", app="${name}") to read this ${target.kind}'s lines from ${adapter.name}`,
        lines: [],
      };
    }
    let matchers: LabelMatcher[];
    try {
      matchers = parseLabelMatchers(text);
    } catch (e) {
      throw new InputError(
        `annotation ${ANNOTATION_LOGS_SELECTOR} is not a list of label matchers: ${
          (e as Error).message
        }`,
      );
    }
    await this.authorize(matchers, credentials);
    const { start, end } = this.window(query);
    const limit = query.limit ?? LOG_LIMITS.defaultStoreLines;
    const result = await adapter.query({
      matchers,
      start,
      end,
      search: query.search,
      limit,
      signal,
    });
    return {
      configured: true,
      store: adapter.name,
      query: result.query,
      start: start.toISOString(),
      end: end.toISOString(),
      lines: result.lines,
      truncated: result.truncated,
    };
  }

  private window(query: LogStoreQuery): { start: Date; end: Date } {
    const end = query.end ? new Date(query.end) : new Date();
    const seconds = query.since
      ? durationSeconds(query.since)!
      : DEFAULT_WINDOW_SECONDS;
    const start = query.start
      ? new Date(query.start)
      : new Date(end.getTime() - seconds * 1000);
    const max = this.deps.maxWindowSeconds;
    if (end.getTime() - start.getTime() > max * 1000) {
      throw new InputError(
        `Invalid query: the window ${start.toISOString()} to ${end.toISOString()} is longer than ${durationText(
          max,
        )}, the most one log query may cover (ml.logs.loki.maxWindow)`,
      );
    }
    return { start, end };
  }

  private async authorize(
    matchers: LabelMatcher[],
    credentials: BackstageCredentials,
  ): Promise<void> {
    const ns = matchers.find(m => m.name === 'namespace' && m.op === '=');
    if (!ns || !isDnsLabel(ns.value)) {
      throw new InputError(
        `annotation ${ANNOTATION_LOGS_SELECTOR} must name its namespace with namespace="<namespace>", so that access to the namespace's logs can be checked`,
      );
    }
    const clusters = this.deps.clusterNames();
    // Without clusters the namespace is checked on no cluster in particular.
    const refs = (clusters.length ? clusters : ['-']).map(c =>
      gpuQuotaResourceRef(c, ns.value),
    );
    const decisions = await this.deps.permissions.authorize(
      refs.map(resourceRef => ({
        permission: mlLogsReadPermission,
        resourceRef,
      })),
      { credentials },
    );
    if (!decisions.some(d => d.result === AuthorizeResult.ALLOW)) {
      throw new NotAllowedError(
        `not allowed to read logs in namespace ${ns.value}: permission ${mlLogsReadPermission.name} denied`,
      );
    }
  }
}
