import fs from 'node:fs';
import { describeIfBinary, serverBinaries } from './binaries';
import { openMetricsSeries, withOpenMetricsEof } from './openMetrics';
import { PrometheusHandle, startPrometheus } from './prometheus';

describe('openMetricsSeries', () => {
  it('formats, escapes and sorts samples', () => {
    expect(
      openMetricsSeries('m', { a: 'x"y\\z' }, [
        [20, 2],
        [10, NaN],
      ]),
    ).toBe('m{a="x\\"y\\\\z"} NaN 10\nm{a="x\\"y\\\\z"} 2 20\n');
    expect(openMetricsSeries('up', {}, [[1, 1]])).toBe('up 1 1\n');
  });

  it('rejects millisecond timestamps and bad names', () => {
    expect(() => openMetricsSeries('m', {}, [[Date.now(), 1]])).toThrow(
      /seconds/,
    );
    expect(() => openMetricsSeries('1m', {}, [])).toThrow(/metric name/);
  });

  it('appends # EOF once', () => {
    expect(withOpenMetricsEof('a 1 1\n')).toBe('a 1 1\n# EOF\n');
    expect(withOpenMetricsEof('a 1 1\n# EOF\n\n')).toBe('a 1 1\n# EOF\n');
  });
});

describeIfBinary([serverBinaries.prometheus, serverBinaries.promtool])(
  'startPrometheus',
  () => {
    // Last sample 20 s ago: inside the 5 min lookback of instant queries.
    const last = Math.floor(Date.now() / 1000) - 20;
    const points: Array<[number, number]> = Array.from(
      { length: 31 },
      (_, i) => [last - (30 - i) * 60, i * 1.5 + 0.25],
    );
    let prom: PrometheusHandle;

    beforeAll(async () => {
      prom = await startPrometheus({
        backfill:
          openMetricsSeries('mlp_test_accuracy', { model: 'a' }, points) +
          // A second series, so the label selector below has to matter.
          openMetricsSeries(
            'mlp_test_accuracy',
            { model: 'b' },
            points.map(([t]) => [t, -1]),
          ),
      });
    }, 30000);

    afterAll(() => prom?.stop());

    it('returns exactly the backfilled samples from query_range', async () => {
      const series = await prom.queryRange(
        'mlp_test_accuracy{model="a"}',
        points[0][0],
        last,
        60,
      );
      expect(series).toHaveLength(1);
      expect(series[0].metric).toEqual({
        __name__: 'mlp_test_accuracy',
        model: 'a',
      });
      expect(series[0].values).toEqual(points.map(([t, v]) => [t, String(v)]));
    });

    it('returns the last sample from an instant query', async () => {
      const data = await prom.query('mlp_test_accuracy{model="a"}');
      expect(data.resultType).toBe('vector');
      expect(data.result).toHaveLength(1);
      expect((data.result as any)[0].value[1]).toBe(String(points[30][1]));
    });

    it('stops and removes its data dir', async () => {
      const other = await startPrometheus();
      expect((await fetch(`${other.url}/-/ready`)).status).toBe(200);
      await other.stop();
      expect(fs.existsSync(other.dataDir)).toBe(false);
      await expect(fetch(`${other.url}/-/ready`)).rejects.toThrow();
    }, 30000);

    it('reports the server log when startup fails', async () => {
      await expect(
        startPrometheus({
          rules:
            'groups:\n- name: g\n  rules:\n  - alert: X\n    expr: "vector(("\n',
        }),
      ).rejects.toThrow(/exited during startup[\s\S]*rules\.yml/);
    }, 30000);
  },
);
