/**
 * The ML platform backend plugin: Kubernetes GPU quotas and notebooks, model
 * registries and monitoring behind `/api/ml`.
 *
 * @packageDocumentation
 */

export { mlPlugin as default } from './plugin';
export * from './permissions';
