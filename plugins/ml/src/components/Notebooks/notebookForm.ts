import {
  checkMlInput,
  createNotebookRequestSchema,
  CreateNotebookRequest,
  fitGpus,
  GpuResourceQuota,
  NamespaceGpuQuota,
  NOTEBOOK_DEFAULTS,
  WaitEstimateQuery,
} from '@mlplatform/plugin-ml-common';

/**
 * The notebook images offered in the "New notebook" dialog: the Jupyter
 * Docker Stacks, pinned to one dated tag so every notebook of a team starts
 * from the same environment.
 */
export const NOTEBOOK_IMAGES = [
  {
    label: 'JupyterLab · PyTorch',
    image: NOTEBOOK_DEFAULTS.image,
  },
  {
    label: 'JupyterLab · TensorFlow',
    image: 'quay.io/jupyter/tensorflow-notebook:2024-12-02',
  },
  {
    label: 'JupyterLab · plain Python',
    image: 'quay.io/jupyter/minimal-notebook:2024-12-02',
  },
];

/** What the dialog's inputs hold; numbers stay strings until validated. */
export interface NotebookForm {
  name: string;
  /** Key of the chosen quota: `<cluster>/<namespace>` (shared/quotas quotaKey). */
  quota: string;
  image: string;
  cpu: string;
  memory: string;
  gpus: string;
  /** Key of the chosen GPU resource and flavor, see {@link resourceKey}. */
  resource: string;
}

/** A new form starts from the notebook defaults every other caller gets. */
export const EMPTY_FORM: NotebookForm = {
  name: '',
  quota: '',
  image: NOTEBOOK_DEFAULTS.image,
  cpu: NOTEBOOK_DEFAULTS.cpu,
  memory: NOTEBOOK_DEFAULTS.memory,
  gpus: '1',
  resource: '',
};

export const resourceKey = (r: Pick<GpuResourceQuota, 'resource' | 'flavor'>) =>
  r.flavor ? `${r.resource}@${r.flavor}` : r.resource;

/** The form's field that shows a problem with a field of the request. */
const FIELD_OF: Record<string, keyof NotebookForm> = {
  name: 'name',
  cluster: 'quota',
  namespace: 'quota',
  image: 'image',
  cpu: 'cpu',
  memory: 'memory',
  gpus: 'gpus',
  gpuResource: 'resource',
  flavor: 'resource',
};

/** What the form asks for; only a number input's text becomes a number. */
function toRequest(
  form: NotebookForm,
  quota: NamespaceGpuQuota | undefined,
): CreateNotebookRequest {
  const gpus = Number(form.gpus);
  const chosen = quota?.resources.find(r => resourceKey(r) === form.resource);
  return {
    name: form.name,
    ...(quota ? { cluster: quota.cluster, namespace: quota.namespace } : {}),
    image: form.image,
    cpu: form.cpu.trim(),
    memory: form.memory.trim(),
    gpus,
    ...(gpus > 0 && chosen
      ? {
          gpuResource: chosen.resource,
          ...(chosen.flavor ? { flavor: chosen.flavor } : {}),
        }
      : {}),
  };
}

/**
 * Problems with the form, by field; empty when it may be sent. The request
 * is checked with the API's own schema (so a field shows the API's message)
 * and against the chosen quota with the backend's GPU check.
 */
export function validateNotebookForm(
  form: NotebookForm,
  quota: NamespaceGpuQuota | undefined,
): Partial<Record<keyof NotebookForm, string>> {
  const errors: Partial<Record<keyof NotebookForm, string>> = {};
  // Empty fields get a prompt rather than the schema's complaint.
  if (!form.name) errors.name = 'Give the notebook a name';
  if (!quota) errors.quota = 'Choose whose GPU quota the notebook uses';
  if (!form.image) errors.image = 'Choose an image';
  if (!form.gpus.trim()) errors.gpus = 'Say how many GPUs, 0 for none';

  const request = toRequest(form, quota);
  const checked = checkMlInput(createNotebookRequestSchema, request);
  if (!checked.success) {
    for (const issue of checked.issues) {
      const field = FIELD_OF[issue.path];
      if (field && !errors[field]) errors[field] = issue.message;
    }
    return errors;
  }
  const { gpus } = checked.data;
  if (gpus === 0 || !quota) return errors;
  if (!request.gpuResource) {
    errors.resource = 'Choose which GPUs to use';
    return errors;
  }
  const fit = fitGpus([quota], {
    ...checked.data,
    cluster: quota.cluster,
    namespace: quota.namespace,
  });
  if (!fit.fits) errors.gpus = fit.shortfall;
  return errors;
}

/** The request for a valid form; the backend applies the defaults it leaves out. */
export function toCreateRequest(
  form: NotebookForm,
  quota: NamespaceGpuQuota,
): CreateNotebookRequest {
  return toRequest(form, quota);
}

/**
 * The wait-estimate query of what the form would create, when that waits in
 * a Kueue queue: a Kueue quota and a whole number of GPUs, at least 1.
 */
export function waitEstimateQuery(
  form: NotebookForm,
  quota: NamespaceGpuQuota | undefined,
): WaitEstimateQuery | undefined {
  const gpus = Number(form.gpus);
  if (!quota || quota.source !== 'kueue' || !quota.clusterQueue) {
    return undefined;
  }
  if (!Number.isInteger(gpus) || gpus < 1) return undefined;
  const chosen = quota.resources.find(r => resourceKey(r) === form.resource);
  return {
    cluster: quota.cluster,
    queue: quota.clusterQueue,
    gpus,
    ...(chosen ? { gpuResource: chosen.resource } : {}),
    ...(chosen?.flavor ? { flavor: chosen.flavor } : {}),
  };
}
