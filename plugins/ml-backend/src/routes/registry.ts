import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ModelVersionsResponse,
  PromoteModelResponse,
  promoteModelRequestSchema,
} from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { AuditStore } from '../database/AuditStore';
import { databaseUnavailableErrors } from '../database/unavailable';
import { parseInput } from '../parseInput';
import { MlAuditor } from '../services/audit/MlAuditor';
import { listModelVersions } from '../services/modelEntities';
import { PromotionService } from '../services/registry/PromotionService';
import { RegistryService } from '../services/registry/RegistryService';

/** @internal */
export interface RegistryRouterOptions {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  registryService: RegistryService;
  auditStore: AuditStore;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  logger: LoggerService;
  /** Backstage's auditor; the audit store is written either way. */
  auditor?: AuditorService;
  /** Built from the options above when absent. */
  promotion?: PromotionService;
}

/**
 * The registry part of the ML backend's API: a Model's versions, and moving
 * one of its aliases (promotion, see {@link PromotionService}).
 *
 * @internal
 */
export async function createRegistryRouter(
  options: RegistryRouterOptions,
): Promise<express.Router> {
  const { httpAuth, catalog, registryService } = options;
  const promotion =
    options.promotion ??
    PromotionService.create({
      catalog,
      registryService,
      permissions: options.permissions,
      userInfo: options.userInfo,
      audit: MlAuditor.create(options),
    });
  const router = Router();
  router.use(express.json());

  router.get('/models/:namespace/:name/versions', async (req, res) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const body: ModelVersionsResponse = await listModelVersions(
      { catalog, registryService },
      req.params,
      credentials,
    );
    res.json(body);
  });

  router.post('/models/:namespace/:name/aliases', async (req, res) => {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const body: PromoteModelResponse = await promotion.promote({
      model: req.params,
      request: parseInput(promoteModelRequestSchema, req.body, 'body'),
      credentials,
      httpRequest: req,
    });
    res.json(body);
  });

  router.use(databaseUnavailableErrors);
  return router;
}
