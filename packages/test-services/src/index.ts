/**
 * Helpers that start real servers (Prometheus, Alertmanager, an OCI
 * registry, PostgreSQL) from Debian packages for integration tests.
 *
 * @packageDocumentation
 */

export * from './airflow';
export * from './alertmanager';
export * from './demoMetrics';
export * from './demoOrchestrators';
export {
  describeIfBinary,
  findBinary,
  isCI,
  MissingBinaryError,
  requireBinary,
  serverBinaries,
} from './binaries';
export type { BinarySpec } from './binaries';
export { bcryptHash, htpasswdLine } from './htpasswd';
export * from './kubeflowPipelines';
export * from './openMetrics';
export { getFreePort, isPortOpen } from './ports';
export * from './postgres';
export { makeTempDir, removeTempDir, ServerStartError } from './process';
export * from './prometheus';
export * from './registry';
