/**
 * Isomorphic parts of the ML platform plugins: entity kinds, annotation keys,
 * permissions and the types of the ML backend's HTTP API.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './api';
export * from './kinds';
export * from './labelMatchers';
