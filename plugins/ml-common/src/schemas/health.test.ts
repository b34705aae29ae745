import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import {
  durationSeconds,
  HEALTH_WINDOW_LIMITS,
  modelHealthQuerySchema,
  parseHealthWindow,
} from './health';
import { parseMlInput } from './parse';

// The health-window cases of the bad-input corpus (test/corpus/api.yaml):
// each must be refused here with the message the API and the MCP action
// answer. Bad model names are decided by the catalog lookup in the backend.

interface ApiCase {
  name: string;
  request: { method: string; path: string };
  status: number;
  expect: string;
}

const cases: ApiCase[] = parse(
  fs.readFileSync(
    path.resolve(__dirname, '../../../../test/corpus/api.yaml'),
    'utf8',
  ),
).cases;

const windowCases = cases.filter(c =>
  /^\/api\/ml\/models\/default\/corpus-model\/health\?/.test(c.request.path),
);

/** The query as express gives it: a repeated key becomes an array. */
function queryOf(url: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URL(url, 'http://x').searchParams) {
    const seen = query[key];
    query[key] =
      seen === undefined
        ? value
        : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return query;
}

/** What the route does with a query: shape, then the window, once. */
function parseQuery(query: unknown) {
  const { window } = parseMlInput(modelHealthQuerySchema, query, 'query');
  return parseHealthWindow(window);
}

describe('health window schemas', () => {
  it('covers the corpus cases', () => {
    expect(windowCases.length).toBeGreaterThanOrEqual(7);
  });

  it.each(windowCases.map(c => [c.name, c] as const))(
    'refuses %s',
    (_name, c) => {
      expect(() => parseQuery(queryOf(c.request.path))).toThrow(
        expect.objectContaining({
          name: 'InputError',
          message: expect.stringContaining(c.expect),
        }),
      );
    },
  );

  it('reads 5m to 7d, 1h when absent', () => {
    expect(parseQuery({})).toEqual({ text: '1h', seconds: 3600 });
    expect(parseQuery({ window: '5m' })).toEqual({ text: '5m', seconds: 300 });
    expect(parseQuery({ window: '7d' })).toEqual({
      text: '7d',
      seconds: 604800,
    });
    expect(parseQuery({ window: '1w' }).seconds).toBe(604800);
    for (const choice of HEALTH_WINDOW_LIMITS.choices) {
      expect(parseHealthWindow(choice).text).toBe(choice);
    }
  });

  it('says what is wrong with a window', () => {
    expect(() => parseHealthWindow('4m')).toThrow(
      'Invalid window: must be between 5m and 7d, got "4m"',
    );
    expect(() => parseHealthWindow('1h30m')).toThrow(
      'Invalid window: must be a duration like 5m, 1h or 7d; got "1h30m"',
    );
    expect(() => parseHealthWindow('0h')).toThrow(/duration like 5m/);
  });

  it('reads one-unit durations only', () => {
    expect(durationSeconds('30s')).toBe(30);
    expect(durationSeconds('2w')).toBe(1209600);
    for (const text of ['', '1y', '-1h', '1.5h', '1h ', '12345678s']) {
      expect(durationSeconds(text)).toBeUndefined();
    }
  });
});
