import { parseFieldSelector, parseLabelSelector } from './selectors';

describe('label selectors', () => {
  const labels = {
    app: 'web',
    tier: 'front',
    'mlplatform.io/team': 'fraud-team',
  };
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app in (api, web)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['mlplatform.io/team=fraud-team,tier in (front)', true],
    ['missing!=x', true],
    ['', true],
  ])('%s', (sel, expected) => {
    expect(parseLabelSelector(sel)(labels)).toBe(expected);
  });

  it('answers 400 for syntax errors', () => {
    expect(() => parseLabelSelector('app=(x')).toThrow(
      /unable to parse requirement/,
    );
  });
});

describe('field selectors', () => {
  const pod = {
    metadata: { name: 'a', namespace: 'ns' },
    status: { phase: 'Running' },
  };
  it('matches supported fields and rejects others like the server', () => {
    expect(
      parseFieldSelector('metadata.name=a,status.phase=Running', 'Pod')(pod),
    ).toBe(true);
    expect(parseFieldSelector('status.phase!=Running', 'Pod')(pod)).toBe(false);
    expect(parseFieldSelector('metadata.namespace==ns', 'ConfigMap')(pod)).toBe(
      true,
    );
    expect(() =>
      parseFieldSelector('status.phase=Running', 'ConfigMap'),
    ).toThrow('field label not supported: status.phase');
  });
});
