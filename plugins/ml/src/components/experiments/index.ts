export { ExperimentRunsCard } from './ExperimentRunsCard';
