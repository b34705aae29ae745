import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Resource type of a team's GPU quota: one namespace on one cluster,
 * referenced as `<cluster>/<namespace>`. Conditional rules (e.g. "the user is
 * a member of the owning team") are evaluated by the ML backend.
 *
 * @public
 */
export const RESOURCE_TYPE_ML_GPU_QUOTA = 'ml-gpu-quota';

/**
 * Resource type of a Model entity for ML-specific actions, referenced by its
 * entity ref.
 *
 * @public
 */
export const RESOURCE_TYPE_ML_MODEL = 'ml-model';

/**
 * Resource type of a Pipeline entity for ML-specific actions, referenced by
 * its entity ref.
 *
 * @public
 */
export const RESOURCE_TYPE_ML_PIPELINE = 'ml-pipeline';

/**
 * Create a notebook, spending a team's GPU quota.
 *
 * @public
 */
export const mlNotebookCreatePermission = createPermission({
  name: 'ml.notebook.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_ML_GPU_QUOTA,
});

/**
 * Stop, start or delete a notebook in a team's namespace.
 *
 * @public
 */
export const mlNotebookManagePermission = createPermission({
  name: 'ml.notebook.manage',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_ML_GPU_QUOTA,
});

/**
 * Move a model's alias (e.g. `production`) to another version.
 *
 * @public
 */
export const mlModelPromotePermission = createPermission({
  name: 'ml.model.promote',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_ML_MODEL,
});

/**
 * Change which version of a model serves: start a canary, promote it to all
 * the traffic or roll it back (KServe InferenceServices, or plain
 * Deployments through a canary Deployment).
 *
 * @public
 */
export const mlModelRolloutPermission = createPermission({
  name: 'ml.model.rollout',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_ML_MODEL,
});

/**
 * Deploy a model version into a team's namespace: a KServe InferenceService,
 * or a Deployment + Service, spending the team's GPU quota. The resource is
 * the namespace on its cluster, like the GPU quota, so the same conditional
 * rules (e.g. "member of the owning team") decide.
 *
 * @public
 */
export const mlModelDeployPermission = createPermission({
  name: 'ml.model.deploy',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_ML_GPU_QUOTA,
});

/**
 * Start a run of a pipeline.
 *
 * @public
 */
export const mlPipelineRunPermission = createPermission({
  name: 'ml.pipeline.run',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_ML_PIPELINE,
});

/**
 * Read the ML audit trail of everyone (not only one's own actions).
 *
 * @public
 */
export const mlAuditReadPermission = createPermission({
  name: 'ml.audit.read',
  attributes: { action: 'read' },
});

/**
 * Read the logs of pods in a team's namespace (a Model's serving pods, a
 * Pipeline run's pods, a notebook) and the team's lines in the central log
 * store. The resource is the namespace on its cluster, like the GPU quota,
 * so the same conditional rules (e.g. "member of the owning team") apply.
 *
 * @public
 */
export const mlLogsReadPermission = createPermission({
  name: 'ml.logs.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_ML_GPU_QUOTA,
});

/**
 * Every permission of the ML platform, for registration with the
 * permissions registry and for policy authors.
 *
 * @public
 */
export const mlPermissions = [
  mlNotebookCreatePermission,
  mlNotebookManagePermission,
  mlModelPromotePermission,
  mlModelRolloutPermission,
  mlModelDeployPermission,
  mlPipelineRunPermission,
  mlAuditReadPermission,
  mlLogsReadPermission,
];
