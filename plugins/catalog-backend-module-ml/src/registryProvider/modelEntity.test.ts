import { OciModelRepositorySummary } from '@mlplatform/plugin-ml-oci';
import { ModelEntityV1alpha1 } from '@mlplatform/plugin-ml-common';
import { toModelEntity } from './modelEntity';

// The builder's edge cases that the provider tests (one alias, a few
// versions, valid metric names) do not reach.
function summary(
  overrides: Partial<OciModelRepositorySummary> & {
    metrics?: Record<string, number>;
  },
): OciModelRepositorySummary {
  const { metrics = { auc: 0.9 }, ...rest } = overrides;
  return {
    repository: 'models/fraud/detector',
    versionNames: ['v2', 'v1'],
    aliases: {},
    current: {
      version: 'v2',
      digest: 'sha256:00',
      aliases: [],
      metrics,
      datasetDigests: [],
      annotations: { 'mlplatform.io/owner': 'group:default/fraud' },
    } as unknown as OciModelRepositorySummary['current'],
    fingerprint: 'f',
    ...rest,
  };
}

const attempt = (s: OciModelRepositorySummary) =>
  toModelEntity({
    registryName: 'r',
    host: 'registry:5000',
    repository: s.repository,
    prefix: 'models/',
    summary: s,
    defaults: { namespace: 'default', defaultType: 'model' },
  });

function build(s: OciModelRepositorySummary): ModelEntityV1alpha1 {
  const entity = attempt(s);
  if ('skipped' in entity) throw new Error(entity.skipped);
  return entity;
}

describe('toModelEntity', () => {
  it('names a nested repository with dashes and collapses repeated separators', () => {
    expect(build(summary({})).metadata).toMatchObject({
      name: 'fraud-detector',
    });
    expect(
      build(summary({ repository: 'models/fraud/-detector' })).metadata,
    ).toMatchObject({ name: 'fraud-detector' });
    expect(attempt(summary({ repository: 'models/fraud/' }))).toEqual({
      skipped: '"models/fraud/" does not map to a valid entity name',
    });
  });

  it('keeps only metric names the schema accepts, in their order', () => {
    const entity = build(
      summary({ metrics: { 'bad name': 1, auc: 0.9, _x: 2, 'f1@k': 0.5 } }),
    );
    expect(JSON.stringify(entity.spec.metrics)).toBe('{"auc":0.9,"f1@k":0.5}');
    expect(
      build(summary({ metrics: { 'bad name': 1 } })).spec,
    ).not.toHaveProperty('metrics');
    expect(build(summary({ metrics: {} })).spec).not.toHaveProperty('metrics');
  });

  it('lists aliases sorted and at most 20 versions, newest first', () => {
    const versionNames = Array.from({ length: 25 }, (_, i) => `v${25 - i}`);
    const entity = build(
      summary({ versionNames, aliases: { staging: 'v25', production: 'v24' } }),
    );
    expect(entity.metadata.annotations).toMatchObject({
      'mlplatform.io/registry-aliases': 'production=v24,staging=v25',
      'mlplatform.io/registry-versions': versionNames.slice(0, 20).join(','),
    });
    expect(entity.spec.lifecycle).toBe('production');
    expect(
      build(summary({ versionNames: [] })).metadata.annotations?.[
        'mlplatform.io/registry-versions'
      ],
    ).toBe('v2');
  });
});
