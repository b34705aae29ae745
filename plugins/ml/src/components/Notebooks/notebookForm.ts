import {
  availableGpus,
  CreateNotebookRequest,
  describeGpuShortfall,
  GpuResourceQuota,
  NamespaceGpuQuota,
  parseQuantity,
} from '@mlplatform/plugin-ml-common';

/**
 * The notebook images offered in the "New notebook" dialog: the Jupyter
 * Docker Stacks, pinned to one dated tag so every notebook of a team starts
 * from the same environment.
 */
export const NOTEBOOK_IMAGES = [
  {
    label: 'JupyterLab · PyTorch',
    image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
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

export const EMPTY_FORM: NotebookForm = {
  name: '',
  quota: '',
  image: NOTEBOOK_IMAGES[0].image,
  cpu: '2',
  memory: '8Gi',
  gpus: '1',
  resource: '',
};

export const resourceKey = (r: Pick<GpuResourceQuota, 'resource' | 'flavor'>) =>
  r.flavor ? `${r.resource}@${r.flavor}` : r.resource;

// Same grammar (ml-common's parseQuantity) and bounds as the backend's request
// schema, so the dialog refuses what the backend would refuse before a round trip.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
function checkQuantity(
  what: string,
  value: string,
  min: number,
  max: number,
  range: string,
): string | undefined {
  const n = parseQuantity(value);
  if (n === undefined) {
    return `${what} must be a Kubernetes quantity such as ${
      range.split('..')[0]
    }`;
  }
  if (n < min || n > max) return `${what} must be between ${range}`;
  return undefined;
}

/** Problems with the form, by field; empty when it may be sent. */
export function validateNotebookForm(
  form: NotebookForm,
  quota: NamespaceGpuQuota | undefined,
): Partial<Record<keyof NotebookForm, string>> {
  const errors: Partial<Record<keyof NotebookForm, string>> = {};
  if (!form.name) {
    errors.name = 'Give the notebook a name';
  } else if (form.name.length > 52) {
    errors.name = 'must be at most 52 characters';
  } else if (!DNS1123_LABEL.test(form.name)) {
    errors.name =
      'must be a DNS-1123 label: lower-case letters, digits and -, starting and ending with a letter or digit';
  }
  if (!quota) errors.quota = 'Choose whose GPU quota the notebook uses';
  if (!form.image) errors.image = 'Choose an image';

  const cpu = checkQuantity('cpu', form.cpu, 0.1, 64, '100m..64');
  if (cpu) errors.cpu = cpu;
  const memory = checkQuantity(
    'memory',
    form.memory,
    2 ** 27,
    2 ** 40,
    '128Mi..1Ti',
  );
  if (memory) errors.memory = memory;

  if (!/^\d+$/.test(form.gpus.trim())) {
    errors.gpus = 'must be a whole number, 0 or more';
    return errors;
  }
  const gpus = Number(form.gpus);
  if (gpus > 64) {
    errors.gpus = 'must be at most 64';
    return errors;
  }
  if (gpus === 0 || !quota) return errors;
  const chosen = quota.resources.find(r => resourceKey(r) === form.resource);
  if (!chosen) {
    errors.resource = 'Choose which GPUs to use';
    return errors;
  }
  const availability = availableGpus([quota], chosen.resource, chosen.flavor);
  if (!availability || gpus > availability.available) {
    errors.gpus = describeGpuShortfall({
      gpus,
      resource: chosen.resource,
      namespace: quota.namespace,
      cluster: quota.cluster,
      availability,
    });
  }
  return errors;
}

/** The request for a valid form. */
export function toCreateRequest(
  form: NotebookForm,
  quota: NamespaceGpuQuota,
): CreateNotebookRequest {
  const gpus = Number(form.gpus);
  const chosen = quota.resources.find(r => resourceKey(r) === form.resource);
  return {
    name: form.name,
    cluster: quota.cluster,
    namespace: quota.namespace,
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
