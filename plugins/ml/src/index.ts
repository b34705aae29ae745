/**
 * The ML platform frontend plugin: ML pages and entity cards for models,
 * datasets, pipelines and GPU quotas.
 *
 * Public API: the plugin (default export) for the new frontend system,
 * `legacyMlPlugin` / `LegacyMlPage` for legacy apps, the API ref and client,
 * and the route refs. Pages, cards and the scaffolder field are reached
 * through the plugin's extensions, not imported.
 *
 * @packageDocumentation
 */

export { mlPlugin as default } from './plugin';
export * from './api';
export {
  rootRouteRef,
  overviewRouteRef,
  quotasRouteRef,
  notebooksRouteRef,
  pipelinesRouteRef,
  auditRouteRef,
} from './routes';
export * from './legacy';
