import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  DatasetEntityV1alpha1,
  DatasetFactsResponse,
  DatasetLocationFacts,
  durationSeconds,
  FeastFeatureView,
  FeastRegistryClient,
  parseQuantity,
} from '@mlplatform/plugin-ml-common';
import { CoalescingCache } from '../coalescingCache';
import { ClusterService } from '../kubernetes/ClusterService';
import { PrometheusClient } from '../monitoring/PrometheusClient';
import { DatasetLocation, parseDatasetLocation } from './datasetLocation';
import { S3BucketNotConfiguredError, S3Prefixes } from './S3Prefixes';

/** @internal */
export interface DatasetFactsServiceOptions {
  s3: S3Prefixes;
  clusters: ClusterService;
  prometheus?: PrometheusClient;
  /** The label naming the cluster on kubelet series (`ml.prometheusClusterLabel`). */
  clusterLabel: string;
  /** The registry of `catalog.providers.mlFeast`, when configured. */
  feast?: FeastRegistryClient;
  logger: LoggerService;
  /** How long facts are reused; default 60 s. */
  cacheTtlMs?: number;
}

interface Loaded {
  response: DatasetFactsResponse;
  /** An upstream failed: answer it, but read again next time. */
  failed: boolean;
}

type Read =
  | { facts: DatasetLocationFacts; changedAt?: string; noChangeTime?: string }
  | { unavailable: string; failed: boolean };

/** Verdicts remembered for the ML overview, at most. */
const KNOWN_MAX = 10_000;

/** Why a PVC has no data-change time to judge freshness by. */
const PVC_NO_CHANGE_TIME =
  'a PVC does not say when its data last changed, so freshness cannot be judged from it';

/**
 * Live facts of a Dataset from where its `spec.location` points (an S3
 * prefix of a configured bucket, a PVC of a configured cluster, a Feast
 * feature view or service), and the verdict of its freshness objective
 * (`spec.freshness.maxAge`), like a Model's health verdict. Answers are
 * cached (CoalescingCache: one read per Dataset a minute, however many
 * viewers); an answer made while an upstream failed is not kept.
 *
 * @internal
 */
export class DatasetFactsService {
  private readonly cache: CoalescingCache<Loaded>;
  /** The last fresh or stale verdict per Dataset, kept past the cache's minute. */
  private readonly verdicts = new Map<string, DatasetFactsResponse>();

  static create(options: DatasetFactsServiceOptions): DatasetFactsService {
    return new DatasetFactsService(options);
  }

  private constructor(private readonly options: DatasetFactsServiceOptions) {
    this.cache = new CoalescingCache<Loaded>({
      ttlMs: options.cacheTtlMs ?? 60_000,
      maxEntries: 1000,
      keep: loaded => !loaded.failed,
    });
  }

  async getFacts(entity: DatasetEntityV1alpha1): Promise<DatasetFactsResponse> {
    const { key, entityRef, location, maxAge } = keyOf(entity);
    const loaded = await this.cache.get(key, () =>
      this.load(entityRef, location, maxAge),
    );
    const { verdict } = loaded.response.freshness;
    if (verdict !== 'unknown') {
      // re-inserted, so the Map's first entry is the longest unread
      this.verdicts.delete(key);
      this.verdicts.set(key, loaded.response);
      if (this.verdicts.size > KNOWN_MAX) {
        this.verdicts.delete(this.verdicts.keys().next().value!);
      }
    }
    return loaded.response;
  }

  /**
   * The last fresh or stale verdict reached for this Dataset (same location
   * and objective), without reading anything: what the ML overview shows
   * "where known". Undefined when its facts were never read successfully.
   */
  lastVerdict(entity: DatasetEntityV1alpha1): DatasetFactsResponse | undefined {
    return this.verdicts.get(keyOf(entity).key);
  }

  private async load(
    entityRef: string,
    location: string,
    maxAge: string | undefined,
  ): Promise<Loaded> {
    const read = await this.read(parseDatasetLocation(location));
    const now = Date.now();
    const response: DatasetFactsResponse = {
      entityRef,
      location,
      ...('facts' in read
        ? { facts: read.facts }
        : { unavailable: read.unavailable }),
      freshness: freshnessVerdict(read, maxAge, now),
      checkedAt: new Date(now).toISOString(),
    };
    return { response, failed: 'failed' in read && read.failed };
  }

  private async read(location: DatasetLocation): Promise<Read> {
    switch (location.kind) {
      case 'none':
        return { unavailable: location.reason, failed: false };
      case 's3':
        return this.readS3(location.bucket, location.prefix);
      case 'pvc':
        return this.readPvc(location);
      case 'feast':
        return this.readFeast(location);
      default:
        return { unavailable: 'unknown location', failed: false };
    }
  }

