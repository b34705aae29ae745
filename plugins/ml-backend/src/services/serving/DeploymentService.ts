import {
  BackstageCredentials,
  BackstageUserPrincipal,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  fitGpus,
  mlModelDeployPermission,
  ModelDeploymentResponse,
  ModelEntityV1alpha1,
  NamespaceGpuQuota,
  ParsedModelDeploymentRequest,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { GpuReservationStore } from '../../database/GpuReservationStore';
import { MlAuditor } from '../audit/MlAuditor';
import { ClusterService } from '../kubernetes/ClusterService';
import {
  GpuHold,
  GpuReservations,
  ReservationTimes,
  whileHeld,
} from '../kubernetes/GpuReservations';
import { BuiltManifest } from '../kubernetes/manifests';
import { notebookRefusal } from '../kubernetes/notebookAccess';
import {
  NotebookObjects,
  toBackstageError,
} from '../kubernetes/NotebookObjects';
import { NotebookPlacement } from '../kubernetes/NotebookPlacement';
import { QuotaService } from '../kubernetes/QuotaService';
import { ModelParams, readModel, requireModelVersion } from '../modelEntities';
import { RegistryService } from '../registry/RegistryService';
import {
  buildDeploymentObjects,
  buildInferenceService,
  withoutResource,
} from './deploymentManifests';
import { storageUriFor } from './storageUri';
import {
  deploymentPlace,
  inferenceServicePlace,
  ServingObject,
} from './servingPlaces';

const KSERVE = 'serving.kserve.io/v1beta1';

/** GPUs a workload asks for in a namespace. */
interface GpuAsk {
  cluster: string;
  namespace: string;
  perReplica: number;
  replicas: number;
  gpuResource: string;
  flavor?: string;
}

/**
 * Whether the GPUs fit the namespace's quotas ({@link fitGpus}, the
 * notebooks' rule); the flavour they fit on.
 */
function gpuFit(ask: GpuAsk) {
  return (quotas: NamespaceGpuQuota[]): { flavor?: string } => {
    const fit = fitGpus(quotas, {
      cluster: ask.cluster,
      namespace: ask.namespace,
      gpus: ask.perReplica * ask.replicas,
      gpuResource: ask.gpuResource,
      flavor: ask.flavor,
    });
    if (!fit.fits) {
      throw fit.availability
        ? new ConflictError(
            `${ask.perReplica} GPUs per replica × ${ask.replicas} replicas: ${fit.shortfall}`,
          )
        : new InputError(fit.shortfall);
    }
    const flavor = ask.flavor ?? fit.availability?.flavor;
    return flavor ? { flavor } : {};
  };
}

/** @internal */
export interface DeploymentServiceOptions {
  clusters: ClusterService;
  /** The namespace's owning team and GPU quotas, read fresh before spending. */
  quotas: QuotaService;
  /**
   * The GPUs promised across the check and the apply, shared with the
   * notebooks and every replica (the plugin's store).
   */
  reservations: GpuReservationStore;
  /** How long reservations count without the cluster counting them. */
  reservationTimes?: Partial<ReservationTimes>;
  catalog: CatalogService;
  registryService: RegistryService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  audit: MlAuditor;
  logger?: LoggerService;
  /** Told after objects were created on a cluster, so cached lists refresh. */
  onApplied?: (cluster: string) => void;
}

/**
 * Puts a registry version of a Model into service, as the given user: a
 * KServe InferenceService where the cluster serves the KServe CRD
 * (discovery), else a Deployment + Service (+ HorizontalPodAutoscaler), all
 * labelled `mlplatform.io/model` so the Serving card finds them.
 *
 * The checks, in order, each refusing with nothing applied: the Model is
 * visible to the caller; the namespace exists and a team owns it (read
 * fresh from the cluster); `ml.model.deploy` on `<cluster>/<namespace>` (the
 * sample policy: members of that team; 403 naming it); the version is in the
 * Model's registry; `gpus` × `maxReplicas` fits the free + borrowable GPUs
 * ({@link fitGpus}, the notebooks' rule; 409 with the numbers) less what is
 * promised to notebooks and deployments the cluster does not count yet, and
 * is promised in turn until the deployment's pods are counted
 * ({@link GpuReservations}, the notebooks' reservations: one check under
 * the cluster's lock, on every replica). The objects are then created
 * all-or-nothing (a failed second object deletes the first, and the GPUs
 * are released). Every outcome is audited as `ml.model.deploy`.
 *
 * @internal
 */
export class DeploymentService {
  private readonly placement: NotebookPlacement;
  private readonly objects: NotebookObjects;
  private readonly reservations: GpuReservations;

  static create(options: DeploymentServiceOptions): DeploymentService {
    return new DeploymentService(options);
  }

  private constructor(private readonly options: DeploymentServiceOptions) {
    this.placement = new NotebookPlacement({
      clusters: options.clusters,
      quotas: options.quotas,
    });
    this.objects = new NotebookObjects({
      clusters: options.clusters,
      logger: options.logger,
    });
    this.reservations = new GpuReservations({
      clusters: options.clusters,
      quotas: options.quotas,
      reservations: options.reservations,
      times: options.reservationTimes,
    });
  }

  /**
   * Deploys (or, with `dryRun`, checks and builds) a version of a Model.
   *
   * @throws NotFoundError for a Model the caller cannot see, an unknown
   * cluster or namespace; InputError for a version not in the registry;
   * NotAllowedError when the policy refuses; ConflictError when the GPUs do
   * not fit or an object of that name exists.
   */
  async deploy(options: {
    model: ModelParams;
    request: ParsedModelDeploymentRequest;
    credentials: BackstageCredentials<BackstageUserPrincipal>;
    httpRequest?: Request;
  }): Promise<ModelDeploymentResponse> {
    const { catalog, permissions, audit, userInfo } = this.options;
    const { credentials, request } = options;
    const { cluster, namespace, name } = request;
    const { entity, entityRef } = await readModel(
      catalog,
      options.model,
      credentials,
    );
    const userRef = credentials.principal.userEntityRef;
    const totalGpus = request.gpus * request.maxReplicas;
    const details = {
      cluster,
      namespace,
      name,
      version: request.version,
      runtime: request.runtime,
      gpus: request.gpus,
      gpuResource: request.gpuResource,
      minReplicas: request.minReplicas,
      maxReplicas: request.maxReplicas,
      dryRun: request.dryRun,
    };
    const audited = await audit.begin({
      eventId: 'ml-model-deploy',
      action: mlModelDeployPermission.name,
      actor: userRef,
      targetRef: entityRef,
      details,
      meta: { entityRef, ...details },
      request: options.httpRequest,
    });
    const refuse = async (error: Error): Promise<never> => {
      await audited.refused({ error });
      throw error;
    };

    let owned;
    try {
      this.options.clusters.get(cluster);
      owned = await this.placement.ownedNamespace(
        { cluster, namespace },
        `cannot deploy ${name}`,
      );
    } catch (e) {
      return refuse(e as Error);
    }
    const { ownershipEntityRefs } = await userInfo.getUserInfo(credentials);
    const denied = await notebookRefusal(
      permissions,
      mlModelDeployPermission,
      { userRef, ownership: ownershipEntityRefs, credentials },
      { cluster, namespace, team: owned.team },
      `may not deploy models in namespace ${namespace} on ${cluster}`,
    );
    if (denied) return refuse(denied);

    let built: {
      kind: 'InferenceService' | 'Deployment';
      storageUri: string;
      objects: BuiltManifest[];
    };
    const gpus = {
      cluster,
      namespace,
      perReplica: request.gpus,
      replicas: request.maxReplicas,
      gpuResource: request.gpuResource,
      flavor: request.flavor,
    };
    let hold: GpuHold | undefined;
    try {
      built = await this.build(entity, entityRef, request, userRef);
      if (request.dryRun || totalGpus === 0) {
        gpuFit(gpus)(owned.quotas);
      } else {
        hold = await this.holdGpus({ ...gpus, holder: name });
      }
    } catch (e) {
      return refuse(toBackstageError(e));
    }

    const answer: ModelDeploymentResponse = {
      entityRef,
      dryRun: request.dryRun,
      cluster,
      namespace,
      name,
      kind: built.kind,
      version: request.version,
      storageUri: built.storageUri,
      gpus: {
        perReplica: request.gpus,
        total: totalGpus,
        resource: request.gpuResource,
      },
      manifests: built.objects.map(withoutResource),
    };
    if (request.dryRun) {
      await audited.succeeded();
      return answer;
    }
    await whileHeld(hold, async () => {
      const failure = await this.objects.apply(cluster, built.objects);
      if (failure) {
        await audited.finish(
          failure.error instanceof ConflictError ? 'refused' : 'failed',
          {
            error: failure.error,
            details: { rolledBack: failure.rolledBack },
          },
        );
        const error = failure.error;
        error.message = failure.message;
        throw error;
      }
    });
    this.options.quotas.invalidate(cluster);
    this.options.onApplied?.(cluster);
    await audited.succeeded();
    const [workload] = built.objects;
    return { ...answer, place: await this.placeOf(cluster, workload) };
  }

  /**
   * Runs `step`, which creates a workload of `replicas` × `perReplica` GPUs,
   * with those GPUs checked and held exactly as a deploy's (one check under
   * the cluster's lock, less what is promised to others; released when the
   * step throws, counted until the cluster counts the pods otherwise): the
   * canary of a rollout spends GPUs like a deploy.
   *
   * @throws ConflictError when they do not fit, as a deploy's refusal.
   */
  async withGpusHeld<T>(
    gpus: GpuAsk & { holder: string },
    step: () => Promise<T>,
  ): Promise<T> {
    const hold =
      gpus.perReplica * gpus.replicas > 0
        ? await this.holdGpus(gpus).catch(e => {
            throw toBackstageError(e);
          })
        : undefined;
    const result = await whileHeld(hold, step);
    if (hold) this.options.quotas.invalidate(gpus.cluster);
    return result;
  }

  /** Holds the GPUs of `holder` (a deployment's name) until its pods count. */
  private async holdGpus(gpus: GpuAsk & { holder: string }): Promise<GpuHold> {
    const { cluster, namespace, holder } = gpus;
    const { hold } = await this.reservations.hold(
      { cluster, namespace },
      {
        holder: { kind: 'deployment', name: holder },
        gpus: gpus.perReplica * gpus.replicas,
        gpuResource: gpus.gpuResource,
      },
      gpuFit(gpus),
      error => `cannot deploy ${holder}: ${error}`,
    );
    return hold;
  }

  /** The objects for the cluster: KServe's where it serves the CRD. */
  private async build(
    entity: ModelEntityV1alpha1,
    entityRef: string,
    request: ParsedModelDeploymentRequest,
    deployedBy: string,
  ) {
    const { registryRef, version } = await requireModelVersion(
      this.options.registryService,
      entity,
      entityRef,
      request.version,
    );
    const modelFormat =
      version.framework ??
      entity.spec.framework ??
      (registryRef.startsWith('mlflow://') ? 'mlflow' : undefined);
    if (!modelFormat && request.runtime === 'kserve-v2') {
      throw new InputError(
        `${entityRef} version ${request.version} names no framework (the KServe model format): set spec.framework of the Model`,
      );
    }
    const input = {
      request,
      model: {
        namespace: entity.metadata.namespace ?? 'default',
        name: entity.metadata.name,
      },
      storageUri: storageUriFor(
        undefined,
        undefined,
        registryRef,
        request.version,
      ),
      modelFormat: (modelFormat ?? 'huggingface').toLowerCase(),
      deployedBy,
    };
    const kserve = await this.servesKServe(request.cluster);
    return kserve
      ? {
          kind: 'InferenceService' as const,
          storageUri: input.storageUri,
          objects: [buildInferenceService(input)],
        }
      : {
          kind: 'Deployment' as const,
          storageUri: input.storageUri,
          objects: buildDeploymentObjects(input),
        };
  }

  /** Whether the cluster serves KServe InferenceServices (discovery). */
  private async servesKServe(cluster: string): Promise<boolean> {
    const group = await this.options.clusters.getOptional<{
      resources?: Array<{ name: string }>;
    }>(cluster, `/apis/${KSERVE}`, { verb: 'discover', resource: KSERVE });
    return !!group?.resources?.some(r => r.name === 'inferenceservices');
  }

  /** The workload as the cluster answers, as the Serving card shows it. */
  private async placeOf(cluster: string, workload: BuiltManifest) {
    const { namespace, name } = workload.metadata;
    const path = `/apis/${workload.apiVersion}/namespaces/${namespace}/${workload.resource}/${name}`;
    const fresh = await this.options.clusters
      .getOptional<ServingObject>(cluster, path, {
        verb: 'get',
        resource: workload.resource,
        object: `${namespace}/${name}`,
      })
      .catch(() => undefined);
    const object = fresh ?? (workload as unknown as ServingObject);
    return workload.kind === 'InferenceService'
      ? inferenceServicePlace(cluster, object)
      : deploymentPlace(cluster, object);
  }
}
