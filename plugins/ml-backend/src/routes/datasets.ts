import { HttpAuthService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  entityPathParamsSchema,
  isDatasetEntity,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { DatasetFactsService } from '../services/datasets/DatasetFactsService';
import { sendCachedJson } from './cachedJson';

/** @internal */
export interface DatasetsRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  datasetFacts: DatasetFactsService;
}

/**
 * `GET /datasets/:namespace/:name/facts`: what the Dataset's location says
 * now and its freshness verdict. The entity is read with the caller's
 * credentials, so the catalog's permissions decide who may see it; storage
 * credentials stay in the backend.
 *
 * @internal
 */
export async function createDatasetsRouter(
  options: DatasetsRouterOptions,
): Promise<express.Router> {
  const { httpAuth, catalog, datasetFacts } = options;
  const router = Router();

  router.get('/datasets/:namespace/:name/facts', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { namespace, name } = parseInput(
      entityPathParamsSchema,
      req.params,
      'dataset',
    );
    const entity = await catalog.getEntityByRef(
      { kind: 'dataset', namespace, name },
      { credentials },
    );
    if (!entity || !isDatasetEntity(entity)) {
      throw new NotFoundError(`No Dataset ${namespace}/${name} in the catalog`);
    }
    sendCachedJson(req, res, await datasetFacts.getFacts(entity));
  });

  return router;
}
