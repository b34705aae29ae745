/**
 * The ML platform frontend plugin: ML pages and entity cards for models,
 * datasets, pipelines and GPU quotas.
 *
 * @packageDocumentation
 */

export { mlPlugin as default } from './plugin';
export * from './api';
export { MlIcon } from './components/MlIcon';
export { IntegrationsCard, MlOverview } from './components/MlPage';
export {
  GpuQuotasPage,
  GpuGauge,
  GpuGaugeLegend,
  PendingWorkloadsTable,
  QuotaUsageCard,
} from './components/GpuQuotas';
export {
  MyNotebooksPage,
  NewNotebookDialog,
  NotebookPhase,
} from './components/Notebooks';
export {
  rootRouteRef,
  overviewRouteRef,
  quotasRouteRef,
  notebooksRouteRef,
  pipelinesRouteRef,
  auditRouteRef,
} from './routes';
export { mlPage, mlApi } from './plugin';
export { AuditPage } from './components/audit';
export * from './components/EntityCards';
export {
  modelOverviewEntityCard,
  datasetOverviewEntityCard,
  pipelineOverviewEntityCard,
  gpuQuotaOverviewEntityCard,
  gpuQuotaUsageEntityCard,
  lineageEntityCard,
  modelCardEntityCard,
  pipelineRunsEntityCard,
  modelLatestRunEntityCard,
} from './entityCards';
export {
  PipelineRunsCard,
  LatestTrainingRunCard,
  PipelinesPage,
  RunStatusChip,
} from './components/pipelines';
export { ModelAlertActions } from './components/Health/AlertActions';
export * from './legacy';
export {
  GpuQuotaPicker,
  gpuQuotaPickerFormField,
  validatePlacement,
} from './components/GpuQuotaPicker';
export type { GpuPlacement } from './components/GpuQuotaPicker';
