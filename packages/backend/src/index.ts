/*
 * The ML platform portal's backend: Backstage's own plugins plus the ML
 * family (ml backend, ML kinds in the catalog, ml:* scaffolder actions).
 */

import { createBackend } from '@backstage/backend-defaults';
import {
  catalogModuleMlFeast,
  catalogModuleMlGpuQuotas,
  catalogModuleMlRegistryModels,
} from '@mlplatform/plugin-catalog-backend-module-ml';
import { permissionModuleMlPolicy } from './modules/mlPermissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
backend.add(import('@mlplatform/plugin-scaffolder-backend-module-ml'));

// techdocs plugin
backend.add(import('@backstage/plugin-techdocs-backend'));

// auth plugin
backend.add(import('@backstage/plugin-auth-backend'));
// See https://backstage.io/docs/backend-system/building-backends/migrating#the-auth-plugin
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// See https://backstage.io/docs/auth/guest/provider

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);

backend.add(import('@mlplatform/plugin-catalog-backend-module-ml'));
// GpuQuota entities in step with the clusters (when catalog.providers.mlGpuQuotas is set)
backend.add(catalogModuleMlGpuQuotas);
// Model entities from the OCI registries (when catalog.providers.mlRegistryModels is set)
backend.add(catalogModuleMlRegistryModels);
// Dataset entities from a Feast registry (when catalog.providers.mlFeast is set)
backend.add(catalogModuleMlFeast);

// See https://backstage.io/docs/features/software-catalog/configuration#subscribing-to-catalog-errors
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permission plugin, with the portal's policy: owning-team members act on
// ML resources, audit admins read everyone's trail, the rest is allowed
// (docs/permissions.md; https://backstage.io/docs/permissions/writing-a-policy)
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(permissionModuleMlPolicy);

// search plugin
backend.add(import('@backstage/plugin-search-backend'));

// search engine
// See https://backstage.io/docs/features/search/search-engines
backend.add(import('@backstage/plugin-search-backend-module-pg'));

// search collators
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

// kubernetes plugin
backend.add(import('@backstage/plugin-kubernetes-backend'));

// user settings plugin
backend.add(import('@backstage/plugin-user-settings-backend'));

// notifications and signals plugins
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

// mcp actions plugin
backend.add(import('@backstage/plugin-mcp-actions-backend'));

// ML platform plugin: /api/ml
backend.add(import('@mlplatform/plugin-ml-backend'));

backend.start();
