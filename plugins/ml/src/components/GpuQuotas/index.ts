export { GpuQuotasPage } from './GpuQuotasPage';
export { GpuGauge, GpuGaugeLegend } from './GpuGauge';
export { PendingWorkloadsTable } from './PendingWorkloadsTable';
export { QuotaUsageCard, quotaSourceText } from './QuotaUsageCard';
export { ClusterWarnings } from './ClusterWarnings';
