import {
  compareRunsQuerySchema,
  EXPERIMENT_LIMITS,
  experimentRunsQuerySchema,
  METRIC_NAME_PATTERN,
} from './experiments';
import { parseMlInput } from './parse';

const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `${i}`.padStart(32, 'a')).join(',');

describe('experiment schemas', () => {
  it('takes 2 to 5 distinct run ids and says why otherwise', () => {
    expect(
      parseMlInput(compareRunsQuerySchema, { runs: ids(3) }, 'query').runs,
    ).toHaveLength(3);
    expect(() =>
      parseMlInput(compareRunsQuerySchema, { runs: ids(6) }, 'query'),
    ).toThrow(
      `Invalid query: runs: at most ${EXPERIMENT_LIMITS.maxCompare} runs can be compared at once`,
    );
    expect(() =>
      parseMlInput(compareRunsQuerySchema, { runs: ids(1) }, 'query'),
    ).toThrow(/pick at least 2 runs/);
    expect(() =>
      parseMlInput(compareRunsQuerySchema, { runs: 'abc,abc' }, 'query'),
    ).toThrow(/listed twice/);
    expect(() =>
      parseMlInput(compareRunsQuerySchema, { runs: 'abc,../x' }, 'query'),
    ).toThrow(/run ids are letters and digits/);
  });

  it.each(['loss', 'val_loss', 'train/loss', 'acc.top-5', 'f1 score'])(
    'accepts the metric name %s',
    name => expect(METRIC_NAME_PATTERN.test(name)).toBe(true),
  );

  it.each([
    'loss{job="a"}',
    'rate(x[5m])',
    '../etc/passwd',
    '/abs',
    'a/../b',
    'a//b',
    "x' OR 1=1",
    'a=~b',
    '',
  ])('refuses the metric name %s', name => {
    expect(METRIC_NAME_PATTERN.test(name)).toBe(false);
    expect(() =>
      parseMlInput(
        compareRunsQuerySchema,
        { runs: ids(2), metrics: name },
        'query',
      ),
    ).toThrow(/Invalid query: metrics/);
  });

  it('needs the metric when ordering by one', () => {
    expect(() =>
      parseMlInput(experimentRunsQuerySchema, { orderBy: 'metric' }, 'query'),
    ).toThrow('Invalid query: metric: orderBy=metric needs the metric');
    expect(
      parseMlInput(
        experimentRunsQuerySchema,
        { orderBy: 'metric', metric: 'val_loss', limit: '10' },
        'query',
      ),
    ).toEqual({ orderBy: 'metric', metric: 'val_loss', limit: 10 });
    expect(() =>
      parseMlInput(experimentRunsQuerySchema, { status: 'done' }, 'query'),
    ).toThrow(/Invalid query: status/);
  });
});
