import {
  BackstageCredentials,
  BackstageUserPrincipal,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_ALERT_SELECTOR,
  ANNOTATION_METRICS_SELECTOR,
  ANNOTATION_SERVING_STABLE_VERSION,
  ANNOTATION_SERVING_VERSION,
  isModelEntity,
  LABEL_SERVING_MODEL,
  mlModelRolloutPermission,
  ModelEntityV1alpha1,
  ModelRolloutRequest,
  ModelRolloutResponse,
  ModelServingResponse,
  parseHealthWindow,
  ServingPlace,
  ServingRevisionHealth,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { entityOwnerRefs } from '../../permissions/rules';
import { actorOf, MlAuditor } from '../audit/MlAuditor';
import { CoalescingCache } from '../coalescingCache';
import { ClusterService, KubeList } from '../kubernetes/ClusterService';
import { KubeApiError } from '../kubernetes/KubeClient';
import { ModelParams, readModel, requireModelVersion } from '../modelEntities';
import { ModelHealthService } from '../monitoring/ModelHealthService';
import { QuotaService } from '../kubernetes/QuotaService';
import { RegistryService } from '../registry/RegistryService';
import { GpuReservationStore } from '../../database/GpuReservationStore';
import { ReservationTimes } from '../kubernetes/GpuReservations';
import { DeploymentService } from './DeploymentService';
import { DeploymentRollout, deploymentPath } from './DeploymentRollout';
import { storageUriFor } from './storageUri';
import {
  canaryPercentOf,
  deploymentPlaces,
  inferenceServicePlace,
  predictorModelKey,
  servesModel,
  ServingObject,
  storageUriOf,
  versionOf,
} from './servingPlaces';

const KSERVE = 'serving.kserve.io/v1beta1';
/** The window of the canary's and the stable revision's health. */
const REVISION_HEALTH_WINDOW = parseHealthWindow('15m');

/** The kinds a Model serves as, and how each is listed. */
const KINDS = [
  {
    kind: 'InferenceService' as const,
    path: `/apis/${KSERVE}/inferenceservices`,
    resource: 'inferenceservices.serving.kserve.io',
    places: (cluster: string, items: ServingObject[]) =>
      items.map(o => inferenceServicePlace(cluster, o)),
    // A cluster without KServe answers 404: nothing serves there, no error.
    optional: true,
  },
  {
    kind: 'Deployment' as const,
    path: '/apis/apps/v1/deployments',
    resource: 'deployments.apps',
    // a canary Deployment is shown with the stable one it splits with
    places: deploymentPlaces,
    optional: false,
  },
];

/** @internal */
export interface ServingServiceOptions {
  clusters: ClusterService;
  catalog: CatalogService;
  registryService: RegistryService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  audit: MlAuditor;
  logger?: LoggerService;
  /** Canary vs stable health during a rollout, when set. */
  health?: ModelHealthService;
  /** How long a cluster's list is fresh; default 10 s, answered stale for a minute more while refreshed. */
  ttlMs?: number;
  /**
   * The quotas a deployment spends, read fresh (the plugin's, so a deploy
   * refreshes the quota page too); a service of its own when absent.
   */
  quotas?: QuotaService;
  /** GPUs promised across a deploy's check and apply (the notebooks' store). */
  reservations: GpuReservationStore;
  /** How long reservations count without the cluster counting them. */
  reservationTimes?: Partial<ReservationTimes>;
}

/**
 * Where Models serve and the governed rollout of a version.
 *
 * Reading: per cluster, one list of InferenceServices and one of
 * Deployments carrying the `mlplatform.io/model` label, shared by every
 * Model and caller through a {@link CoalescingCache}; a Model's places are
 * the objects labelled with its name.
 *
 * Rollout (KServe): a canary of version N sets the predictor's storageUri to
 * N and `canaryTrafficPercent`; promote removes the percent (all traffic to
 * N); roll back sets it to 0 (all traffic back to the rolled-out revision).
 * Where a plain Deployment serves, a second Deployment `<name>-canary` takes
 * the share by its replicas ({@link DeploymentRollout}).
 * The one place that checks `ml.model.rollout` on the Model (the sample
 * policy: members of the owning team) and audits `ml.model.rollout`, for the
 * HTTP API and the MCP action alike. Each change is one merge PATCH with the
 * resourceVersion it was decided on, so a refused or conflicting apply
 * changes nothing (and is audited as failed).
 *
 * @internal
 */
export class ServingService {
  private readonly lists: CoalescingCache<KubeList<ServingObject> | null>;
  /** Deploying a version: the same clusters, and these lists refreshed after. */
  readonly deployments: DeploymentService;
  /** The rollout where a plain Deployment serves (no KServe). */
  private readonly deploymentRollout: DeploymentRollout;
  /** The last answer per Model and the lists it was made from. */
  private readonly answers = new Map<
    string,
    { lists: unknown[]; answer: ModelServingResponse }
  >();

  static create(options: ServingServiceOptions): ServingService {
    return new ServingService(options);
  }

  private constructor(private readonly options: ServingServiceOptions) {
    const ttlMs = options.ttlMs ?? 10_000;
    this.lists = new CoalescingCache({
      ttlMs,
      staleMs: 6 * ttlMs,
      maxEntries: 512,
    });
    this.deployments = DeploymentService.create({
      ...options,
      quotas:
        options.quotas ?? new QuotaService(options.clusters, options.logger),
      onApplied: cluster => {
        for (const k of KINDS) this.lists.delete(`${cluster}|${k.kind}`);
      },
    });
    this.deploymentRollout = new DeploymentRollout({
      clusters: options.clusters,
      deployments: this.deployments,
      registryService: options.registryService,
    });
  }

  /** Every place the Model serves, across the configured clusters. */
  async getServing(
    entity: ModelEntityV1alpha1,
    entityRef: string,
  ): Promise<ModelServingResponse> {
    const { clusters } = this.options;
    const model = {
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    };
    const names = clusters.names();
    const pairs = names.flatMap(cluster => KINDS.map(k => ({ cluster, k })));
    const settled = await Promise.all(
      pairs.map(({ cluster, k }) =>
        this.list(cluster, k).then(
          list => ({ list }),
          (error: Error) => ({ error }),
        ),
      ),
    );
    // The same lists as the last answer for this Model: the same answer,
    // without filtering the lists again (the lists are refreshed every ttl).
    const memo = this.answers.get(entityRef);
    const lists = settled.map(r => ('list' in r ? r.list : undefined));
    const complete = settled.every(r => 'list' in r);
    if (
      complete &&
      memo &&
      memo.lists.length === lists.length &&
      memo.lists.every((l, i) => l === lists[i])
    ) {
      return memo.answer;
    }
    const places: ServingPlace[] = [];
    const errors: ModelServingResponse['errors'] = [];
    settled.forEach((r, i) => {
      const { cluster, k } = pairs[i];
      if ('error' in r) {
        errors.push({ cluster, kind: k.kind, message: r.error.message });
        return;
      }
      const items = (r.list?.items ?? []).filter(o => servesModel(o, model));
      places.push(...k.places(cluster, items));
    });
    await Promise.all(
      places
        .filter(p => p.canary)
        .flatMap(p => p.traffic)
        .map(async t => {
          const health = await this.revisionHealth(entity, t.revision);
          if (health) t.health = health;
        }),
    );
    const order = (p: ServingPlace) =>
      `${names.indexOf(p.cluster)}/${p.kind}/${p.namespace}/${p.name}`;
    places.sort((a, b) => order(a).localeCompare(order(b)));
    errors.sort((a, b) => a.cluster.localeCompare(b.cluster));
    const answer = { entityRef, clusters: names, places, errors };
    if (complete) {
      if (this.answers.size >= 1000 && !this.answers.has(entityRef)) {
        this.answers.delete(this.answers.keys().next().value!);
      }
      this.answers.set(entityRef, { lists, answer });
    }
    return answer;
  }

  /**
   * A revision's health: the Model's health with its metrics selector
   * narrowed to the revision (`revision_name`: the label Knative's
   * queue-proxy puts on its metrics, and a scrape relabelling on the model
   * server's; docs/serving.md), through the health service and its cache.
   * The alert selector is narrowed alike: an alert on the whole Model (drift
   * of its inputs) says nothing about one revision against the other and is
   * on the health card; an alert labelled with the revision counts.
   */
  private async revisionHealth(
    entity: ModelEntityV1alpha1,
    revision: string,
  ): Promise<ServingRevisionHealth | undefined> {
    const { health } = this.options;
    const annotations = entity.metadata.annotations ?? {};
    const selector = annotations[ANNOTATION_METRICS_SELECTOR];
    if (!health || !selector || !/^[a-z0-9-]+$/.test(revision)) {
      return undefined;
    }
    const narrowed = (s: string) => `${s}, revision_name="${revision}"`;
    const alertSelector = annotations[ANNOTATION_ALERT_SELECTOR];
    try {
      const h = await health.getVerdict(
        {
          ...entity,
          metadata: {
            ...entity.metadata,
            annotations: {
              ...annotations,
              [ANNOTATION_METRICS_SELECTOR]: narrowed(selector),
              ...(alertSelector
                ? { [ANNOTATION_ALERT_SELECTOR]: narrowed(alertSelector) }
                : {}),
            },
          },
        },
        REVISION_HEALTH_WINDOW,
      );
      const noSeries =
        h.verdict === 'unknown' &&
        h.prometheus.state === 'ok' &&
        Object.values(h.current).every(v => v === null);
      const reason = noSeries
        ? `Prometheus has no series with revision_name="${revision}" under the Model's selector in the last ${REVISION_HEALTH_WINDOW.text}: the revision has served no requests yet, or its serving metrics are not labelled with revision_name (docs/serving.md)`
        : h.reason;
      return {
        verdict: h.verdict,
        ...(reason ? { reason } : {}),
        p95: h.current.p95,
        errorRate: h.current.errorRate,
        throughput: h.current.throughput,
      };
    } catch (e) {
      return {
        verdict: 'unknown',
        reason: (e as Error).message,
        p95: null,
        errorRate: null,
        throughput: null,
      };
    }
  }

  private list(
    cluster: string,
    k: (typeof KINDS)[number],
  ): Promise<KubeList<ServingObject> | null> {
    return this.lists.get(`${cluster}|${k.kind}`, async () => {
      try {
        return await this.options.clusters.list<ServingObject>(
          cluster,
          `${k.path}?labelSelector=${encodeURIComponent(LABEL_SERVING_MODEL)}`,
          k.resource,
        );
      } catch (e) {
        if (k.optional && e instanceof KubeApiError && e.status === 404) {
          return null;
        }
        throw e;
      }
    });
  }

  /**
   * Starts a canary, promotes it or rolls it back, as the given user.
   *
   * @throws NotFoundError when the caller cannot see the Model or the
   * InferenceService (or Deployment) does not serve it; InputError for a version not in the
   * registry or no canary to promote or roll back; NotAllowedError when the
   * policy refuses (nothing changes).
   */
  async rollout(options: {
    model: ModelParams;
    request: ModelRolloutRequest;
    credentials: BackstageCredentials<BackstageUserPrincipal>;
    httpRequest?: Request;
  }): Promise<ModelRolloutResponse> {
    const { catalog, permissions, audit } = this.options;
    const { credentials, request } = options;
    const { entity, entityRef } = await readModel(
      catalog,
      options.model,
      credentials,
    );
    const actor = credentials.principal.userEntityRef;
    const details: Record<string, unknown> = {
      rollout: request.action,
      cluster: request.cluster,
      namespace: request.namespace,
      name: request.name,
      ...(request.action === 'canary'
        ? { toVersion: request.version, percent: request.percent }
        : {}),
    };
    const audited = await audit.begin({
      eventId: 'ml-model-rollout',
      action: 'ml.model.rollout',
      actor,
      targetRef: entityRef,
      details,
      meta: { entityRef, ...details },
      request: options.httpRequest,
    });

    const [decision] = await permissions.authorize(
      [{ permission: mlModelRolloutPermission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      const error = await this.refusal(entity, entityRef, credentials);
      await audited.refused({ error });
      throw error;
    }

    try {
      const place = await this.apply(
        entity,
        entityRef,
        request,
        details,
        actor,
      );
      await audited.succeeded({
        details: { fromVersion: details.fromVersion ?? null },
        meta: { fromVersion: (details.fromVersion as string) ?? null },
      });
      return { entityRef, action: request.action, place };
    } catch (e) {
      await audited.failed({ error: e as Error });
      throw e;
    }
  }

  /**
   * Rolls back every running canary of a Model (those with traffic), as an
   * alert rule's `rollback` action: the rule in app-config is the
   * authority, the ML backend's own service credentials read the Model, and
   * each rollback is audited as `ml.model.rollout` with the alert named.
   */
  async rollbackCanaries(options: {
    entityRef: string;
    credentials: BackstageCredentials;
    /** Why, e.g. `ModelCanaryErrors <fingerprint>`. */
    trigger: string;
  }): Promise<{ rolledBack: ServingPlace[]; failed: string[] }> {
    const { catalog, audit } = this.options;
    const { credentials, trigger } = options;
    const entity = await catalog.getEntityByRef(options.entityRef, {
      credentials,
    });
    if (!entity || !isModelEntity(entity)) {
      throw new NotFoundError(`No Model ${options.entityRef} in the catalog`);
    }
    const entityRef = stringifyEntityRef(entity);
    // fresh lists: a canary started seconds ago must not be missed
    for (const c of this.options.clusters.names()) {
      for (const k of KINDS) this.lists.delete(`${c}|${k.kind}`);
    }
    const { places } = await this.getServing(entity, entityRef);
    const rolledBack: ServingPlace[] = [];
    const failed: string[] = [];
    for (const p of places) {
      if (!p.canary?.percent) continue;
      const request = {
        action: 'rollback' as const,
        cluster: p.cluster,
        namespace: p.namespace,
        name: p.name,
      };
      const details: Record<string, unknown> = {
        rollout: 'rollback',
        cluster: p.cluster,
        namespace: p.namespace,
        name: p.name,
        trigger,
      };
      const audited = await audit.begin({
        eventId: 'ml-model-rollout',
        action: 'ml.model.rollout',
        actor: actorOf(credentials),
        targetRef: entityRef,
        details,
        meta: { entityRef, ...details },
      });
      try {
        rolledBack.push(
          await this.apply(
            entity,
            entityRef,
            request,
            details,
            actorOf(credentials),
          ),
        );
        await audited.succeeded({
          details: { fromVersion: details.fromVersion ?? null },
        });
      } catch (e) {
        failed.push(
          `${p.cluster}/${p.namespace}/${p.name}: ${(e as Error).message}`,
        );
        await audited.failed({ error: e as Error });
      }
    }
    return { rolledBack, failed };
  }

  /** Checks and applies one rollout action; records what it learns in `details`. */
  private async apply(
    entity: ModelEntityV1alpha1,
    entityRef: string,
    request: ModelRolloutRequest,
    details: Record<string, unknown>,
    actor: string,
  ): Promise<ServingPlace> {
    const { clusters } = this.options;
    const { cluster, namespace, name } = request;
    const objectName = `${namespace}/${name}`;
    const path = `/apis/${KSERVE}/namespaces/${namespace}/inferenceservices/${name}`;
    const intent = {
      resource: 'inferenceservices.serving.kserve.io',
      object: objectName,
    };
    clusters.get(cluster); // unknown cluster: NotFoundError naming the known ones
    const isvc = await clusters.getOptional<ServingObject>(cluster, path, {
      verb: 'get',
      ...intent,
    });
    const model = {
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    };
    const deployment = isvc
      ? undefined
      : await clusters.getOptional<ServingObject>(
          cluster,
          deploymentPath(namespace, name),
          { verb: 'get', resource: 'deployments.apps', object: objectName },
        );
    const served = isvc ?? deployment;
    if (!served || !servesModel(served, model)) {
      throw new NotFoundError(
        served
          ? `${
              isvc ? 'InferenceService' : 'Deployment'
            } ${objectName} on ${cluster} does not serve ${entityRef} (label ${LABEL_SERVING_MODEL}=${
              model.name
            })`
          : `No InferenceService or Deployment ${objectName} on ${cluster}`,
      );
    }
    if (!isvc) {
      try {
        return await this.deploymentRollout.apply({
          entity,
          entityRef,
          request,
          stable: served,
          actor,
          details,
        });
      } finally {
        this.lists.delete(`${cluster}|Deployment`);
      }
    }
    const current = versionOf(isvc);
    const stable =
      isvc.metadata.annotations?.[ANNOTATION_SERVING_STABLE_VERSION];
    const running = canaryPercentOf(isvc) !== undefined && !!stable;
    let patch: any;
    if (request.action === 'canary') {
      const { registryRef } = await requireModelVersion(
        this.options.registryService,
        entity,
        entityRef,
        request.version,
      );
      const stableVersion = running ? stable! : current;
      if (request.version === stableVersion) {
        throw new InputError(
          `Invalid body: version: ${request.version} is already the stable version of ${objectName} on ${cluster}`,
        );
      }
      const key = predictorModelKey(isvc);
      if (!key) {
        throw new InputError(
          `InferenceService ${objectName} on ${cluster} has no predictor storageUri to change`,
        );
      }
      patch = {
        metadata: {
          resourceVersion: isvc.metadata.resourceVersion,
          annotations: {
            [ANNOTATION_SERVING_VERSION]: request.version,
            ...(stableVersion
              ? { [ANNOTATION_SERVING_STABLE_VERSION]: stableVersion }
              : {}),
          },
        },
        spec: {
          predictor: {
            canaryTrafficPercent: request.percent,
            [key]: {
              storageUri: storageUriFor(
                storageUriOf(isvc),
                current,
                registryRef,
                request.version,
              ),
            },
          },
        },
      };
      details.fromVersion = stableVersion ?? null;
    } else {
      if (!running) {
        throw new InputError(
          `No canary runs on InferenceService ${objectName} on ${cluster}: nothing to ${request.action}`,
        );
      }
      details.fromVersion = current ?? null;
      details.stableVersion = stable;
      patch =
        request.action === 'promote'
          ? {
              metadata: {
                resourceVersion: isvc.metadata.resourceVersion,
                annotations: { [ANNOTATION_SERVING_STABLE_VERSION]: null },
              },
              spec: { predictor: { canaryTrafficPercent: null } },
            }
          : {
              // KServe's rollback: the canary keeps its revision, at 0 %
              metadata: { resourceVersion: isvc.metadata.resourceVersion },
              spec: { predictor: { canaryTrafficPercent: 0 } },
            };
    }
    const updated = await clusters.client(cluster).request<ServingObject>(
      'PATCH',
      path,
      { verb: 'patch', ...intent },
      {
        body: patch,
        contentType: 'application/merge-patch+json',
      },
    );
    this.lists.delete(`${cluster}|InferenceService`);
    // KServe writes the new traffic to the status after the change: read
    // it back once for the answer (it may still lag on a real cluster)
    const fresh = await clusters
      .getOptional<ServingObject>(cluster, path, { verb: 'get', ...intent })
      .catch(() => undefined);
    const place = inferenceServicePlace(cluster, fresh ?? updated);
    return place;
  }

  private async refusal(
    entity: ModelEntityV1alpha1,
    entityRef: string,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<NotAllowedError> {
    const actor = credentials.principal.userEntityRef;
    const owners = entityOwnerRefs(entity);
    const { ownershipEntityRefs } = await this.options.userInfo.getUserInfo(
      credentials,
    );
    return new NotAllowedError(
      owners.length && !owners.some(o => ownershipEntityRefs.includes(o))
        ? `${actor} may not roll out ${entityRef}: not a member of ${owners.join(
            ' or ',
          )}, which owns it`
        : `${actor} may not roll out ${entityRef}: permission ${mlModelRolloutPermission.name} denied`,
    );
  }
}

export { storageUriFor } from './storageUri';
