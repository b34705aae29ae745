/**
 * TEST INFRASTRUCTURE: a stand-in for a Kubernetes API server, for tests,
 * benchmarks and the local demo stack. It is not a cluster.
 *
 * @packageDocumentation
 */
export { startKubeApiServer } from './server';
export type {
  KubeApiServer,
  KubeApiServerOptions,
  KubeRequestRecord,
  KubeFault,
  KueueVisibilityMode,
} from './server';
export { loadManifests } from './manifests';
export {
  PHASE_ANNOTATION,
  MESSAGE_ANNOTATION,
  WORKFLOW_STEP_MS,
} from './controllers';
export type { CrdGroup } from './resources';
export { LOGS_ANNOTATION } from './podLogs';
