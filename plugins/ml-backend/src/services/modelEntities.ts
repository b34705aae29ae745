import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_REGISTRY_REF,
  EntityPathParams,
  entityPathParamsSchema,
  isModelEntity,
  ModelEntityV1alpha1,
  ModelVersion,
  ModelVersionsResponse,
} from '@mlplatform/plugin-ml-common';
import { parseInput } from '../parseInput';
import { RegistryService } from './registry/RegistryService';

/** Namespace and name of a Model entity, as the API and the actions take them. @internal */
export type ModelParams = EntityPathParams;

/**
 * Reads a Model from the catalog with the caller's credentials, so the
 * catalog's permissions decide who may see it. Shared by the HTTP routes and
 * the actions.
 *
 * @throws InputError for a namespace or name that ml-common's
 * `entityPathParamsSchema` refuses (the message of every `/api/ml` entity
 * path), NotFoundError when the caller cannot see such a Model.
 * @internal
 */
export async function readModel(
  catalog: CatalogService,
  params: ModelParams,
  credentials: BackstageCredentials,
): Promise<{ entity: ModelEntityV1alpha1; entityRef: string }> {
  // Every caller (routes, actions, PromotionService) comes through here, so
  // the path rule is checked once for all of them, before the catalog.
  const { namespace, name } = parseInput(
    entityPathParamsSchema,
    params,
    'model',
  );
  const entity = await catalog.getEntityByRef(
    { kind: 'model', namespace, name },
    { credentials },
  );
  if (!entity || !isModelEntity(entity)) {
    throw new NotFoundError(`No Model ${namespace}/${name} in the catalog`);
  }
  return { entity, entityRef: stringifyEntityRef(entity) };
}

/**
 * The registry ref of a Model: the annotation, else `spec.registry`.
 *
 * @throws NotFoundError when it has neither.
 * @internal
 */
export function registryRefOf(entity: Entity, entityRef: string): string {
  const ref =
    entity.metadata.annotations?.[ANNOTATION_REGISTRY_REF] ??
    (entity.spec?.registry as string | undefined);
  if (!ref) {
    throw new NotFoundError(
      `${entityRef} has no registry: set spec.registry or the ${ANNOTATION_REGISTRY_REF} annotation`,
    );
  }
  return ref;
}

/**
 * A Model's versions from its registry, newest first: the answer of
 * `GET /models/:namespace/:name/versions` and of `list-model-versions`.
 *
 * @internal
 */
export async function listModelVersions(
  deps: { catalog: CatalogService; registryService: RegistryService },
  params: ModelParams,
  credentials: BackstageCredentials,
): Promise<ModelVersionsResponse> {
  const { entity, entityRef } = await readModel(
    deps.catalog,
    params,
    credentials,
  );
  const registryRef = registryRefOf(entity, entityRef);
  const versions = await deps.registryService.listVersions(registryRef);
  return {
    entityRef,
    registryRef,
    registry: deps.registryService.registryName(registryRef),
    // Raw annotations stay server side: they may hold anything a pipeline wrote.
    versions: versions.map(
      ({ annotations: _annotations, ...v }): ModelVersion => v,
    ),
  };
}

/**
 * One registry version of a Model, for a request that names it (a deploy, a
 * canary).
 *
 * @throws InputError naming the known versions when it is not there.
 * @internal
 */
export async function requireModelVersion(
  registryService: Pick<RegistryService, 'listVersions'>,
  entity: Entity,
  entityRef: string,
  version: string,
) {
  const registryRef = registryRefOf(entity, entityRef);
  const versions = await registryService.listVersions(registryRef);
  const found = versions.find(v => v.version === version);
  if (!found) {
    throw new InputError(
      `Invalid body: version: ${version} is not a version of ${entityRef} in ${registryRef}; known: ${
        versions
          .slice(0, 10)
          .map(v => v.version)
          .join(', ') || 'none'
      }`,
    );
  }
  return { registryRef, version: found };
}
