export { MlPage } from './MlPage';
export { IntegrationsCard } from './IntegrationsCard';
