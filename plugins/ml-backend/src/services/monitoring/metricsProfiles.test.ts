import {
  builtInMetricsProfiles,
  formatLabelMatchers,
  parseWindow,
  renderQuery,
} from './metricsProfiles';

describe('renderQuery', () => {
  it('builds the selector from parsed matchers', () => {
    expect(
      renderQuery('sum(rate(m{{{selector}}, code=~"5.."}[{{window}}]))', {
        matchers: ' namespace="fraud" , model=~"fraud-.*"',
        window: '5m',
      }),
    ).toBe(
      'sum(rate(m{namespace="fraud", model=~"fraud-.*", code=~"5.."}[5m]))',
    );
  });

  it('escapes values so they cannot end the string', () => {
    expect(
      renderQuery('m{{{selector}}}', {
        matchers: [
          { name: 'model', op: '=', value: 'x"} or vector(1) #' },
          { name: 'path', op: '!=', value: 'a\\b\nc' },
        ],
        window: '1h',
      }),
    ).toBe('m{model="x\\"} or vector(1) #", path!="a\\\\b\\nc"}');
  });

  it('does not expand placeholders inside substituted values', () => {
    expect(
      renderQuery('m{{{selector}}}[{{window}}]', {
        matchers: 'model="{{window}}"',
        window: '5m',
      }),
    ).toBe('m{model="{{window}}"}[5m]');
  });

  it.each([
    'model="x"}) or vector(1) #',
    'model=~".*"} or up{',
    'model="x"\n} or vector(1)',
    'model="x"} or\nup{job="a"',
    'model="x" or vector(1)',
    'model=x',
    "model='x'",
    'model="x"; drop',
    '{model="x"}',
    'model="x",,job="y"',
    'model="a\nb"',
    '',
    '   ',
  ])('refuses the selector %j', selector => {
    expect(() =>
      renderQuery('m{{{selector}}}', { matchers: selector, window: '5m' }),
    ).toThrow(TypeError);
  });

  it('refuses hand-built matchers with bad names or operators', () => {
    expect(() =>
      formatLabelMatchers([{ name: 'a"}', op: '=', value: 'x' }]),
    ).toThrow(/label name/);
    expect(() =>
      formatLabelMatchers([{ name: 'a', op: '==' as any, value: 'x' }]),
    ).toThrow(/operator/);
    expect(() =>
      formatLabelMatchers([{ name: 'a', op: '=', value: '\uD800' }]),
    ).toThrow(/value/);
    expect(() => formatLabelMatchers([])).toThrow(/at least one/);
  });

  it('refuses unknown placeholders', () => {
    expect(() =>
      renderQuery('m{{{selector}}}[{{range}}]', {
        matchers: 'a="b"',
        window: '5m',
      }),
    ).toThrow(/\{\{range\}\}/);
  });

  it('renders every built-in template without leftovers', () => {
    for (const profile of Object.values(builtInMetricsProfiles)) {
      for (const template of Object.values(profile.queries)) {
        const query = renderQuery(template!, {
          matchers: 'model="m"',
          window: '5m',
        });
        expect(query).not.toMatch(/\{\{|\}\}\}/);
        expect(query).toContain('model="m"');
      }
    }
  });
});

describe('parseWindow', () => {
  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['30d', 2592000],
    ['4w', 2419200],
  ])('accepts %s', (window, seconds) => {
    expect(parseWindow(window)).toBe(seconds);
  });

  it.each([
    '0m',
    '31d',
    '5w',
    '1h30m',
    '5',
    'm',
    '5M',
    '-5m',
    '5m]',
    '5m\n',
    ' 5m',
    '1.5h',
  ])('refuses %j', window => {
    expect(() => parseWindow(window)).toThrow(TypeError);
  });
});
