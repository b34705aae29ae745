/**
 * Isomorphic parts of the ML platform plugins: entity kinds, annotation keys,
 * permissions, the types of the ML backend's HTTP API and its one client.
 *
 * @packageDocumentation
 */

export * from './alertActionsApi';
export * from './annotations';
export * from './auditApi';
export * from './client';
export * from './healthApi';
export * from './api';
export * from './kinds';
export * from './kubernetesApi';
export * from './labelMatchers';
export * from './permissions';
export * from './pipelinesApi';
export * from './registryApi';
export * from './servingApi';
export * from './schemas';
export * from './quantity';
export * from './pendingReason';
export * from './feast/FeastRegistryClient';
