/*
 * The Deployment and ReplicaSet controllers, as kube-controller-manager runs
 * them (pkg/controller/deployment, pkg/controller/replicaset):
 *
 * - a Deployment owns one ReplicaSet per pod template, named
 *   `<deployment>-<pod-template-hash>`, the hash label on its selector,
 *   template and pods, and the `deployment.kubernetes.io/revision`
 *   annotation (also on the Deployment);
 * - RollingUpdate scales the new ReplicaSet up within `maxSurge` (rounded
 *   up) and the old ones down keeping `replicas - maxUnavailable` (rounded
 *   down) available; Recreate scales the old ones to zero first; `paused`
 *   stops both; old ReplicaSets at zero beyond `revisionHistoryLimit` go;
 * - a ReplicaSet creates pods `<replicaset>-<5 chars>` through admission
 *   (quota), records SuccessfulCreate / FailedCreate events and the
 *   ReplicaFailure condition, and deletes surplus pods, not-ready first;
 * - status: replicas, updated/ready/available/unavailable counts and the
 *   Available, Progressing and ReplicaFailure conditions with the upstream
 *   reasons and messages, so `kubectl rollout status` reads it.
 *
 * Simplified: minReadySeconds is 0 (ready counts as available) and the
 * progress deadline never passes.
 */
import { createHash } from 'node:crypto';
import { clone } from '../json';
import { StatusError } from '../status';
import { ControllerContext, isReady, now, ownedBy, ownerRef } from './common';

/** The label a Deployment puts on its ReplicaSets and their pods. */
const POD_TEMPLATE_HASH = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';

/** The characters of `rand.SafeEncodeString` (no vowels, no look-alikes). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * A template as the controller compares it: keys sorted, nulls and the
 * pod-template-hash label dropped (kubectl's rollout undo sends a
 * ReplicaSet's template back with `creationTimestamp: null`).
 */
function canonical(template: unknown): string {
  const norm = (v: any): any => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        if (v[k] !== null && v[k] !== undefined) out[k] = norm(v[k]);
      }
      return out;
    }
    return v;
  };
  const t = norm(template ?? {});
  if (t.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH];
    if (!Object.keys(t.metadata.labels).length) delete t.metadata.labels;
  }
  if (t.metadata && !Object.keys(t.metadata).length) delete t.metadata;
  return JSON.stringify(t);
}

/** The pod-template-hash of a canonical template: stable, 10 safe characters. */
function podTemplateHash(canonicalTemplate: string): string {
  const digest = createHash('sha256').update(canonicalTemplate).digest();
  return Array.from(digest.subarray(0, 10), b => SAFE[b % SAFE.length]).join(
    '',
  );
}

/** An int-or-percent of `total`, rounded up or down as the controller does. */
function scaled(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v ?? '0'));
  if (!m) return Number(v) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable of a RollingUpdate; never both zero. */
