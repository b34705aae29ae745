import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ModelDeploymentResponse,
  modelDeploymentRequestSchema,
  ModelRolloutResponse,
  ModelServingResponse,
  modelRolloutRequestSchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { createHash } from 'node:crypto';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { readModel } from '../services/modelEntities';
import type { DeploymentService } from '../services/serving/DeploymentService';
import { ServingService } from '../services/serving/ServingService';

/** @internal */
export interface ServingRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  serving: ServingService;
}

/**
 * `GET /models/:namespace/:name/serving`: every place the Model serves
 * (InferenceServices and Deployments labelled `mlplatform.io/model`) across
 * the clusters; `POST /models/:namespace/:name/rollout`: canary, promote or
 * roll back (see {@link ServingService}); `POST
 * /models/:namespace/:name/deployments`: serve a registry version (see
 * {@link DeploymentService}). The entity is read with the
 * caller's credentials, so the catalog's permissions decide who may see it.
 *
 * @internal
 */
export async function createServingRouter(
  options: ServingRouterOptions,
): Promise<express.Router> {
  const { httpAuth, catalog, serving } = options;
  const router = Router();
  router.use(express.json());
  const serialized = new WeakMap<object, { body: string; etag: string }>();

  router.get('/models/:namespace/:name/serving', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const { entity, entityRef } = await readModel(
      catalog,
      req.params,
      credentials,
    );
    const answer: ModelServingResponse = await serving.getServing(
      entity,
      entityRef,
    );
    // The service answers with the same object while the clusters' lists
    // are unchanged: serialise and hash each once, as the health route does.
    let cached = serialized.get(answer);
    if (cached === undefined) {
      const body = JSON.stringify(answer);
      const hash = createHash('sha1').update(body).digest('base64url');
      cached = { body, etag: `W/"${body.length.toString(16)}-${hash}"` };
      serialized.set(answer, cached);
    }
    res.set('ETag', cached.etag).type('application/json').send(cached.body);
  });

  router.post('/models/:namespace/:name/rollout', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body: ModelRolloutResponse = await serving.rollout({
      model: req.params,
      request: parseInput(modelRolloutRequestSchema, req.body, 'body'),
      credentials,
      httpRequest: req,
    });
    res.json(body);
  });

  router.post('/models/:namespace/:name/deployments', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body: ModelDeploymentResponse = await serving.deployments.deploy({
      model: req.params,
      request: parseInput(modelDeploymentRequestSchema, req.body, 'body'),
      credentials,
      httpRequest: req,
    });
    res.status(body.dryRun ? 200 : 201).json(body);
  });

  router.use(databaseUnavailableErrors);
  return router;
}
