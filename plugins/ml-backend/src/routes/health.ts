import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  modelHealthQuerySchema,
  parseHealthWindow,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import { createHash } from 'node:crypto';
import Router from 'express-promise-router';
import { parseInput } from '../parseInput';
import { readModel } from '../services/modelEntities';
import { ModelHealthService } from '../services/monitoring/ModelHealthService';

/** @internal */
export interface HealthRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  healthService: ModelHealthService;
}

/**
 * `GET /models/:namespace/:name/health?window=1h`: the Model's health
 * verdict vs its SLO, current values, chart series and firing alerts.
 * The entity is read with the caller's credentials, so the catalog's
 * permissions decide who may see it.
 *
 * @internal
 */
export async function createHealthRouter(
  options: HealthRouterOptions,
): Promise<express.Router> {
  const { httpAuth, catalog, healthService } = options;
  const router = Router();
  const serialized = new WeakMap<object, { body: string; etag: string }>();

  router.get('/models/:namespace/:name/health', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    // The window is parsed here, once; the service takes the result.
    const query = parseInput(modelHealthQuerySchema, req.query, 'query');
    const window = parseHealthWindow(query.window);
    // readModel checks the path's namespace and name.
    const { entity } = await readModel(catalog, req.params, credentials);
    const health = await healthService.getHealth(entity, window);
    // Cached answers are the same object for every caller: serialise and
    // hash each once, not once per request (a 1h answer is ~30 kB of chart
    // points, and express would otherwise hash it for its ETag every time).
    let cached = serialized.get(health);
    if (cached === undefined) {
      const body = JSON.stringify(health);
      const hash = createHash('sha1').update(body).digest('base64url');
      cached = { body, etag: `W/"${body.length.toString(16)}-${hash}"` };
      serialized.set(health, cached);
    }
    res.set('ETag', cached.etag).type('application/json').send(cached.body);
  });

  return router;
}
