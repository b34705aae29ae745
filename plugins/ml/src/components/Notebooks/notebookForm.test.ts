import {
  createNotebookRequestSchema,
  NamespaceGpuQuota,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  EMPTY_FORM,
  NotebookForm,
  toCreateRequest,
  validateNotebookForm,
} from './notebookForm';

// The bad notebook bodies of the corpus (test/corpus/api.yaml) typed into
// the "New notebook" form: each field the form has must show the message
// the API answers for it. Bodies the form cannot produce (a GPU count as a
// string or an object, a field it does not have, an array) are left out.

interface ApiCase {
  name: string;
  request: { method: string; path: string; body?: unknown };
  /** 400 for what the request schema refuses; others are the backend's. */
  status: number | number[];
  expect: string;
}

const cases: ApiCase[] = parse(
  fs.readFileSync(
    path.resolve(__dirname, '../../../../../test/corpus/api.yaml'),
    'utf8',
  ),
  { merge: true },
).cases;

/** Which form field shows a problem with a request field. */
const formField = (field: string): keyof NotebookForm =>
  field === 'cluster' || field === 'namespace'
    ? 'quota'
    : (field as keyof NotebookForm);

const FORM_FIELDS = ['name', 'cluster', 'namespace', 'image', 'cpu', 'memory'];

const formCases = cases.filter(c => {
  const body = c.request.body as Record<string, unknown> | undefined;
  return (
    c.status === 400 &&
    c.request.method === 'POST' &&
    c.request.path === '/api/ml/notebooks' &&
    body !== null &&
    typeof body === 'object' &&
    !Array.isArray(body) &&
    typeof body.gpus === 'number' &&
    Object.keys(body).every(k => k === 'gpus' || FORM_FIELDS.includes(k))
  );
});

function quotaFor(cluster: string, namespace: string): NamespaceGpuQuota {
  return {
    cluster,
    namespace,
    source: 'resourcequota',
    name: 'gpu-quota',
    resources: [
      { resource: 'nvidia.com/gpu', hard: 8, used: 0, free: 8, borrowable: 0 },
    ],
    pending: [],
  };
}

describe('notebook form', () => {
  it('meets the corpus cases a user can type', () => {
    expect(formCases.length).toBeGreaterThanOrEqual(14);
  });

  it.each(formCases.map(c => [c.name, c] as const))(
    'refuses %s with the API message',
    (_, c) => {
      const body = c.request.body as Record<string, any>;
      const quota = quotaFor(body.cluster, body.namespace);
      const form: NotebookForm = {
        name: body.name,
        quota: `${body.cluster}/${body.namespace}`,
        image: body.image,
        cpu: body.cpu,
        memory: body.memory,
        gpus: String(body.gpus),
        resource: 'nvidia.com/gpu',
      };
      const errors = validateNotebookForm(form, quota);

      let apiMessage = '';
      try {
        parseMlInput(createNotebookRequestSchema, body, 'notebook');
      } catch (e) {
        apiMessage = (e as Error).message;
      }
      const [field, fragment] = c.expect.split(/: (.*)/s);
      const shown = errors[formField(field)];
      expect(shown).toContain(fragment);
      expect(apiMessage).toContain(`${field}: ${shown}`);
    },
  );

  it('starts from the notebook defaults and sends only what it asks', () => {
    const quota = quotaFor('gpu-cluster-a', 'fraud');
    const form = {
      ...EMPTY_FORM,
      name: 'fraud-eda',
      quota: 'gpu-cluster-a/fraud',
      resource: 'nvidia.com/gpu',
    };
    expect(validateNotebookForm(form, quota)).toEqual({});
    expect(toCreateRequest(form, quota)).toEqual({
      name: 'fraud-eda',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      image: 'quay.io/jupyter/pytorch-notebook:2024-12-02',
      cpu: '4',
      memory: '16Gi',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
    });
  });

  it('prompts for empty fields instead of quoting a rule', () => {
    expect(
      validateNotebookForm({ ...EMPTY_FORM, gpus: ' ' }, undefined),
    ).toEqual({
      name: 'Give the notebook a name',
      quota: 'Choose whose GPU quota the notebook uses',
      gpus: 'Say how many GPUs, 0 for none',
    });
  });
});