  private async readS3(bucket: string, prefix: string): Promise<Read> {
    try {
      const stats = await this.options.s3.stats(bucket, prefix);
      return {
        facts: { kind: 's3', bucket, prefix, ...stats },
        changedAt: stats.newestObjectAt,
        noChangeTime: stats.newestObjectAt
          ? undefined
          : `no objects under s3://${bucket}/${prefix}`,
      };
    } catch (e) {
      if (e instanceof S3BucketNotConfiguredError) {
        return { unavailable: e.message, failed: false };
      }
      const err = e as Error & { Code?: string };
      this.options.logger.warn(
        `Dataset facts: listing s3://${bucket}/${prefix} failed: ${err.message}`,
      );
      return {
        unavailable: `listing s3://${bucket}/${prefix} failed: ${
          err.name && err.name !== 'Error' ? `${err.name}: ` : ''
        }${err.message}`,
        failed: true,
      };
    }
  }

  private async readPvc(location: {
    cluster: string;
    namespace: string;
    claim: string;
  }): Promise<Read> {
    const { cluster, namespace, claim } = location;
    const names = this.options.clusters.names();
    if (!names.includes(cluster)) {
      return {
        unavailable: `cluster "${cluster}" is not in ml.kubernetes.clusters (configured: ${
          names.length ? names.join(', ') : 'none'
        })`,
        failed: false,
      };
    }
    let pvc:
      | {
          spec?: { storageClassName?: string; volumeName?: string };
          status?: { phase?: string; capacity?: { storage?: string } };
        }
      | undefined;
    try {
      pvc = await this.options.clusters.getOptional(
        cluster,
        `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}`,
        {
          verb: 'get',
          resource: 'persistentvolumeclaims',
          object: `${namespace}/${claim}`,
        },
      );
    } catch (e) {
      return {
        unavailable: `reading PVC ${namespace}/${claim} on ${cluster} failed: ${
          (e as Error).message
        }`,
        failed: true,
      };
    }
    if (!pvc) {
      return {
        unavailable: `no PVC ${namespace}/${claim} on cluster ${cluster}: check spec.location`,
        failed: false,
      };
    }
    const capacity = pvc.status?.capacity?.storage;
    const used = await this.usedBytes(cluster, namespace, claim);
    return {
      facts: {
        kind: 'pvc',
        cluster,
        namespace,
        claim,
        phase: pvc.status?.phase ?? 'Unknown',
        capacity,
        capacityBytes: capacity ? parseQuantity(capacity) : undefined,
        storageClass: pvc.spec?.storageClassName,
        volumeName: pvc.spec?.volumeName,
        ...used,
      },
      noChangeTime: PVC_NO_CHANGE_TIME,
    };
  }

  private async usedBytes(
    cluster: string,
    namespace: string,
    claim: string,
  ): Promise<{ usedBytes?: number; usedBytesReason?: string }> {
    const { prometheus, clusterLabel } = this.options;
    if (!prometheus) {
      return {
        usedBytesReason:
          'no Prometheus (ml.prometheus) to read kubelet_volume_stats_used_bytes from',
      };
    }
    // Names are DNS labels (parseDatasetLocation), safe inside quotes.
    const query = `kubelet_volume_stats_used_bytes{namespace="${namespace}",persistentvolumeclaim="${claim}"}`;
    try {
      const data = await prometheus.query(query);
      const series = data.resultType === 'vector' ? data.result : [];
      // A Prometheus of several clusters labels each; one of a single
      // cluster may not.
      const ours = series.filter(s => s.metric[clusterLabel] === cluster);
      const unlabelled = series.filter(s => !(clusterLabel in s.metric));
      const pick = ours.length ? ours : unlabelled;
      if (!pick.length) {
        return {
          usedBytesReason: `Prometheus has no recent ${query}: is the kubelet of the node that mounts it scraped?`,
        };
      }
      return { usedBytes: Math.max(...pick.map(s => Number(s.value[1]))) };
    } catch (e) {
      return {
        usedBytesReason: `Prometheus query failed: ${(e as Error).message}`,
      };
    }
  }

