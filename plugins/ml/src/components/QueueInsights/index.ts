export { WaitEstimateNote } from './WaitEstimate';
export { QueueWaitsCard } from './QueueWaitsCard';
export { GpuHoursCard } from './GpuHoursCard';
export { QueueInsights } from './QueueInsights';
