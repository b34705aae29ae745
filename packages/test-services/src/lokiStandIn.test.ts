import { LokiStandIn, parseLogQl, startLokiStandIn } from './lokiStandIn';

describe('Loki stand-in', () => {
  let loki: LokiStandIn;
  const now = Date.now();

  beforeAll(async () => {
    loki = await startLokiStandIn({
      streams: [
        {
          labels: { namespace: 'fraud', app: 'fraud-detector' },
          lines: [
            { ms: now - 120_000, line: 'GET /predict 200' },
            { ms: now - 60_000, line: 'GET /predict 500 Timeout' },
          ],
        },
        {
          labels: { namespace: 'recsys', app: 'ranker' },
          lines: [{ ms: now - 30_000, line: 'ranked 10 items' }],
        },
      ],
    });
  });
  afterAll(() => loki.stop());

  const get = async (path: string) => {
    const res = await fetch(`${loki.url}${path}`);
    return { status: res.status, text: await res.text() };
  };
  const range = (q: string, extra = '') =>
    get(`/loki/api/v1/query_range?query=${encodeURIComponent(q)}${extra}`);

  it('answers /ready and the label names', async () => {
    expect(await get('/ready')).toEqual({ status: 200, text: 'ready\n' });
    const labels = JSON.parse((await get('/loki/api/v1/labels')).text);
    expect(labels).toEqual({ status: 'success', data: ['app', 'namespace'] });
  });

  it('filters streams by the selector and lines by the filter, newest first', async () => {
    const res = await range(
      '{namespace="fraud", app=~"fraud-.*"} |~ "(?i)timeout"',
    );
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body.data.resultType).toBe('streams');
    expect(body.data.result).toEqual([
      {
        stream: { namespace: 'fraud', app: 'fraud-detector' },
        values: [
          [expect.stringMatching(/^\d{19}$/), 'GET /predict 500 Timeout'],
        ],
      },
    ]);
    const all = JSON.parse((await range('{namespace=~".+"}')).text);
    expect(
      all.data.result.flatMap((s: any) => s.values).map((v: any) => v[1]),
    ).toEqual([
      'ranked 10 items',
      'GET /predict 500 Timeout',
      'GET /predict 200',
    ]);
  });

  it("refuses what Loki refuses, with Loki's words", async () => {
    const empty = await range('{app=~".*"}');
    expect(empty.status).toBe(400);
    expect(empty.text).toContain(
      'queries require at least one regexp or equality matcher',
    );
    const syntax = await range('{app="x"} or 1');
    expect(syntax.status).toBe(400);
    expect(syntax.text).toMatch(
      /^parse error at line 1, col \d+: syntax error/,
    );
    expect(() => parseLogQl('{app="x"}"}')).toThrow(/syntax error/);
  });
});