  private async readFeast(location: {
    project: string;
    objectType: 'featureView' | 'featureService';
    name: string;
  }): Promise<Read> {
    const { feast } = this.options;
    const { project, objectType, name } = location;
    if (!feast) {
      return {
        unavailable:
          'no Feast registry configured (catalog.providers.mlFeast.url): the last materialization is read from it',
        failed: false,
      };
    }
    try {
      let views: FeastFeatureView[];
      if (objectType === 'featureView') {
        const view = await feast.getFeatureView(project, name);
        if (!view) {
          return {
            unavailable: `the Feast registry has no feature view "${name}" in project "${project}": check spec.location`,
            failed: false,
          };
        }
        views = [view];
      } else {
        const service = await feast.getFeatureService(project, name);
        if (!service) {
          return {
            unavailable: `the Feast registry has no feature service "${name}" in project "${project}": check spec.location`,
            failed: false,
          };
        }
        const viewNames = [
          ...new Set((service.spec.features ?? []).map(f => f.featureViewName)),
        ];
        views = (
          await Promise.all(
            viewNames.map(v => feast.getFeatureView(project, v)),
          )
        ).filter((v): v is FeastFeatureView => !!v);
      }
      const last = views.map(v => ({
        name: v.spec.name,
        interval: lastInterval(v),
      }));
      const neverMaterialized = last.filter(l => !l.interval).map(l => l.name);
      // The stalest view decides: a service is as fresh as its oldest input.
      const stalest = last
        .flatMap(l => (l.interval ? [l.interval] : []))
        .sort((a, b) => Date.parse(a.end) - Date.parse(b.end))[0];
      const facts: DatasetLocationFacts = {
        kind: 'feast',
        project,
        name,
        objectType,
        featureViews: views.map(v => v.spec.name),
        lastMaterialization: stalest,
        neverMaterialized,
      };
      if (neverMaterialized.length) {
        return {
          facts,
          noChangeTime: `never materialized: ${neverMaterialized.join(
            ', ',
          )} (run feast materialize or materialize-incremental)`,
        };
      }
      return { facts, changedAt: stalest?.end };
    } catch (e) {
      return {
        unavailable: `reading the Feast registry failed: ${
          (e as Error).message
        }`,
        failed: true,
      };
    }
  }
}

function keyOf(entity: DatasetEntityV1alpha1) {
  const entityRef = stringifyEntityRef(entity);
  const location = String(entity.spec.location ?? '');
  const maxAge = entity.spec.freshness?.maxAge;
  const key = JSON.stringify([entityRef, location, maxAge ?? null]);
  return { key, entityRef, location, maxAge };
}

function lastInterval(
  view: FeastFeatureView,
): { start: string; end: string } | undefined {
  const intervals = (view.meta?.materializationIntervals ?? []).filter(
    i => i.startTime && i.endTime,
  );
  if (!intervals.length) return undefined;
  const last = intervals.reduce((a, b) =>
    Date.parse(b.endTime!) > Date.parse(a.endTime!) ? b : a,
  );
  return { start: last.startTime!, end: last.endTime! };
}

/**
 * `90061` → `1d 1h`: the largest unit and the next one when not zero, as
 * people read ages (`2h`, `3d 3h`, `45s`).
 */
export function formatAge(seconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const rest = Math.max(0, Math.round(seconds));
  const i = units.findIndex(([, size]) => rest >= size);
  if (i < 0) return '0s';
  const [unit, size] = units[i];
  const whole = `${Math.floor(rest / size)}${unit}`;
  const next = units[i + 1];
  const part = next ? Math.floor((rest % size) / next[1]) : 0;
  return part ? `${whole} ${part}${next[0]}` : whole;
}

function freshnessVerdict(
  read: Read,
  maxAge: string | undefined,
  now: number,
): DatasetFactsResponse['freshness'] {
  const changedAt = 'facts' in read ? read.changedAt : undefined;
  const ageSeconds =
    changedAt !== undefined
      ? Math.max(0, (now - Date.parse(changedAt)) / 1000)
      : undefined;
  const base = {
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(changedAt !== undefined ? { changedAt, ageSeconds } : {}),
  };
  if (maxAge === undefined) {
    return {
      ...base,
      verdict: 'unknown',
      reason:
        'no freshness objective: set spec.freshness.maxAge (e.g. 24h) to get a verdict',
    };
  }
  const maxSeconds = durationSeconds(maxAge);
  if (!maxSeconds) {
    return {
      ...base,
      verdict: 'unknown',
      reason: `spec.freshness.maxAge "${maxAge}" is not a duration like 30m, 24h or 7d`,
    };
  }
  if (!('facts' in read)) {
    return { ...base, verdict: 'unknown', reason: read.unavailable };
  }
  if (ageSeconds === undefined) {
    return {
      ...base,
      verdict: 'unknown',
      reason: read.noChangeTime ?? 'no time of the last change',
    };
  }
  const age = formatAge(ageSeconds);
  const what =
    read.facts.kind === 'feast'
      ? `materialized up to ${age} ago`
      : `the newest object is ${age} old`;
  return ageSeconds <= maxSeconds
    ? { ...base, verdict: 'fresh', reason: `${what}, within ${maxAge}` }
    : {
        ...base,
        verdict: 'stale',
        reason: `${what}, over the ${maxAge} objective`,
      };
}
