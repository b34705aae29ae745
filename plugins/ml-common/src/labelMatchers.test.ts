import { parseLabelMatchers } from './labelMatchers';

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
