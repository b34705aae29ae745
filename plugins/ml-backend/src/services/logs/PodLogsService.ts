import {
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  LOG_LIMITS,
  LogLine,
  LogPod,
  LogPodsResponse,
  LogsTargetRef,
  PodLogsQuery,
  PodLogsResponse,
  durationSeconds,
  mlLogsReadPermission,
} from '@mlplatform/plugin-ml-common';
import { IncomingMessage } from 'node:http';
import { gpuQuotaResourceRef } from '../../permissions/register';
import { ClusterService } from '../kubernetes/ClusterService';
import { KubeApiError } from '../kubernetes/KubeClient';
import { PodQuery, podQueriesFor } from './logTargets';

interface KubePod {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { containers?: Array<{ name: string }> };
  status?: {
    phase?: string;
    startTime?: string;
    containerStatuses?: Array<{
      name: string;
      state?: { running?: object; terminated?: object };
    }>;
  };
}

/** A pod log request, resolved: where, which container, and the kube query. @internal */
export interface ResolvedLogRequest {
  pod: LogPod;
  container: string;
  /** Path and query of the API server's `pods/log`. */
  path: string;
  tail: number;
}

/** `2026-01-31T12:00:00.123456789Z text` as the API server prints with timestamps. */
export function parseTimestamped(raw: string): LogLine {
  const space = raw.indexOf(' ');
  const time = space > 0 ? raw.slice(0, space) : '';
  if (/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(time)) {
    return { time, text: raw.slice(space + 1) };
  }
  return { text: raw };
}

/** Whether a line contains `search`, case-insensitively. */
export function lineMatcher(search?: string): (line: LogLine) => boolean {
  if (!search) return () => true;
  const needle = search.toLocaleLowerCase();
  return line => line.text.toLocaleLowerCase().includes(needle);
}

/**
 * Pod logs of Models, Pipelines and notebooks through the Kubernetes API of
 * the configured clusters. Entities are read with the caller's credentials;
 * every namespace is checked against `ml.logs.read` (resource
 * `<cluster>/<namespace>`, the owning-team rules of the GPU quota), and a
 * pod is only read when it belongs to the entity.
 *
 * @internal
 */
export class PodLogsService {
  static create(options: {
    clusters: ClusterService;
    catalog: CatalogService;
    permissions: PermissionsService;
    maxTailLines: number;
    logger: LoggerService;
  }): PodLogsService {
    return new PodLogsService(options);
  }

  private constructor(
    private readonly deps: {
      clusters: ClusterService;
      catalog: CatalogService;
      permissions: PermissionsService;
      maxTailLines: number;
      logger: LoggerService;
    },
  ) {}

  /** The entity's pods on every cluster, those in denied namespaces left out. */
  async listPods(
    target: LogsTargetRef,
    credentials: BackstageCredentials,
  ): Promise<LogPodsResponse> {
    const queries = await podQueriesFor(target, this.deps, credentials);
    if (!queries.configured) {
      return {
        configured: false,
        message: queries.message,
        pods: [],
        errors: [],
      };
    }
    const errors: LogPodsResponse['errors'] = [];
    const found: LogPod[] = [];
    await Promise.all(
      queries.queries.map(async q => {
        try {
          found.push(...(await this.podsOf(q)));
        } catch (e) {
          if (!(e instanceof KubeApiError)) throw e;
          errors.push({ cluster: q.cluster, message: e.message });
        }
      }),
    );
    const allowed = await this.allowedNamespaces(found, credentials);
    const pods = found.filter(p => allowed.has(`${p.cluster}/${p.namespace}`));
    const denied = [
      ...new Set(
        found
          .filter(p => !allowed.has(`${p.cluster}/${p.namespace}`))
          .map(p => `${p.cluster}/${p.namespace}`),
      ),
    ];
    if (found.length && !pods.length) {
      throw new NotAllowedError(
        `not allowed to read logs in namespace ${denied.join(
          ', ',
        )}: permission ${mlLogsReadPermission.name} denied`,
      );
    }
    for (const where of denied) {
      errors.push({
        cluster: where.split('/')[0],
        message: `pods in ${where} left out: permission ${mlLogsReadPermission.name} denied`,
      });
    }
    pods.sort(
      (a, b) =>
        (b.startedAt ?? '').localeCompare(a.startedAt ?? '') ||
        a.name.localeCompare(b.name),
    );
    return { configured: true, selector: queries.selector, pods, errors };
  }

