export { ModelOverviewCard } from './ModelOverviewCard';
export { DatasetOverviewCard } from './DatasetOverviewCard';
export { PipelineOverviewCard } from './PipelineOverviewCard';
export { GpuQuotaOverviewCard } from './GpuQuotaOverviewCard';
export { LineageCard } from './LineageCard';
export { ModelCardSection } from './ModelCardSection';
export { GpuQuotaUsageCard } from './GpuQuotaUsageCard';
export { DatasetFactsCard } from './DatasetFactsCard';