function rollingBounds(d: any): { surge: number; unavailable: number } {
  const replicas: number = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const surge = scaled(ru.maxSurge ?? '25%', replicas, true);
  let unavailable = scaled(ru.maxUnavailable ?? '25%', replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

const condition = (
  type: string,
  status: boolean,
  reason: string,
  message: string,
  before?: any,
) => {
  const s = status ? 'True' : 'False';
  const ts = now();
  return {
    type,
    status: s,
    lastUpdateTime:
      before?.reason === reason && before?.status === s
        ? before.lastUpdateTime
        : ts,
    lastTransitionTime:
      before?.status === s ? before.lastTransitionTime ?? ts : ts,
    reason,
    message,
  };
};

/** Brings a ReplicaSet's pods to its replicas and writes its status. */
export function replicaSetController({
  cluster,
  kinds,
  record,
}: ControllerContext): (rs: any) => void {
  const { pod: podT, replicaSet: rsT } = kinds;
  return rs => {
    const ns = rs.metadata.namespace;
    const name = rs.metadata.name;
    const replicas: number = rs.spec?.replicas ?? 1;
    const live = () =>
      cluster.store
        .list(podT, ns)
        .filter(p => ownedBy(p, rs) && !p.metadata.deletionTimestamp);
    let failure: string | undefined;
    const pods = live();
    if (pods.length > replicas) {
      // not-ready pods go first, then the newest
      const order = [...pods].sort(
        (a, b) =>
          Number(isReady(a)) - Number(isReady(b)) ||
          String(b.metadata.creationTimestamp).localeCompare(
            String(a.metadata.creationTimestamp),
          ),
      );
      for (const p of order.slice(0, pods.length - replicas)) {
        cluster.delete(podT, ns, p.metadata.name);
        record(
          rs,
          rsT,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${p.metadata.name}`,
          'replicaset-controller',
        );
      }
    }
    for (let i = pods.length; i < replicas; i++) {
      const tpl = clone(rs.spec?.template ?? {});
      try {
        const created = cluster.create(podT, 'v1', ns, {
          metadata: {
            ...tpl.metadata,
            generateName: `${name}-`,
            namespace: ns,
            ownerReferences: [ownerRef(rsT, rs)],
          },
          spec: tpl.spec,
        });
        record(
          rs,
          rsT,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.object.metadata.name}`,
          'replicaset-controller',
        );
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        failure = e.message;
        record(
          rs,
          rsT,
          'Warning',
          'FailedCreate',
          `Error creating: ${e.message}`,
          'replicaset-controller',
        );
        break;
      }
    }
    const current = cluster.store.get(rsT, ns, name);
    if (!current) return;
    const owned = live();
    const ready = owned.filter(isReady).length;
    const labels = current.spec?.selector?.matchLabels ?? {};
    const before = (current.status?.conditions ?? []).find(
      (c: any) => c.type === 'ReplicaFailure',
    );
    const stillShort = owned.length < replicas;
    const status: any = {
      replicas: owned.length,
      fullyLabeledReplicas: owned.filter(p =>
        Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v),
      ).length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: current.metadata.generation,
    };
    if (failure || (before && stillShort)) {
      status.conditions = [
        {
          type: 'ReplicaFailure',
          status: 'True',
          lastTransitionTime: before?.lastTransitionTime ?? now(),
          reason: 'FailedCreate',
          // the first refusal's message while it lasts (each retry names a
          // new pod): a status that changes on every retry would retry forever
          message: before?.message ?? failure,
        },
      ];
    }
    // zero counts are omitted, as the API server's JSON of the Go struct does
    for (const k of [
      'fullyLabeledReplicas',
      'readyReplicas',
      'availableReplicas',
    ])
      if (!status[k]) delete status[k];
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        rsT,
        'v1',
        ns,
        name,
        { ...current, status },
        { status: true },
      );
    }
  };
}

