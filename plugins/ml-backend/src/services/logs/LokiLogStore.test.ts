import { mockServices } from '@backstage/backend-test-utils';
import { getFreePort, startLokiStandIn } from '@mlplatform/test-services';
import { parseLabelMatchers } from '@mlplatform/plugin-ml-common';
import { buildLogQl, LokiLogStore } from './LokiLogStore';
import { readLogsConfig } from './logsConfig';
import { ConfigReader } from '@backstage/config';

const config = (url: string) => ({
  url,
  maxWindowSeconds: 3600,
  timeoutMs: 3000,
});

describe('buildLogQl', () => {
  it('writes values as escaped literals, so quotes and braces stay inside the value', () => {
    const matchers = parseLabelMatchers(
      String.raw`namespace="fraud", app="x\"} or {namespace=~\".+"`,
    );
    expect(matchers).toHaveLength(2);
    expect(buildLogQl(matchers, 'a"|b')).toBe(
      String.raw`{namespace="fraud", app="x\"} or {namespace=~\".+"} |~ "(?i)a\"\\|b"`,
    );
  });

  it('refuses matchers built in code with a bad name or operator, and selectors Loki refuses', () => {
    expect(() => buildLogQl([{ name: 'app}|', op: '=', value: 'x' }])).toThrow(
      'log selector: invalid label name "app}|"',
    );
    expect(() => buildLogQl(parseLabelMatchers('app=~".*"'))).toThrow(
      'needs at least one = or =~ matcher with a non-empty value',
    );
  });
});

describe('LokiLogStore against the Loki stand-in', () => {
  it('sends the escaped query; the stand-in reads exactly the matchers that were meant', async () => {
    const loki = await startLokiStandIn({
      streams: [
        {
          labels: { namespace: 'fraud', app: 'x"} or {namespace=~".+' },
          lines: [{ ms: Date.now() - 1000, line: 'the odd app' }],
        },
        {
          labels: { namespace: 'recsys', app: 'ranker' },
          lines: [{ ms: Date.now() - 1000, line: 'not selected' }],
        },
      ],
    });
    try {
      const store = LokiLogStore.create({
        config: config(loki.url),
        logger: mockServices.logger.mock(),
      });
      const result = await store.query({
        matchers: parseLabelMatchers(
          String.raw`namespace="fraud", app="x\"} or {namespace=~\".+"`,
        ),
        start: new Date(Date.now() - 60_000),
        end: new Date(),
        limit: 10,
      });
      expect(result.lines.map(l => l.text)).toEqual(['the odd app']);
    } finally {
      await loki.stop();
    }
  });

  it('says which Loki did not answer', async () => {
    const port = await getFreePort();
    const store = LokiLogStore.create({
      config: config(`http://127.0.0.1:${port}`),
      logger: mockServices.logger.mock(),
    });
    await expect(
      store.query({
        matchers: parseLabelMatchers('namespace="fraud"'),
        start: new Date(Date.now() - 60_000),
        end: new Date(),
        limit: 10,
      }),
    ).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: `Loki at http://127.0.0.1:${port} did not answer: ECONNREFUSED`,
    });
  });
});

describe('readLogsConfig', () => {
  const readUrl = (c: any, key: string) => c.getString(key);
  it('reads defaults and refuses a bad maxWindow', () => {
    expect(readLogsConfig(undefined, readUrl)).toEqual({ maxTailLines: 5000 });
    expect(
      readLogsConfig(
        new ConfigReader({ loki: { url: 'http://loki:3100', tenant: 't' } }),
        readUrl,
      ),
    ).toEqual({
      maxTailLines: 5000,
      loki: {
        url: 'http://loki:3100',
        maxWindowSeconds: 86400,
        tenant: 't',
        token: undefined,
        timeoutMs: 15000,
      },
    });
    expect(() =>
      readLogsConfig(
        new ConfigReader({ loki: { url: 'http://l', maxWindow: 'forever' } }),
        readUrl,
      ),
    ).toThrow(
      'ml config: ml.logs.loki.maxWindow must be a duration such as 6h or 1d, got "forever"',
    );
  });
});
