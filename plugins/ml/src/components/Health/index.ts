export { ModelHealthCard } from './ModelHealthCard';
export { ModelAlertsCard } from './ModelAlertsCard';
export { ModelsHealthCard } from './ModelsHealthCard';
