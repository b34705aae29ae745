import {
  AlertmanagerHandle,
  describeIfBinary,
  getFreePort,
  serverBinaries,
  startAlertmanager,
} from '@mlplatform/test-services';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  AlertmanagerClient,
  AlertmanagerError,
  formatAlertmanagerMatcher,
} from './AlertmanagerClient';

describe('formatAlertmanagerMatcher', () => {
  it('quotes values so they cannot close the quote', () => {
    expect(
      formatAlertmanagerMatcher({
        name: 'model',
        op: '=~',
        value: 'a"b\\c\nd',
      }),
    ).toBe('model=~"a\\"b\\\\c\\nd"');
  });

  it('refuses bad names and operators', () => {
    expect(() =>
      formatAlertmanagerMatcher({ name: 'a b', op: '=', value: 'x' }),
    ).toThrow(/label name/);
    expect(() =>
      formatAlertmanagerMatcher({ name: 'a', op: '<' as any, value: 'x' }),
    ).toThrow(/operator/);
  });
});

describeIfBinary(serverBinaries.alertmanager)(
  'AlertmanagerClient against real Alertmanager',
  () => {
    let am: AlertmanagerHandle;

    beforeAll(async () => {
      am = await startAlertmanager();
      await am.postAlerts([
        {
          labels: { alertname: 'Drift', model: 'm1', severity: 'critical' },
          annotations: { summary: 'drift' },
        },
        {
          labels: { alertname: 'Slow', model: 'm1', severity: 'warning' },
        },
        {
          labels: { alertname: 'Drift', model: 'm2', severity: 'critical' },
        },
        {
          labels: { alertname: 'Quote', model: 'say "hi"', severity: 'info' },
        },
      ]);
      // Silence m1's Slow alert: silenced alerts are not listed by default.
      const res = await fetch(`${am.url}/api/v2/silences`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          matchers: [
            { name: 'alertname', value: 'Slow', isRegex: false },
            { name: 'model', value: 'm1', isRegex: false },
          ],
          startsAt: new Date().toISOString(),
          endsAt: new Date(Date.now() + 3600_000).toISOString(),
          createdBy: 'test',
          comment: 'known',
        }),
      });
      if (!res.ok) throw new Error(`silence failed: ${await res.text()}`);
    }, 30_000);

    afterAll(() => am?.stop());

    it('lists active, unsilenced alerts matching every matcher', async () => {
      const client = AlertmanagerClient.create({ url: am.url });
      const alerts = await client.getAlerts({
        matchers: [{ name: 'model', op: '=', value: 'm1' }],
      });
      expect(alerts.map(a => a.labels.alertname)).toEqual(['Drift']);
      expect(alerts[0]).toMatchObject({
        annotations: { summary: 'drift' },
        fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
        status: { state: 'active' },
      });

      const withSilenced = await client.getAlerts({
        matchers: [{ name: 'model', op: '=', value: 'm1' }],
        silenced: true,
      });
      expect(withSilenced.map(a => a.labels.alertname).sort()).toEqual([
        'Drift',
        'Slow',
      ]);

      const regex = await client.getAlerts({
        matchers: [
          { name: 'model', op: '=~', value: 'm.' },
          { name: 'severity', op: '!=', value: 'warning' },
        ],
      });
      expect(regex.map(a => a.labels.model).sort()).toEqual(['m1', 'm2']);
    });

    it('matches values with quotes exactly instead of breaking out', async () => {
      const client = AlertmanagerClient.create({ url: am.url });
      const exact = await client.getAlerts({
        matchers: [{ name: 'model', op: '=', value: 'say "hi"' }],
      });
      expect(exact.map(a => a.labels.alertname)).toEqual(['Quote']);
      const escape = await client.getAlerts({
        matchers: [{ name: 'model', op: '=', value: 'm1", model=~".*' }],
      });
      expect(escape).toEqual([]);
    });

    it('coalesces identical calls and caches answers for the TTL', async () => {
      const client = AlertmanagerClient.create({
        url: am.url,
        cacheTtlMs: 200,
      });
      const query = { matchers: [{ name: 'model', op: '=', value: 'm2' }] };
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => client.getAlerts(query as any)),
      );
      expect(new Set(answers).size).toBe(1);
      expect(client.stats()).toEqual({
        requests: 1,
        cacheHits: 0,
        coalesced: 49,
      });
      await client.getAlerts(query as any);
      expect(client.stats().cacheHits).toBe(1);
      await new Promise(r => setTimeout(r, 250));
      await client.getAlerts(query as any);
      expect(client.stats().requests).toBe(2);
    });

    it('refuses an empty matcher list without asking', async () => {
      const client = AlertmanagerClient.create({ url: am.url });
      await expect(client.getAlerts({ matchers: [] })).rejects.toThrow(
        /at least one/,
      );
      expect(client.stats().requests).toBe(0);
    });
  },
);

describe('AlertmanagerClient failures', () => {
  it('reports an unreachable Alertmanager with a typed error, uncached', async () => {
    // Port 1 would not do: fetch() refuses it as a "bad port" before connecting.
    const port = await getFreePort();
    const client = AlertmanagerClient.create({
      url: `http://127.0.0.1:${port}/`,
    });
    const query = { matchers: [{ name: 'a', op: '=' as const, value: 'b' }] };
    const failure = client.getAlerts(query);
    await expect(failure).rejects.toBeInstanceOf(AlertmanagerError);
    await expect(failure).rejects.toMatchObject({
      errorType: 'network',
      status: 0,
      message: `Alertmanager at 127.0.0.1:${port} did not answer: ECONNREFUSED`,
    });
    await expect(client.getAlerts(query)).rejects.toThrow(/ECONNREFUSED/);
    expect(client.stats().requests).toBe(2);
  });

  it('sends the bearer token, times out, and reports HTTP errors', async () => {
    const seen: Array<string | undefined> = [];
    let mode: 'slow' | 'error' | 'junk' = 'error';
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      if (mode === 'slow') {
        setTimeout(() => res.end('[]'), 500);
      } else if (mode === 'error') {
        res.writeHead(400).end('bad matcher');
      } else {
        res.end('{"not":"a list"}');
      }
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = AlertmanagerClient.create({
        url: `http://127.0.0.1:${port}`,
        token: 's3cret',
        timeoutMs: 100,
      });
      const query = { matchers: [{ name: 'a', op: '=' as const, value: 'b' }] };
      await expect(client.getAlerts(query)).rejects.toMatchObject({
        errorType: 'http',
        status: 400,
        message: `Alertmanager at 127.0.0.1:${port} answered HTTP 400: bad matcher`,
      });
      expect(seen).toEqual(['Bearer s3cret']);
      mode = 'junk';
      await expect(client.getAlerts(query)).rejects.toMatchObject({
        errorType: 'bad_response',
      });
      mode = 'slow';
      await expect(client.getAlerts(query)).rejects.toMatchObject({
        errorType: 'timeout',
        message: expect.stringMatching(/did not answer within 100 ms/),
      });
    } finally {
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    }
  });
});
