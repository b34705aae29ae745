/**
 * Helpers that start real servers for integration tests: Prometheus,
 * Alertmanager, an OCI registry and PostgreSQL from Debian packages, MLflow,
 * JupyterHub and TensorBoard from the venv that scripts/bootstrap.sh installs.
 *
 * @packageDocumentation
 */

export * from './airflow';
export * from './alertmanager';
export * from './demoExperiments';
export * from './dcgmExporter';
export * from './demoMetrics';
export * from './demoMlflow';
export * from './demoOrchestrators';
export * from './demoS3';
export * from './demoTensorBoard';
export { DEMO_VOLUMES } from './demoVolumes';
export * from './feast';
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
export * from './jupyterhub';
export { jupyterHubServiceScopes } from './jupyterhubConfig';
export * from './kubeflowPipelines';
export * from './lokiStandIn';
export * from './mlflow';
export * from './mlflowClient';
export * from './mlflowExperiments';
export * from './openMetrics';
export { getFreePort, isPortOpen } from './ports';
export * from './postgres';
export { makeTempDir, removeTempDir, ServerStartError } from './process';
export * from './prometheus';
export * from './registry';
export * from './s3';
export * from './tensorboard';
