export { ModelServingCard } from './ModelServingCard';
