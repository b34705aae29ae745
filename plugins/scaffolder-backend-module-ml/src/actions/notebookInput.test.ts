import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  createNotebookRequestSchema,
  gpuRequestSchema,
  NOTEBOOK_DEFAULTS,
  parseMlInput,
} from '@mlplatform/plugin-ml-common';
import { MlService } from '@mlplatform/plugin-ml-node';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { createGpuQuotaCheckAction } from './gpuQuotaCheck';
import { createNotebookCreateAction } from './notebookCreate';

// The bad notebook bodies of the corpus (test/corpus/api.yaml) as the inputs
// of ml:notebook:create and ml:gpu-quota:check: each is refused before the
// ML backend is called, with the message the API answers.

const ROOT = path.resolve(__dirname, '../../../..');

interface ApiCase {
  name: string;
  request: { method: string; path: string; body?: unknown };
  status: number | number[];
  expect: string;
}

const cases: ApiCase[] = parse(
  fs.readFileSync(path.join(ROOT, 'test/corpus/api.yaml'), 'utf8'),
  { merge: true },
).cases;

const bodies = cases.filter(
  c =>
    c.status === 400 &&
    c.request.method === 'POST' &&
    c.request.path === '/api/ml/notebooks' &&
    typeof c.request.body === 'object' &&
    c.request.body !== null &&
    !Array.isArray(c.request.body),
);

const PLACEMENT = ['cluster', 'namespace', 'gpus', 'gpuResource', 'flavor'];

/** Cases whose problem is in a field of the quota check's placement. */
const placements = bodies.filter(c =>
  PLACEMENT.includes(c.expect.split(':')[0]),
);

function apiMessage(schema: any, input: unknown, what: string): string {
  try {
    parseMlInput(schema, input, what);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the API schema accepts this input');
}

const ml = {
  getQuotas: jest.fn(),
  createNotebook: jest.fn(),
} as unknown as MlService;

describe('the notebook actions refuse the corpus like the API', () => {
  it('has the cases', () => {
    expect(bodies.length).toBeGreaterThanOrEqual(18);
    expect(placements.length).toBeGreaterThanOrEqual(6);
  });

  it.each(bodies.map(c => [c.name, c] as const))(
    'ml:notebook:create refuses %s',
    async (_, c) => {
      const message = apiMessage(
        createNotebookRequestSchema,
        c.request.body,
        'notebook',
      );
      expect(message).toContain(c.expect);
      for (const isDryRun of [false, true]) {
        const ctx = {
          ...createMockActionContext({ input: c.request.body as any }),
          isDryRun,
        };
        await expect(
          createNotebookCreateAction({ ml }).handler(ctx),
        ).rejects.toThrow(message);
      }
      expect(ml.getQuotas).not.toHaveBeenCalled();
      expect(ml.createNotebook).not.toHaveBeenCalled();
    },
  );

  it.each(placements.map(c => [c.name, c] as const))(
    'ml:gpu-quota:check refuses %s',
    async (_, c) => {
      const { cluster, namespace, gpus, gpuResource } = c.request.body as any;
      const input = { cluster, namespace, gpus, gpuResource };
      const message = apiMessage(gpuRequestSchema, input, 'placement');
      expect(message).toContain(c.expect);
      await expect(
        createGpuQuotaCheckAction({ ml }).handler(
          createMockActionContext({ input }),
        ),
      ).rejects.toThrow(message);
      expect(ml.getQuotas).not.toHaveBeenCalled();
    },
  );
});

describe('the notebook template', () => {
  it('proposes the notebook defaults', () => {
    const template = parse(
      fs.readFileSync(
        path.join(ROOT, 'templates/notebook/template.yaml'),
        'utf8',
      ),
    );
    const [notebook, gpus] = template.spec.parameters;
    const defaults = {
      image: notebook.properties.image.default,
      cpu: notebook.properties.cpu.default,
      memory: notebook.properties.memory.default,
      storage: notebook.properties.storage.default,
      gpuResource: gpus.properties.placement.properties.gpuResource.default,
    };
    expect(defaults).toEqual(NOTEBOOK_DEFAULTS);
  });
});
