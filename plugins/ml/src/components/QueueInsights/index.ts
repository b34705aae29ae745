export { WaitEstimateNote } from './WaitEstimate';
export { QueueWaitsCard } from './QueueWaitsCard';
export { GpuHoursCard } from './GpuHoursCard';
export { QueueHistoryCard } from './QueueHistoryCard';
export { QueueInsights } from './QueueInsights';
