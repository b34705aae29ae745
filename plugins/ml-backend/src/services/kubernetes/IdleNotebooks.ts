import { LoggerService } from '@backstage/backend-plugin-api';
import {
  IDLE_POLICY_ANNOTATION,
  IDLE_POLICY_EXEMPT,
  IdleNotebook,
  IdleNotebooksResponse,
  idleNotebooksQuerySchema,
  Notebook,
} from '@mlplatform/plugin-ml-common';
import type { z } from 'zod';
import { AuditStore } from '../../database/AuditStore';
import { NotebookRecord, NotebookStore } from '../../database/NotebookStore';
import {
  PrometheusClient,
  PrometheusQueryError,
} from '../monitoring/PrometheusClient';
import { hubUserOf } from '../jupyterhub/JupyterHubNotebooks';
import {
  DCGM_COMPONENT_LABEL,
  DCGM_HUB_SERVER_LABEL,
  DCGM_HUB_USER_LABEL,
  KUBESPAWNER_COMPONENT,
  kubeSpawnerLabelValue,
} from '../jupyterhub/kubeSpawnerLabels';
import { ClusterService } from './ClusterService';
import { IdleConfig } from './idleConfig';
import { notebookTarget } from './notebookAccess';
import { NotebookObjects } from './NotebookObjects';
import { phaseOf } from './notebookView';

/** The DCGM exporter's GPU utilisation gauge, percent, per GPU. */
const GPU_UTIL = 'DCGM_FI_DEV_GPU_UTIL';

/**
 * What JupyterHub says about named servers: their notebooks' phases, and
 * whether JupyterHub answered at all.
 *
 * @internal
 */
export interface JupyterHubServerStates {
  list(
    records: NotebookRecord[],
  ): Promise<{ items: Notebook[]; unavailable: string[] }>;
}

/** An idle notebook with the record the policy acts on. @internal */
export interface IdleCandidate extends IdleNotebook {
  record: NotebookRecord;
}

/** Which idle notebooks to show: `GET /notebooks/idle`'s query, parsed. @internal */
export type IdleNotebooksFilter = z.output<typeof idleNotebooksQuerySchema>;

/** What one detection cycle found. @internal */
export interface IdleSnapshot extends Omit<IdleNotebooksResponse, 'items'> {
  items: IdleCandidate[];
}

type Stats = {
  gpus?: number;
  avg?: number;
  max?: number;
  lastBusy?: number;
  firstSeen?: number;
};

/**
 * How DCGM names a notebook's GPUs: by pod for the StatefulSet's (or the
 * Kubeflow Notebook's StatefulSet's) only replica; for a JupyterHub named
 * server by the labels KubeSpawner puts on its pod, which the DCGM exporter
 * copies onto the series (kubeSpawnerLabels.ts), since the portal does not
 * know KubeSpawner's pod names.
 *
 * @internal
 */
export type IdleTarget =
  | { cluster: string; namespace: string; pod: string }
  | { cluster: string; namespace: string; hubUser: string; hubServer: string };

function targetOf(r: NotebookRecord): IdleTarget {
  const { cluster, namespace } = r;
  if (r.spec.backend === 'jupyterhub') {
    return {
      cluster,
      namespace,
      hubUser: kubeSpawnerLabelValue(hubUserOf(r.createdBy)),
      hubServer: kubeSpawnerLabelValue(r.name),
    };
  }
  return { cluster, namespace, pod: `${r.name}-0` };
}

/**
 * The one PromQL expression of a cycle: per notebook the GPUs it holds now,
 * the mean and peak utilisation over `after`, the last time a GPU reached
 * the threshold and the first idle sample within `lookback`, plus the
 * number of DCGM series at all (to tell "no DCGM" from "nothing idle").
 * Notebook pods are selected by name, JupyterHub servers by KubeSpawner's
 * labels; each part is marked with an `ml_stat` label so `or` keeps them
 * apart. Every value is matched literally (see `alternatives`).
 *
 * @internal
 */
