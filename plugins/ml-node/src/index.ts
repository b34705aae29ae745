/**
 * Node.js library of the ML platform plugins: the extension points through
 * which backend modules add model registries, metrics profiles and alert
 * actions to the ML backend.
 *
 * @packageDocumentation
 */

export * from './alerts';
export * from './metrics';
export * from './mlService';
export * from './registry';
export * from './oci';
export * from './pipelines';
