/**
 * The ML platform frontend plugin: ML pages and entity cards for models,
 * datasets, pipelines and GPU quotas.
 *
 * @packageDocumentation
 */

export { mlPlugin as default } from './plugin';
export * from './api';
export { MlIcon } from './components/MlIcon';
export { IntegrationsCard } from './components/MlPage';
export * from './components/EntityCards';
export {
  modelOverviewEntityCard,
  datasetOverviewEntityCard,
  pipelineOverviewEntityCard,
  gpuQuotaOverviewEntityCard,
  lineageEntityCard,
  modelCardEntityCard,
} from './entityCards';
export * from './legacy';
