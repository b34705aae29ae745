export { PipelineRunsCard } from './PipelineRunsCard';
export { LatestTrainingRunCard } from './LatestTrainingRunCard';
export { PipelinesPage } from './PipelinesPage';
export { RunStatusChip } from './RunStatusChip';