/** Rolls a Deployment's ReplicaSets toward its template and writes its status. */
export function deploymentController({
  cluster,
  kinds,
  record,
}: ControllerContext): (d: any) => void {
  const { replicaSet: rsT, deployment: deployT } = kinds;

  const scale = (d: any, rs: any, to: number) => {
    const from: number = rs.spec?.replicas ?? 0;
    if (from === to) return rs;
    const next = clone(rs);
    next.spec.replicas = to;
    next.metadata.annotations = {
      ...next.metadata.annotations,
      [DESIRED]: String(d.spec?.replicas ?? 1),
      [MAX]: String((d.spec?.replicas ?? 1) + rollingBounds(d).surge),
    };
    const updated = cluster.update(
      rsT,
      'v1',
      rs.metadata.namespace,
      rs.metadata.name,
      next,
    ).object;
    record(
      d,
      deployT,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} replica set ${
        rs.metadata.name
      } from ${from} to ${to}`,
      'deployment-controller',
    );
    return updated;
  };

  return d => {
    const ns = d.metadata.namespace;
    const replicas: number = d.spec?.replicas ?? 1;
    const sets = () =>
      cluster.store
        .list(rsT, ns)
        .filter(rs => ownedBy(rs, d))
        .sort((a, b) => revisionOf(a) - revisionOf(b));
    let all = sets();
    // the new ReplicaSet: the one whose template is the Deployment's (a
    // rollback finds an old one and makes it the latest revision again)
    const template = canonical(d.spec?.template);
    const hash = podTemplateHash(template);
    const isNew = (rs: any) => canonical(rs.spec?.template) === template;
    let fresh = all.find(isNew);
    const latest = Math.max(0, ...all.map(revisionOf));
    if (fresh && revisionOf(fresh) < latest && !d.spec?.paused) {
      fresh = cluster.update(rsT, 'v1', ns, fresh.metadata.name, {
        ...fresh,
        metadata: {
          ...fresh.metadata,
          annotations: {
            ...fresh.metadata.annotations,
            [REVISION]: String(latest + 1),
          },
        },
      }).object;
      all = sets();
    }
    const paused = !!d.spec?.paused;
    let created = false;
    if (!fresh && !paused) {
      const revision = latest + 1;
      const tpl = clone(d.spec?.template ?? {});
      tpl.metadata = {
        ...tpl.metadata,
        labels: { ...tpl.metadata?.labels, [POD_TEMPLATE_HASH]: hash },
      };
      const recreate = d.spec?.strategy?.type === 'Recreate';
      const oldTotal = all.reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
      const start = recreate
        ? 0
        : Math.max(
            0,
            Math.min(replicas, replicas + rollingBounds(d).surge - oldTotal),
          );
      fresh = cluster.create(rsT, 'v1', ns, {
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: ns,
          labels: tpl.metadata.labels,
          annotations: {
            [DESIRED]: String(replicas),
            [MAX]: String(replicas + rollingBounds(d).surge),
            [REVISION]: String(revision),
          },
          ownerReferences: [ownerRef(deployT, d)],
        },
        spec: {
          replicas: 0,
          selector: {
            ...d.spec?.selector,
            matchLabels: {
              ...d.spec?.selector?.matchLabels,
              [POD_TEMPLATE_HASH]: hash,
            },
          },
          template: tpl,
        },
      }).object;
      created = true;
      if (start) fresh = scale(d, fresh, start);
      all = sets();
    }
    const old = all.filter(
      rs => rs !== fresh && rs.metadata.uid !== fresh?.metadata.uid,
    );
    if (fresh && !paused) {
      if (d.spec?.strategy?.type === 'Recreate') {
        for (const rs of old) scale(d, rs, 0);
        const oldPods = old.reduce(
          (n, rs) => n + (rs.status?.replicas ?? 0),
          0,
        );
        if (!oldPods) fresh = scale(d, fresh, replicas);
      } else {
        const { surge, unavailable } = rollingBounds(d);
        const total = () =>
          [fresh, ...old].reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0);
        const want = fresh.spec?.replicas ?? 0;
        if (want > replicas) fresh = scale(d, fresh, replicas);
        else if (want < replicas) {
          const room = Math.min(replicas + surge - total(), replicas - want);
          if (room > 0) fresh = scale(d, fresh, want + room);
        }
        // old ReplicaSets shrink as far as availability allows
        const newUnavailable =
          (fresh.spec?.replicas ?? 0) - (fresh.status?.availableReplicas ?? 0);
        let budget = total() - (replicas - unavailable) - newUnavailable;
        for (let i = 0; i < old.length && budget > 0; i++) {
          const have = old[i].spec?.replicas ?? 0;
          const cut = Math.min(have, budget);
          if (cut > 0) {
            old[i] = scale(d, old[i], have - cut);
            budget -= cut;
          }
        }
      }
      // history: old ReplicaSets at zero beyond revisionHistoryLimit go
      const limit: number = d.spec?.revisionHistoryLimit ?? 10;
      const idle = old.filter(
        rs => !(rs.spec?.replicas ?? 0) && !(rs.status?.replicas ?? 0),
      );
      for (const rs of idle.slice(0, Math.max(0, idle.length - limit)))
        cluster.delete(rsT, ns, rs.metadata.name);
    }

    const current = cluster.store.get(deployT, ns, d.metadata.name);
    if (!current) return;
    all = sets();
    fresh = all.find(isNew);
    const count = (k: string, of = all) =>
      of.reduce((n, rs) => n + (rs.status?.[k] ?? 0), 0);
    const available = count('availableReplicas');
    const updated = fresh ? fresh.status?.replicas ?? 0 : 0;
    const total = count('replicas');
    const conditions = new Map<string, any>(
      (current.status?.conditions ?? []).map((c: any) => [c.type, c]),
    );
    const minAvailable = replicas - rollingBounds(d).unavailable;
    const availableCondition =
      available >= minAvailable
        ? condition(
            'Available',
            true,
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
            conditions.get('Available'),
          )
        : condition(
            'Available',
            false,
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            conditions.get('Available'),
          );
    const done =
      fresh &&
      updated === replicas &&
      total === replicas &&
      (fresh.status?.availableReplicas ?? 0) === replicas;
    let progressing: any;
    if (paused) {
      progressing = {
        ...condition(
          'Progressing',
          false,
          'DeploymentPaused',
          'Deployment is paused',
          conditions.get('Progressing'),
        ),
        status: 'Unknown',
      };
    } else if (fresh) {
      const rsName = fresh.metadata.name;
      let reason = 'ReplicaSetUpdated';
      let message = `ReplicaSet "${rsName}" is progressing.`;
      if (done) {
        reason = 'NewReplicaSetAvailable';
        message = `ReplicaSet "${rsName}" has successfully progressed.`;
      } else if (created) {
        reason = 'NewReplicaSetCreated';
        message = `Created new replica set "${rsName}"`;
      }
      progressing = condition(
        'Progressing',
        true,
        reason,
        message,
        conditions.get('Progressing'),
      );
    }
    const failing = all
      .map(rs =>
        (rs.status?.conditions ?? []).find(
          (c: any) => c.type === 'ReplicaFailure' && c.status === 'True',
        ),
      )
      .find(Boolean);
    const status: any = {
      observedGeneration: current.metadata.generation,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: count('readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
      conditions: [
        availableCondition,
        ...(progressing ? [progressing] : []),
        ...(failing
          ? [
              condition(
                'ReplicaFailure',
                true,
                'FailedCreate',
                failing.message,
                conditions.get('ReplicaFailure'),
              ),
            ]
          : []),
      ],
    };
    for (const k of [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ])
      if (!status[k]) delete status[k];
    const revision = fresh?.metadata.annotations?.[REVISION];
    const annotations = revision
      ? { ...current.metadata.annotations, [REVISION]: revision }
      : current.metadata.annotations;
    let base = current;
    if (revision && current.metadata.annotations?.[REVISION] !== revision) {
      base = cluster.update(deployT, 'v1', ns, d.metadata.name, {
        ...current,
        metadata: { ...current.metadata, annotations },
      }).object;
    }
    if (!sameStatus(status, base.status)) {
      cluster.update(
        deployT,
        'v1',
        ns,
        d.metadata.name,
        { ...base, status },
        { status: true },
      );
    }
  };
}

function revisionOf(rs: any): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0);
}

/** Equal but for the condition timestamps (no write, no event, no loop). */
function sameStatus(a: any, b: any): boolean {
  const strip = (s: any) =>
    JSON.stringify({
      ...s,
      conditions: (s?.conditions ?? []).map(
        ({ lastUpdateTime, lastTransitionTime, ...c }: any) => c,
      ),
    });
  return strip(a) === strip(b ?? {});
}
