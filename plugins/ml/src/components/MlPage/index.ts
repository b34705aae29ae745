export { MlPage } from './MlPage';
export { MlOverview } from './MlOverview';
export { IntegrationsCard } from './IntegrationsCard';
