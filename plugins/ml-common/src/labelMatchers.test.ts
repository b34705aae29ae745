import { checkLabelMatcher, parseLabelMatchers } from './labelMatchers';

describe('parseLabelMatchers', () => {
  it('parses every operator, escapes and a trailing comma', () => {
    expect(
      parseLabelMatchers(
        'namespace="fraud", model=~"fraud-.*",env!="dev" , pod!~"x\\"y",',
      ),
    ).toEqual([
      { name: 'namespace', op: '=', value: 'fraud' },
      { name: 'model', op: '=~', value: 'fraud-.*' },
      { name: 'env', op: '!=', value: 'dev' },
      { name: 'pod', op: '!~', value: 'x"y' },
    ]);
  });

  it.each([
    ['', 'expected at least one name="value" matcher'],
    ['model=fraud', 'expected name="value" at character 1'],
    ['a="b" b="c"', 'expected name="value" at character 1'],
    ['a="b", 1x="c"', 'expected name="value" at character 7'],
    ['a="b"} or vector(1)', 'expected name="value" at character 1'],
    ['a="\\q"', 'invalid escape sequence'],
  ])('rejects %j', (text, problem) => {
    expect(() => parseLabelMatchers(text)).toThrow(problem);
  });
});

describe('checkLabelMatcher', () => {
  it('accepts what the parser produces', () => {
    for (const m of parseLabelMatchers('a="1", _b!="2", c9=~"3", d!~"4"')) {
      expect(() => checkLabelMatcher(m)).not.toThrow();
    }
  });

  it('refuses names and operators built in code that PromQL would not read', () => {
    expect(() =>
      checkLabelMatcher({ name: 'a"}) or vector(1', op: '=', value: 'x' }),
    ).toThrow('invalid label name "a\\"}) or vector(1"');
    expect(() =>
      checkLabelMatcher({ name: '9a', op: '=', value: 'x' }),
    ).toThrow('invalid label name "9a"');
    expect(() =>
      checkLabelMatcher({ name: 'a', op: '==' as any, value: 'x' }),
    ).toThrow('invalid matcher operator "=="');
  });
});
