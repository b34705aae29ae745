import { ModelVersion } from '@mlplatform/plugin-ml-common';
import { aliasChoices, metricDiff } from './metricDiff';

const v = (
  version: string,
  metrics: Record<string, number>,
  aliases: string[] = [],
): ModelVersion => ({
  version,
  aliases,
  metrics,
  datasetDigests: [],
});

describe('metricDiff', () => {
  it('compares the holder of the alias with the chosen version', () => {
    expect(
      metricDiff(
        v('v2', { auc: 0.95, recall: 0.9, f1: 0.8 }),
        v('v3', { auc: 0.97, recall: 0.84, f1: 0.8, p: 1 }),
      ).map(c => c.text),
    ).toEqual([
      'auc 0.95 → 0.97 ▲',
      'f1 0.8 → 0.8 =',
      'p — → 1',
      'recall 0.9 → 0.84 ▼',
    ]);
  });

  it('lists the new metrics when nothing holds the alias yet', () => {
    expect(
      metricDiff(undefined, v('v1', { auc: 0.9 })).map(c => c.text),
    ).toEqual(['auc 0.9']);
  });
});

describe('aliasChoices', () => {
  it('offers existing aliases first, then production and staging, once each', () => {
    expect(
      aliasChoices([v('v3', {}, ['canary']), v('v2', {}, ['production'])]),
    ).toEqual(['canary', 'production', 'staging']);
  });
});