export function idleQuery(
  notebooks: IdleTarget[],
  config: Pick<IdleConfig, 'threshold' | 'afterSeconds' | 'clusterLabel'>,
  lookback: { seconds: number; step: number },
): string {
  const stat = (expr: string, name: string) =>
    `label_replace(${expr}, "ml_stat", "${name}", "", "")`;
  const all = stat(`count(${GPU_UTIL})`, 'dcgm_series');
  if (notebooks.length === 0) return all;
  // Each value matched literally: regex metacharacters escaped (cluster
  // names come from config and may hold dots), then the PromQL string's.
  const alternatives = (values: string[]) =>
    [...new Set(values)]
      .sort()
      .map(v => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|')
      .replace(/[\\"]/g, '\\$&');
  const { clusterLabel } = config;
  const selector = (targets: IdleTarget[], matchers: string[]) => {
    const matching = [
      `namespace=~"${alternatives(targets.map(n => n.namespace))}"`,
      ...matchers,
    ];
    if (clusterLabel) {
      matching.push(
        `${clusterLabel}=~"${alternatives(targets.map(n => n.cluster))}"`,
      );
    }
    return `${GPU_UTIL}{${matching.join(',')}}`;
  };
  const pods = notebooks.flatMap(n => ('pod' in n ? [n] : []));
  const servers = notebooks.flatMap(n => ('hubUser' in n ? [n] : []));
  const selectors = [
    ...(pods.length
      ? [selector(pods, [`pod=~"${alternatives(pods.map(n => n.pod))}"`])]
      : []),
    ...(servers.length
      ? [
          selector(servers, [
            `${DCGM_COMPONENT_LABEL}="${KUBESPAWNER_COMPONENT}"`,
            `${DCGM_HUB_USER_LABEL}=~"${alternatives(
              servers.map(n => n.hubUser),
            )}"`,
            `${DCGM_HUB_SERVER_LABEL}=~"${alternatives(
              servers.map(n => n.hubServer),
            )}"`,
          ]),
        ]
      : []),
  ];
  // Apply to each selector, joined: a range selector takes no `or`.
  const each = (f: (sel: string) => string) => selectors.map(f).join(' or ');
  const by = `by (${
    clusterLabel ? `${clusterLabel}, ` : ''
  }namespace, pod, ${DCGM_HUB_USER_LABEL}, ${DCGM_HUB_SERVER_LABEL})`;
  const after = `${config.afterSeconds}s`;
  const range = `[${lookback.seconds}s:${lookback.step}s]`;
  return [
    stat(`count ${by} (${each(sel => sel)})`, 'gpus'),
    stat(
      `avg ${by} (${each(sel => `avg_over_time(${sel}[${after}])`)})`,
      'avg',
    ),
    stat(
      `max ${by} (${each(sel => `max_over_time(${sel}[${after}])`)})`,
      'max',
    ),
    stat(
      `max ${by} (${each(
        sel =>
          `max_over_time(timestamp(${sel} >= ${config.threshold})${range})`,
      )})`,
      'last_busy',
    ),
    // Below the threshold, which is all that matters when never busy, and
    // (in Prometheus 2.42) 30x cheaper than timestamp() of the bare selector.
    stat(
      `min ${by} (${each(
        sel => `min_over_time(timestamp(${sel} < ${config.threshold})${range})`,
      )})`,
      'first_seen',
    ),
    all,
  ].join(' or ');
}

/** The key of a notebook's series, from its target or a series' labels. */
function seriesKey(
  clusterLabel: string | undefined,
  labels: Record<string, string | undefined> & IdleTargetLike,
): string {
  const cluster = clusterLabel ? `${labels.cluster}/` : '';
  return labels.hubUser !== undefined
    ? `${cluster}${labels.namespace}/hub:${labels.hubUser}/${labels.hubServer}`
    : `${cluster}${labels.namespace}/${labels.pod}`;
}

type IdleTargetLike = {
  cluster?: string;
  namespace: string;
  pod?: string;
  hubUser?: string;
  hubServer?: string;
};

/**
 * Idle GPU detection: which notebooks created through the portal hold GPUs
 * that DCGM has seen below `ml.notebooks.idle.threshold` percent for longer
 * than `after`. One Prometheus query per cycle, whatever the number of
 * notebooks ({@link idleQuery}), joined here with the notebook store; the
 * opt-out annotation is read from the clusters (one list per kind, only
 * where something is idle) and the policy's warnings from the audit trail.
 *
 * @internal
 */
export class IdleNotebooks {
  private readonly objects: NotebookObjects;

  constructor(
    private readonly deps: {
      prometheus?: PrometheusClient;
      store: NotebookStore;
      clusters: ClusterService;
      auditStore: AuditStore;
      config: IdleConfig;
      /** JupyterHub's named servers, when ml.jupyterhub is configured. */
      jupyterhub?: JupyterHubServerStates;
      logger?: LoggerService;
      now?: () => number;
    },
  ) {
    this.objects = new NotebookObjects(deps);
  }

  get config(): IdleConfig {
    return this.deps.config;
  }

  /**
   * How far back "idle since" is looked for, and the subquery's step: long
   * enough to still see an idle period the policy warned about when the
   * stop is due (`after` + `warning`), at most a week.
   */
  private lookback() {
    const { afterSeconds, warningSeconds } = this.config;
    const seconds = Math.min(
      Math.max(afterSeconds * 4, 6 * 3600, 2 * (afterSeconds + warningSeconds)),
      7 * 86400,
    );
    return { seconds, step: Math.max(15, Math.ceil(seconds / 180)) };
  }

  async snapshot(): Promise<IdleSnapshot> {
    const { config, prometheus } = this.deps;
    const now = this.deps.now?.() ?? Date.now();
    const base = {
      threshold: config.threshold,
      afterSeconds: config.afterSeconds,
      ...(config.action ? { action: config.action } : {}),
      checkedAt: new Date(now).toISOString(),
      items: [],
      namespaces: [],
    };
    if (!prometheus) {
      return {
        ...base,
        status: 'no-prometheus',
        message:
          'Idle GPUs come from DCGM GPU utilisation in Prometheus, and ml.prometheus is not configured: set ml.prometheus.url to a Prometheus that scrapes the NVIDIA DCGM exporter.',
      };
    }
    const records = (await this.deps.store.list()).filter(
      r =>
        r.spec.gpus > 0 &&
        this.knownCluster(r.cluster) &&
        (r.spec.backend !== 'jupyterhub' || this.deps.jupyterhub),
    );
    const { clusterLabel } = config;
    const targets = new Map(records.map(r => [r, targetOf(r)]));
    const byKey = new Map<string, NotebookRecord>();
    const ambiguous = new Set<string>();
    for (const [r, target] of targets) {
      const key = seriesKey(clusterLabel, target);
      if (byKey.has(key)) ambiguous.add(key);
      byKey.set(key, r);
    }
    if (ambiguous.size > 0) {
      // Without a cluster label, DCGM cannot say which cluster's pod it is.
      this.deps.logger?.warn(
        `ML idle notebooks: ${[...ambiguous].join(
          ', ',
        )} exist on several clusters; set ml.notebooks.idle.clusterLabel to tell them apart`,
      );
      for (const key of ambiguous) byKey.delete(key);
    }
    const lookback = this.lookback();
    let result;
    try {
      result = await prometheus.query(
        idleQuery([...targets.values()], config, lookback),
      );
    } catch (e) {
      const error = e as PrometheusQueryError;
      return {
        ...base,
        status: 'unavailable',
        message: `Prometheus at ${prometheus.host} could not tell GPU utilisation: ${error.message}. Idle notebooks show again once it answers.`,
      };
    }
    if (result.resultType !== 'vector') {
      throw new Error(`idle GPU query returned a ${result.resultType}`);
    }
    const stats = new Map<string, Stats>();
    let dcgmSeries = 0;
    for (const { metric, value } of result.result) {
      const v = Number(value[1]);
      if (metric.ml_stat === 'dcgm_series') {
        dcgmSeries = v;
        continue;
      }
      const hubServer = metric[DCGM_HUB_SERVER_LABEL];
      const key = seriesKey(clusterLabel, {
        cluster: clusterLabel && metric[clusterLabel],
        namespace: metric.namespace,
        ...(hubServer
          ? { hubUser: metric[DCGM_HUB_USER_LABEL] ?? '', hubServer }
          : { pod: metric.pod }),
      });
      const s = stats.get(key) ?? {};
      if (metric.ml_stat === 'gpus') s.gpus = v;
      else if (metric.ml_stat === 'avg') s.avg = v;
      else if (metric.ml_stat === 'max') s.max = v;
      else if (metric.ml_stat === 'last_busy') s.lastBusy = v;
      else if (metric.ml_stat === 'first_seen') s.firstSeen = v;
      stats.set(key, s);
    }
    if (dcgmSeries === 0) {
      return {
        ...base,
        status: 'no-dcgm',
        message: `Prometheus at ${prometheus.host} has no ${GPU_UTIL} series: deploy the NVIDIA DCGM exporter (dcgm-exporter, with its Kubernetes pod mapping so series carry namespace and pod) and let this Prometheus scrape it.`,
      };
    }
    const nowSeconds = now / 1000;
    const idle: IdleCandidate[] = [];
    for (const [key, s] of stats) {
      const record = byKey.get(key);
      if (!record || !s.gpus || s.max === undefined) continue;
      if (s.max >= config.threshold) continue;
      const since = s.lastBusy ?? s.firstSeen;
      if (since === undefined || nowSeconds - since < config.afterSeconds) {
        continue;
      }
      const atLeast =
        s.lastBusy === undefined &&
        since - (nowSeconds - lookback.seconds) <= 2 * lookback.step;
      // Idle since before the data goes back: say the whole lookback.
      const idleSince = atLeast ? nowSeconds - lookback.seconds : since;
      idle.push({
        record,
        cluster: record.cluster,
        namespace: record.namespace,
        name: record.name,
        ...(record.team ? { team: record.team } : {}),
        createdBy: record.createdBy,
        backend: record.spec.backend,
        gpus: record.spec.gpus,
        utilization: Math.round((s.avg ?? 0) * 10) / 10,
        idleSince: new Date(idleSince * 1000).toISOString(),
        idleSeconds: Math.round(nowSeconds - idleSince),
        idleAtLeast: atLeast,
        exempt: false,
      });
    }
    const holding = await this.readLive(idle);
    await this.markWarnings(holding, now);
    holding.sort(
      (a, b) =>
        b.idleSeconds - a.idleSeconds ||
        notebookTarget(a.cluster, a.namespace, a.name).localeCompare(
          notebookTarget(b.cluster, b.namespace, b.name),
        ),
    );
    return {
      ...base,
      status: 'ok',
      items: holding,
      namespaces: summarizeIdle(holding),
    };
  }

  /**
   * A cycle's idle notebooks as the card and the MCP action show them:
   * filtered like the GPU quota page (cluster, namespace, team) and to the
   * caller's own with `mine`, summed per namespace.
   */
  async list(
    filter: IdleNotebooksFilter,
    self?: string,
  ): Promise<IdleNotebooksResponse> {
    const snapshot = await this.snapshot();
    const items = snapshot.items
      .filter(
        n =>
          (!filter.mine || n.createdBy === self) &&
          (!filter.cluster || n.cluster === filter.cluster) &&
          (!filter.namespace || n.namespace === filter.namespace) &&
          (!filter.team || n.team === filter.team),
      )
      .map(({ record: _record, ...n }) => n);
    return { ...snapshot, items, namespaces: summarizeIdle(items) };
  }

  private knownCluster(cluster: string): boolean {
    return this.deps.clusters.names().includes(cluster);
  }

  /**
   * Reads the idle ones from where they run: the opt-out, and which are in
   * fact stopped or gone. Kubernetes notebooks from their clusters (one
   * list per cluster and kind), JupyterHub servers from JupyterHub.
   */
  private async readLive(idle: IdleCandidate[]): Promise<IdleCandidate[]> {
    const gone = new Set<IdleCandidate>();
    const onHub = idle.filter(n => n.record.spec.backend === 'jupyterhub');
    const byCluster = new Map<string, IdleCandidate[]>();
    for (const n of idle) {
      if (onHub.includes(n)) continue;
      byCluster.set(n.cluster, [...(byCluster.get(n.cluster) ?? []), n]);
    }
    await Promise.all([
      this.readHub(onHub, gone),
      ...[...byCluster].map(async ([cluster, notebooks]) => {
        try {
          const live = await this.objects.liveObjects(
            cluster,
            notebooks.map(n => n.record),
          );
          for (const n of notebooks) {
            const kind =
              n.record.spec.backend === 'kubeflow' ? 'Notebook' : 'StatefulSet';
            const object = live.get(`${kind}/${n.namespace}/${n.name}`);
            n.exempt =
              object?.metadata?.annotations?.[IDLE_POLICY_ANNOTATION] ===
              IDLE_POLICY_EXEMPT;
            // DCGM keeps a stopped pod's series for minutes: the cluster knows better.
            if (!object || phaseOf(n.record, live, []).phase === 'Stopped') {
              gone.add(n);
            }
          }
        } catch (e) {
          // Unknown means hands off: the policy must not stop what may be exempt.
          this.deps.logger?.warn(
            `ML idle notebooks: cannot read notebooks on ${cluster}: ${
              (e as Error).message
            }`,
          );
          for (const n of notebooks) n.exempt = true;
        }
      }),
    ]);
    return idle.filter(n => !gone.has(n));
  }

  /**
   * JupyterHub servers: the opt-out is kept with the portal's record (there
   * is no object of the portal's to annotate); stopped or removed servers
   * are not idle; a JupyterHub that does not answer means hands off.
   */
  private async readHub(onHub: IdleCandidate[], gone: Set<IdleCandidate>) {
    if (onHub.length === 0 || !this.deps.jupyterhub) return;
    const { items, unavailable } = await this.deps.jupyterhub.list(
      onHub.map(n => n.record),
    );
    if (unavailable.length > 0) {
      this.deps.logger?.warn(
        `ML idle notebooks: JupyterHub did not say which servers run: ${
          items.find(i => i.phase === 'Unknown')?.message ?? 'no answer'
        }`,
      );
    }
    const phases = new Map(
      items.map(i => [`${i.cluster}/${i.namespace}/${i.name}`, i.phase]),
    );
    for (const n of onHub) {
      const phase = phases.get(`${n.cluster}/${n.namespace}/${n.name}`);
      n.exempt =
        n.record.spec.idlePolicy === 'exempt' ||
        phase === undefined ||
        phase === 'Unknown';
      if (phase === 'Stopped' || phase === 'Failed') gone.add(n);
    }
  }

  /** The policy's warning of each idle one's current idle period, from the audit trail. */
  private async markWarnings(idle: IdleCandidate[], now: number) {
    if (!this.config.action || idle.length === 0) return;
    const oldest = Math.min(...idle.map(n => Date.parse(n.idleSince)));
    const warnings = await this.deps.auditStore.list({
      action: 'ml.notebook.idle-warn',
      outcome: 'succeeded',
      from: new Date(oldest),
      limit: 1000,
    });
    for (const n of idle) {
      const target = notebookTarget(n.cluster, n.namespace, n.name);
      // Newest first: the first match is the latest warning.
      const warning = warnings.find(
        w => w.targetRef === target && w.occurredAt >= n.idleSince,
      );
      if (!warning) continue;
      n.warnedAt = warning.occurredAt;
      if (this.config.action === 'stop' && !n.exempt) {
        n.stopsAt = new Date(
          Math.max(
            Date.parse(warning.occurredAt) + this.config.warningSeconds * 1000,
            now,
          ),
        ).toISOString();
      }
    }
  }
}

/** GPUs held by idle notebooks per namespace, most first. @internal */
export function summarizeIdle(
  idle: IdleNotebook[],
): IdleNotebooksResponse['namespaces'] {
  const rows = new Map<string, IdleNotebooksResponse['namespaces'][number]>();
  for (const n of idle) {
    const key = `${n.cluster}/${n.namespace}`;
    const row = rows.get(key) ?? {
      cluster: n.cluster,
      namespace: n.namespace,
      ...(n.team ? { team: n.team } : {}),
      gpus: 0,
      notebooks: 0,
    };
    row.gpus += n.gpus;
    row.notebooks += 1;
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.gpus - a.gpus);
}