  /**
   * Checks the request against the entity's pods and the caller's
   * permission, and builds the API server's `pods/log` query.
   */
  async resolve(
    target: LogsTargetRef,
    query: PodLogsQuery,
    credentials: BackstageCredentials,
    options: { follow?: boolean } = {},
  ): Promise<ResolvedLogRequest> {
    const { maxTailLines } = this.deps;
    if (query.tail !== undefined && query.tail > maxTailLines) {
      throw new InputError(
        `Invalid query: tail: must be at most ${maxTailLines} (ml.logs.maxTailLines)`,
      );
    }
    await this.authorize(query.cluster, query.podNamespace, credentials);
    const queries = await podQueriesFor(target, this.deps, credentials);
    const q = queries.configured
      ? queries.queries.find(
          c =>
            c.cluster === query.cluster &&
            (!c.namespace || c.namespace === query.podNamespace),
        )
      : undefined;
    const pods = q
      ? await this.podsOf({ ...q, namespace: query.podNamespace })
      : [];
    const pod = pods.find(p => p.name === query.pod);
    if (!pod) {
      throw new NotFoundError(
        `pod ${query.podNamespace}/${query.pod} on cluster ${query.cluster} is not one of this ${target.kind}'s pods`,
      );
    }
    const names = pod.containers.map(c => c.name);
    const container = query.container ?? names[0];
    if (!names.includes(container)) {
      throw new InputError(
        `Invalid query: container: pod ${
          pod.name
        } has no container ${container}; it has ${names.join(', ')}`,
      );
    }
    const tail = query.tail ?? Math.min(LOG_LIMITS.defaultTail, maxTailLines);
    const params = new URLSearchParams({
      container,
      timestamps: 'true',
      tailLines: String(tail),
    });
    if (query.since)
      params.set('sinceSeconds', String(durationSeconds(query.since)));
    if (query.start)
      params.set(
        'sinceTime',
        new Date(query.start).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      );
    if (options.follow) params.set('follow', 'true');
    return {
      pod,
      container,
      tail,
      path: `/api/v1/namespaces/${encodeURIComponent(
        pod.namespace,
      )}/pods/${encodeURIComponent(pod.name)}/log?${params}`,
    };
  }

  /** One container's lines, oldest first, filtered by `end` and `search`. */
  async readLogs(
    target: LogsTargetRef,
    query: PodLogsQuery,
    credentials: BackstageCredentials,
  ): Promise<PodLogsResponse> {
    const resolved = await this.resolve(target, query, credentials);
    const stream = await this.open(resolved);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8').split('\n');
    if (raw[raw.length - 1] === '') raw.pop();
    const endMs = query.end ? Date.parse(query.end) : undefined;
    const all = raw
      .map(parseTimestamped)
      .filter(
        l => endMs === undefined || !l.time || Date.parse(l.time) <= endMs,
      );
    const keep = lineMatcher(query.search);
    return {
      pod: {
        cluster: resolved.pod.cluster,
        namespace: resolved.pod.namespace,
        name: resolved.pod.name,
        container: resolved.container,
      },
      lines: all.filter(keep),
      tail: resolved.tail,
      scanned: all.length,
    };
  }

  /** The API server's `pods/log` response, as a stream of text. */
  async open(
    resolved: ResolvedLogRequest,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const { pod, container } = resolved;
    try {
      return await this.deps.clusters.client(pod.cluster).openStream(
        resolved.path,
        {
          verb: 'get',
          resource: 'pods/log',
          object: `${pod.namespace}/${pod.name} (container ${container})`,
        },
        signal,
      );
    } catch (e) {
      throw toBackstageError(e);
    }
  }

  private async podsOf(q: PodQuery): Promise<LogPod[]> {
    const base = q.namespace
      ? `/api/v1/namespaces/${encodeURIComponent(q.namespace)}/pods`
      : '/api/v1/pods';
    const list = await this.deps.clusters.list<KubePod>(
      q.cluster,
      `${base}?labelSelector=${encodeURIComponent(q.labelSelector)}`,
      'pods',
    );
    return list.items.map(p => {
      const statuses = new Map(
        (p.status?.containerStatuses ?? []).map(s => [s.name, s]),
      );
      const run = q.runLabel ? p.metadata.labels?.[q.runLabel] : undefined;
      const names = (p.spec?.containers ?? []).map(c => c.name);
      // kubectl's default container first, as `kubectl logs` picks it
      const preferred =
        p.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
      names.sort((a, b) => Number(b === preferred) - Number(a === preferred));
      return {
        cluster: q.cluster,
        namespace: p.metadata.namespace,
        name: p.metadata.name,
        phase: p.status?.phase ?? 'Unknown',
        ...(p.status?.startTime ? { startedAt: p.status.startTime } : {}),
        containers: names.map(name => {
          const state = statuses.get(name)?.state;
          return { name, started: !!(state?.running || state?.terminated) };
        }),
        ...(run ? { run } : {}),
      };
    });
  }

  private async allowedNamespaces(
    pods: LogPod[],
    credentials: BackstageCredentials,
  ): Promise<Set<string>> {
    const refs = [
      ...new Set(pods.map(p => gpuQuotaResourceRef(p.cluster, p.namespace))),
    ];
    if (!refs.length) return new Set();
    const decisions = await this.deps.permissions.authorize(
      refs.map(resourceRef => ({
        permission: mlLogsReadPermission,
        resourceRef,
      })),
      { credentials },
    );
    return new Set(
      refs.filter((_, i) => decisions[i].result === AuthorizeResult.ALLOW),
    );
  }

  private async authorize(
    cluster: string,
    namespace: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const [decision] = await this.deps.permissions.authorize(
      [
        {
          permission: mlLogsReadPermission,
          resourceRef: gpuQuotaResourceRef(cluster, namespace),
        },
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `not allowed to read logs in namespace ${namespace} on ${cluster}: permission ${mlLogsReadPermission.name} denied`,
      );
    }
  }
}

/** A cluster's refusal in @backstage/errors terms; its own words kept. */
export function toBackstageError(e: unknown): Error {
  if (!(e instanceof KubeApiError)) return e as Error;
  if (e.status === 404) return new NotFoundError(e.message);
  if (e.status === 400 || e.status === 422) return new InputError(e.message);
  return new ServiceUnavailableError(e.message);
}
