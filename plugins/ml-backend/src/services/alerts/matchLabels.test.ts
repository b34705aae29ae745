import { parseLabelMatchers } from '@mlplatform/plugin-ml-common';
import { matchesLabels } from './matchLabels';

describe('matchesLabels', () => {
  const labels = {
    alertname: 'ModelDriftHigh',
    namespace: 'fraud',
    model: 'fraud-detector',
  };
  const matches = (selector: string) =>
    matchesLabels(parseLabelMatchers(selector), labels);

  it.each([
    ['namespace="fraud", model="fraud-detector"', true],
    ['namespace="fraud", model="transaction-anomaly"', false],
    ['model=~"fraud-.*"', true],
    // Anchored: a partial match is not a match.
    ['model=~"fraud"', false],
    ['model!~"fraud-.*"', false],
    ['model!="other"', true],
    // A missing label is empty.
    ['team=""', true],
    ['team!=""', false],
    ['team=~".*"', true],
  ])('%s matches: %p', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });
});
