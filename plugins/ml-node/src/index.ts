/**
 * Node.js library of the ML platform plugins: the extension points through
 * which backend modules add model registries, pipeline orchestrators,
 * metrics profiles, alert actions and a log store to the ML backend, and `mlServiceRef`,
 * through which they call it with the caller's credentials. Clients of other
 * systems live elsewhere (the OCI client in `@mlplatform/plugin-ml-oci`).
 *
 * @packageDocumentation
 */

export * from './alerts';
export * from './metrics';
export * from './mlService';
export * from './registry';
export * from './pipelines';
export * from './logs';
