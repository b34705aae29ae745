import { parseMlInput } from './parse';
import { logStoreQuerySchema, podLogsQuerySchema } from './logs';

const pod = { cluster: 'gpu-cluster-a', podNamespace: 'fraud', pod: 'p-0' };
const refusal = (schema: any, input: object) => {
  try {
    parseMlInput(schema, input, 'query');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

describe('podLogsQuerySchema', () => {
  it('reads query strings: numbers and flags', () => {
    expect(
      parseMlInput(
        podLogsQuerySchema,
        { ...pod, tail: '100', follow: 'true', download: '0', since: '15m' },
        'query',
      ),
    ).toEqual({
      ...pod,
      tail: 100,
      follow: true,
      download: false,
      since: '15m',
    });
  });

  it.each([
    [
      { ...pod, podNamespace: '../kube-system' },
      'Invalid query: podNamespace: must be a DNS-1123 label (lower-case letters, digits and -)',
    ],
    [{ ...pod, tail: '0' }, 'Invalid query: tail: must be at least 1'],
    [{ ...pod, tail: '10001' }, 'Invalid query: tail: must be at most 10000'],
    [
      { ...pod, since: '1h; rm' },
      'Invalid query: since: must be a duration such as 30s, 15m, 1h or 7d',
    ],
    [{ ...pod, since: '31d' }, 'Invalid query: since: must be at most 30d'],
    [{ ...pod, follow: 'yes' }, 'Invalid query: follow: must be true or false'],
    [
      { ...pod, start: 'yesterday' },
      'Invalid query: start: must be an ISO 8601 time, like 2026-01-31T12:00:00Z',
    ],
    [
      { ...pod, since: '1h', start: '2026-01-01T00:00:00Z' },
      'Invalid query: since: give since or start, not both',
    ],
    [
      { ...pod, search: 'x'.repeat(201) },
      'Invalid query: search: must be at most 200 characters',
    ],
    [
      { ...pod, labelSelector: 'a=b' },
      'Invalid query: query: Unrecognized key: "labelSelector"',
    ],
  ])('refuses %j', (input, message) => {
    expect(refusal(podLogsQuerySchema, input)).toBe(message);
  });
});

describe('logStoreQuerySchema', () => {
  it('refuses an end before the start and a limit over the most', () => {
    expect(
      refusal(logStoreQuerySchema, {
        start: '2026-01-02T00:00:00Z',
        end: '2026-01-01T00:00:00Z',
      }),
    ).toBe('Invalid query: end: must be after start');
    expect(refusal(logStoreQuerySchema, { limit: '5001' })).toBe(
      'Invalid query: limit: must be at most 5000',
    );
  });
});
