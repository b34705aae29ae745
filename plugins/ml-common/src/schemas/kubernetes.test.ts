import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { fitGpus, NamespaceGpuQuota } from '../kubernetesApi';
import {
  createNotebookRequestSchema,
  gpuQuotasQuerySchema,
  gpuRequestSchema,
  NOTEBOOK_DEFAULTS,
  notebookPathSchema,
} from './kubernetes';
import { parseMlInput } from './parse';

// The notebook and quota cases of the bad-input corpus (test/corpus/api.yaml)
// that the request schemas decide: each must be refused here with the
// message the API answers. The others (unknown cluster or quota, a body that
// is not JSON or too large, an unknown action) are decided by the backend.

interface ApiCase {
  name: string;
  request: { method: string; path: string; body?: unknown; rawBody?: string };
  status: number | number[];
  expect: string;
}

const cases: ApiCase[] = parse(
  fs.readFileSync(
    path.resolve(__dirname, '../../../../test/corpus/api.yaml'),
    'utf8',
  ),
  { merge: true },
).cases;

/** The schema a request goes through and what it is given, as the router does. */
function schemaInput(c: ApiCase) {
  // Split before decoding, as Express does: WHATWG URL would resolve `%2e%2e`.
  const [pathname, search = ''] = c.request.path.split('?');
  const segments = pathname.split('/').slice(3).map(decodeURIComponent);
  if (segments[0] === 'quotas') {
    // Like Express's query parser: a repeated parameter becomes an array.
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(search)) {
      const had = query[k];
      query[k] = had === undefined ? v : [had, v].flat();
    }
    return { parse: () => parseMlInput(gpuQuotasQuerySchema, query, 'query') };
  }
  if (segments.length === 1) {
    return {
      parse: () =>
        parseMlInput(createNotebookRequestSchema, c.request.body, 'notebook'),
    };
  }
  const [, cluster, namespace, name] = segments;
  return {
    parse: () =>
      parseMlInput(
        notebookPathSchema,
        { cluster, namespace, name },
        'notebook path',
      ),
  };
}

const decidedByTheBackend = [
  'notebook action that does not exist',
  'unknown cluster',
  'unknown quota',
  'body is not JSON',
  'body of 2 MB',
];

const schemaCases = cases.filter(
  c =>
    /^\/api\/ml\/(notebooks|quotas)\b/.test(c.request.path) &&
    !decidedByTheBackend.includes(c.name),
);

describe('notebook and quota request schemas', () => {
  it('covers the corpus cases of the notebook and quota API', () => {
    expect(schemaCases.length).toBeGreaterThanOrEqual(27);
    expect(schemaCases.every(c => c.status === 400)).toBe(true);
  });

  it.each(schemaCases.map(c => [c.name, c] as const))(
    'refuses %s with the API message',
    (_, c) => {
      expect(() => schemaInput(c).parse()).toThrow(c.expect);
    },
  );

  const valid = {
    name: 'ada-nb',
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    gpus: 1,
  };

  it('applies the defaults in one place', () => {
    expect(
      parseMlInput(createNotebookRequestSchema, valid, 'notebook'),
    ).toEqual({ ...valid, ...NOTEBOOK_DEFAULTS });
    const explicit = {
      ...valid,
      image: 'quay.io/jupyter/minimal-notebook:2024-12-02',
      cpu: '500m',
      memory: '2Gi',
      storage: '20Gi',
      gpuResource: 'nvidia.com/mig-1g.10gb',
      flavor: 'a100-mig',
    };
    expect(
      parseMlInput(createNotebookRequestSchema, explicit, 'notebook'),
    ).toEqual(explicit);
  });

  it('names every problem of a body in one message', () => {
    expect(() =>
      parseMlInput(
        createNotebookRequestSchema,
        { ...valid, name: 'Ada', gpus: 0.5, storage: '1Pi' },
        'notebook',
      ),
    ).toThrow(
      'Invalid notebook: name: must be a DNS-1123 label (lower-case letters, digits and -); gpus: must be a whole number, 0 or more; storage: storage must be between 1Gi..16Ti',
    );
  });

  it('parses the team of a quota query to a full group ref', () => {
    expect(
      parseMlInput(gpuQuotasQuerySchema, { team: 'fraud-team' }, 'query'),
    ).toEqual({ team: 'group:default/fraud-team' });
    expect(() =>
      parseMlInput(gpuQuotasQuerySchema, { team: 'a:b:c/d/e' }, 'query'),
    ).toThrow(/^Invalid query: team: /);
  });

  it('checks a GPU placement with the notebook rules', () => {
    expect(
      parseMlInput(
        gpuRequestSchema,
        { cluster: 'gpu-cluster-a', namespace: 'fraud', gpus: 2 },
        'input',
      ),
    ).toEqual({
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      gpus: 2,
      gpuResource: 'nvidia.com/gpu',
    });
    expect(() =>
      parseMlInput(
        gpuRequestSchema,
        {
          cluster: 'gpu-cluster-a',
          namespace: '../kube-system',
          gpus: 1,
          gpuResource: 'amd.com/gpu',
        },
        'input',
      ),
    ).toThrow(
      'Invalid input: namespace: must be a DNS-1123 label (lower-case letters, digits and -); gpuResource: must be nvidia.com/gpu or nvidia.com/mig-<profile>',
    );
  });
});

describe('fitGpus', () => {
  const quota: NamespaceGpuQuota = {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    source: 'resourcequota',
    name: 'gpu-quota',
    resources: [
      { resource: 'nvidia.com/gpu', hard: 8, used: 5, free: 3, borrowable: 0 },
    ],
    pending: [],
  };
  const request = {
    cluster: 'gpu-cluster-a',
    namespace: 'fraud',
    gpus: 3,
    gpuResource: 'nvidia.com/gpu',
  };

  it('fits what is free or borrowable', () => {
    expect(fitGpus([quota], request)).toEqual({
      fits: true,
      availability: {
        resource: 'nvidia.com/gpu',
        free: 3,
        borrowable: 0,
        available: 3,
      },
    });
  });

  it('says why a request does not fit', () => {
    expect(fitGpus([quota], { ...request, gpus: 4 })).toMatchObject({
      fits: false,
      shortfall:
        'asked for 4 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
    });
    // Another namespace's quota is not this one's.
    expect(fitGpus([quota], { ...request, namespace: 'nlp' })).toEqual({
      fits: false,
      shortfall:
        'asked for 3 nvidia.com/gpu in nlp on gpu-cluster-a, but no quota there provides nvidia.com/gpu',
    });
  });

  it('lets a CPU-only request through, still saying a resource is missing', () => {
    expect(
      fitGpus([], { ...request, gpus: 0, gpuResource: 'nvidia.com/gpu' }),
    ).toEqual({
      fits: true,
      shortfall:
        'asked for 0 nvidia.com/gpu in fraud on gpu-cluster-a, but no quota there provides nvidia.com/gpu',
    });
  });
});
