import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { mlAuditQuerySchema } from './audit';
import { alertActionsQuerySchema, alertmanagerWebhookSchema } from './alerts';
import { entityPathParamsSchema } from './entityPath';
import { parseMlInput } from './parse';
import {
  pipelineRunsQuerySchema,
  startPipelineRunRequestSchema,
} from './pipelines';
import { promoteModelRequestSchema } from './registry';

// The promotion, model path, pipeline-run and audit cases of the bad-input
// corpus (test/corpus/api.yaml) that the request schemas decide: each must be
// refused here with the message the API answers. Oversized bodies are
// decided by the body parser, health windows by the health schema's own test.

interface ApiCase {
  name: string;
  request: {
    method: string;
    path: string;
    body?: any;
    pad?: number;
    padParameter?: number;
  };
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

// Like Express's query parser: a repeated parameter becomes an array.
function queryOf(search: string) {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(search)) {
    const had = query[k];
    query[k] = had === undefined ? v : [had, v].flat();
  }
  return query;
}

/** What the router parses, in its order, for one request. */
function parseAsTheRouter(c: ApiCase): void {
  // Split before decoding, as Express does: WHATWG URL would resolve `%2e%2e`.
  const [pathname, search = ''] = c.request.path.split('?');
  const segments = pathname.split('/').slice(3).map(decodeURIComponent);
  let body = c.request.body;
  if (c.request.padParameter) {
    body = {
      ...body,
      parameters: {
        ...body.parameters,
        notes: 'x'.repeat(c.request.padParameter),
      },
    };
  }
  if (segments[0] === 'audit') {
    parseMlInput(mlAuditQuerySchema, queryOf(search), 'query');
    return;
  }
  const [resource, namespace, name] = segments;
  if (resource === 'pipelines') {
    parseMlInput(entityPathParamsSchema, { namespace, name }, 'pipeline');
    if (c.request.method === 'GET') {
      parseMlInput(pipelineRunsQuerySchema, queryOf(search), 'query');
    } else {
      parseMlInput(startPipelineRunRequestSchema, body ?? {}, 'body');
    }
    return;
  }
  // The backend checks a Model's path before its catalog lookup.
  parseMlInput(entityPathParamsSchema, { namespace, name }, 'model');
  if (segments[3] === 'aliases') {
    parseMlInput(promoteModelRequestSchema, body, 'body');
  }
}

const schemaCases = cases.filter(
  c =>
    c.status === 400 &&
    (/^\/api\/ml\/(pipelines|audit)\b/.test(c.request.path) ||
      /^\/api\/ml\/models\/[^/]+\/[^/]+\/(aliases|versions)$/.test(
        c.request.path,
      ) ||
      /^\/api\/ml\/models\/default\/[^/]+\/health$/.test(c.request.path)),
);

describe('registry, entity path, pipeline and audit request schemas', () => {
  it('covers the corpus cases of the promotion, model path, pipeline-run and audit API', () => {
    const count = (re: RegExp) =>
      schemaCases.filter(c => re.test(c.request.path)).length;
    expect(count(/aliases$/)).toBeGreaterThanOrEqual(8);
    expect(count(/^\/api\/ml\/models\/(?!default\/corpus-model\/)/)).toBe(5);
    expect(count(/\/pipelines\//)).toBeGreaterThanOrEqual(10);
    expect(count(/\/audit\b/)).toBeGreaterThanOrEqual(10);
  });

  it.each(schemaCases.map(c => [c.name, c] as const))(
    'refuses %s with the API message',
    (_, c) => {
      expect(() => parseAsTheRouter(c)).toThrow(c.expect);
    },
  );

  it('takes valid requests, with parsed instants', () => {
    expect(
      parseMlInput(
        promoteModelRequestSchema,
        { alias: 'production', version: `sha256:${'a'.repeat(64)}` },
        'body',
      ),
    ).toEqual({ alias: 'production', version: `sha256:${'a'.repeat(64)}` });
    expect(
      parseMlInput(
        startPipelineRunRequestSchema,
        { parameters: { epochs: '3', 'model.lr': '0.1' } },
        'body',
      ),
    ).toEqual({ parameters: { epochs: '3', 'model.lr': '0.1' } });
    expect(
      parseMlInput(
        mlAuditQuerySchema,
        { from: '2026-01-01', limit: '20', outcome: 'refused' },
        'query',
      ),
    ).toEqual({
      from: new Date('2026-01-01T00:00:00Z'),
      limit: 20,
      outcome: 'refused',
    });
    expect(
      parseMlInput(alertActionsQuerySchema, { limit: '5' }, 'query'),
    ).toEqual({ limit: 5 });
  });

  it('refuses more than 100 run parameters', () => {
    const parameters = Object.fromEntries(
      Array.from({ length: 101 }, (_, i) => [`p${i}`, '1']),
    );
    expect(() =>
      parseMlInput(startPipelineRunRequestSchema, { parameters }, 'body'),
    ).toThrow('Invalid body: parameters: at most 100 parameters');
  });

  it('reads an Alertmanager delivery and refuses an unknown version', () => {
    const delivery = {
      version: '4',
      groupKey: 'g',
      status: 'firing',
      receiver: 'ml-portal',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'ModelDriftHigh' },
          startsAt: '2026-01-01T00:00:00Z',
          fingerprint: 'f00dfeed01',
        },
      ],
    };
    expect(
      parseMlInput(alertmanagerWebhookSchema, delivery, 'payload').alerts[0]
        .annotations,
    ).toEqual({});
    expect(() =>
      parseMlInput(
        alertmanagerWebhookSchema,
        { ...delivery, version: '3' },
        'payload',
      ),
    ).toThrow('Invalid payload: version:');
  });
});
