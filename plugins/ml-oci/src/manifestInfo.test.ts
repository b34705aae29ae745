import { MODEL_CONFIG_MEDIA_TYPE } from '@mlplatform/plugin-ml-common';
import {
  compareVersionsNewestFirst,
  modelManifestInfo,
  versionsFromTags,
} from './manifestInfo';

const manifest = (
  annotations: Record<string, string>,
  configType = MODEL_CONFIG_MEDIA_TYPE,
) => ({
  schemaVersion: 2,
  config: { mediaType: configType, digest: 'sha256:c', size: 10 },
  layers: [{ mediaType: 'x', digest: 'sha256:l', size: 90 }],
  annotations,
});

describe('modelManifestInfo', () => {
  it('reads the model annotations and ignores malformed metrics', () => {
    expect(
      modelManifestInfo(
        'sha256:a',
        manifest({
          'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
          'mlplatform.io/metrics': '{"auc":0.9,"note":"x","inf":null}',
          'mlplatform.io/dataset-digests': 'sha256:1, sha256:2',
          'mlplatform.io/pipeline-run': 'run-1',
        }),
      ),
    ).toMatchObject({
      created: '2026-01-01T00:00:00Z',
      metrics: { auc: 0.9 },
      datasetDigests: ['sha256:1', 'sha256:2'],
      pipelineRun: 'run-1',
      sizeBytes: 100,
    });
    expect(
      modelManifestInfo('sha256:a', manifest({ 'mlplatform.io/metrics': '[1' }))
        ?.metrics,
    ).toEqual({});
  });

  it('is undefined for artifacts that are not models', () => {
    expect(
      modelManifestInfo(
        'sha256:a',
        manifest({}, 'application/vnd.oci.image.config.v1+json'),
      ),
    ).toBeUndefined();
  });
});

describe('versionsFromTags', () => {
  const infos = new Map([
    [
      'sha256:1',
      modelManifestInfo(
        'sha256:1',
        manifest({
          'org.opencontainers.image.created': '2026-01-01T00:00:00Z',
        }),
      ),
    ],
    [
      'sha256:2',
      modelManifestInfo(
        'sha256:2',
        manifest({
          'org.opencontainers.image.created': '2026-02-01T00:00:00Z',
        }),
      ),
    ],
    ['sha256:3', modelManifestInfo('sha256:3', manifest({}))],
    ['sha256:img', undefined],
  ]);

  it('makes version tags versions and other tags their aliases, newest first', () => {
    const versions = versionsFromTags(
      {
        v1: 'sha256:1',
        v2: 'sha256:2',
        production: 'sha256:2',
        latest: 'sha256:2',
        experiment: 'sha256:3',
        webapp: 'sha256:img',
      },
      infos,
    );
    expect(versions.map(v => [v.version, v.aliases])).toEqual([
      ['v2', ['latest', 'production']],
      ['v1', []],
      // Alias-only manifests are versions named by digest; no time sorts last.
      ['sha256:3', ['experiment']],
    ]);
  });
});

describe('compareVersionsNewestFirst', () => {
  it('orders by time, then numerically by name', () => {
    const sorted = [
      { version: 'v9' },
      { version: 'v10' },
      { version: 'v2', created: '2026-01-01T00:00:00Z' },
      { version: 'v1', created: '2026-03-01T00:00:00Z' },
    ].sort(compareVersionsNewestFirst);
    expect(sorted.map(v => v.version)).toEqual(['v1', 'v2', 'v10', 'v9']);
  });
});
