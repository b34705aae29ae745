import { createBackendModule } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import catalogPlugin, {
  CATALOG_ERRORS_TOPIC,
} from '@backstage/plugin-catalog-backend';
import {
  eventsServiceFactory,
  eventsServiceRef,
} from '@backstage/plugin-events-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import { ML_DIR } from './__testUtils__/entities';
import { catalogModuleMlEntityModel } from './module';

// The entity and annotation cases of the bad-input corpus (test/corpus/)
// through the real catalog with the ML module: each entity is in a file of
// its own, registered as a location; each must be refused with its message
// and none may be stored.

jest.setTimeout(120_000);

const CORPUS = path.resolve(__dirname, '../../../test/corpus');

interface EntityCase {
  name: string;
  input: Entity;
  expect: string;
}

interface AnnotationCase {
  name: string;
  annotations: Record<string, string>;
  catalog: string | null;
}

function readCases<T>(file: string): T[] {
  const text = fs
    .readFileSync(path.join(CORPUS, file), 'utf8')
    .replaceAll('${REGISTRY}', '127.0.0.1:5000');
  return parse(text, { merge: true }).cases;
}

interface CatalogError {
  entity: string;
  location?: string;
  messages: string[];
}

function errorCollector() {
  const errors: CatalogError[] = [];
  const module = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'corpus-error-collector',
    register(reg) {
      reg.registerInit({
        deps: { events: eventsServiceRef },
        async init({ events }) {
          await events.subscribe({
            id: 'corpus-error-collector',
            topics: [CATALOG_ERRORS_TOPIC],
            async onEvent({ eventPayload }) {
              const {
                entity,
                location,
                errors: list,
              } = eventPayload as {
                entity: string;
                location?: string;
                errors: Error[];
              };
              errors.push({
                entity,
                location,
                messages: list.map(e => e.message),
              });
            },
          });
        },
      });
    },
  });
  return { module, errors };
}

describe('bad-input corpus: entities and annotations in the real catalog', () => {
  const entityCases = readCases<EntityCase>('entities.yaml');
  const annotationCases = readCases<AnnotationCase>('annotations.yaml');
  const cases = [
    ...entityCases.map((c, i) => ({
      name: c.name,
      entity: c.input,
      expect: c.expect as string | null,
      file: `entity-${i}.yaml`,
    })),
    ...annotationCases.map((c, i) => ({
      name: `annotation: ${c.name}`,
      entity: {
        apiVersion: 'mlplatform.io/v1alpha1',
        kind: 'Model',
        metadata: {
          name: `corpus-annotation-${i}`,
          annotations: c.annotations,
        },
        spec: {
          type: 'classifier',
          lifecycle: 'experimental',
          owner: 'fraud-team',
        },
      } as Entity,
      expect: c.catalog,
      file: `annotation-${i}.yaml`,
    })),
  ];
  const collector = errorCollector();
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let dir: string;
  let stored: Entity[] = [];

  /** Errors reported for a case: on its entity, or on the location of its file. */
  const errorsOf = (c: (typeof cases)[number]) =>
    collector.errors
      .filter(
        e =>
          e.location?.endsWith(`/${c.file}`) ||
          e.messages.some(m => m.includes(c.file)),
      )
      .flatMap(e => e.messages)
      .join('\n');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-entity-corpus-'));
    for (const c of cases) {
      fs.writeFileSync(path.join(dir, c.file), stringify(c.entity));
    }
    backend = await startTestBackend({
      features: [
        catalogPlugin,
        catalogModuleMlEntityModel,
        collector.module,
        eventsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            catalog: {
              rules: [
                {
                  allow: [
                    ...['Location', 'User', 'Group', 'System', 'Component'],
                    ...['Model', 'Dataset', 'Pipeline', 'GpuQuota'],
                  ],
                },
              ],
              locations: [
                { type: 'file', target: path.join(ML_DIR, 'org.yaml') },
                ...cases.map(c => ({
                  type: 'file',
                  target: path.join(dir, c.file),
                })),
              ],
            },
          },
        }),
      ],
    });
    // Settled: every refused case has its error, every accepted one is stored.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await request(backend.server)
        .get('/api/catalog/entities')
        .set('authorization', mockCredentials.user.header());
      stored = res.body as Entity[];
      const names = new Set(stored.map(e => e.metadata.name));
      const settled = cases.every(c =>
        c.expect === null ? names.has(c.entity.metadata.name) : errorsOf(c),
      );
      if (settled || Date.now() > deadline) break;
      await new Promise(r => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    await backend?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses every entity case with its message and stores none of them', () => {
    expect(entityCases.length).toBeGreaterThanOrEqual(20);
    const failures = cases
      .filter(c => c.expect !== null)
      .flatMap(c => {
        const errors = errorsOf(c);
        const isStored = stored.some(
          e =>
            e.metadata.name === c.entity.metadata.name &&
            e.kind === c.entity.kind,
        );
        return isStored || !errors.includes(c.expect!)
          ? [
              `${c.name}: stored=${isStored}, errors=${JSON.stringify(
                errors.slice(0, 400),
              )}, want ${JSON.stringify(c.expect)}`,
            ]
          : [];
      });
    expect(failures).toEqual([]);
  });

  it('stores the well-formed annotations that only the ML backend can refuse (registry host not in config)', () => {
    const accepted = cases.filter(c => c.expect === null);
    expect(accepted.length).toBeGreaterThanOrEqual(4);
    const names = new Set(stored.map(e => e.metadata.name));
    expect(accepted.filter(c => !names.has(c.entity.metadata.name))).toEqual(
      [],
    );
  });
});
