import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { HealthChart } from '../Health/HealthChart';

// jsdom has no ResizeObserver (recharts' ResponsiveContainer).
(globalThis as any).ResizeObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

const T0 = Date.parse('2026-11-23T11:00:00Z') / 1000;
const points = (values: number[]) =>
  values.map((v, i) => ({ t: T0 + i * 60, v }));

describe("HealthChart's link to the Logs card", () => {
  it('opens the Logs card on the minutes the series spent over its threshold', async () => {
    await renderInTestApp(
      <HealthChart
        title="Error rate"
        format={v => `${v}`}
        threshold={{ value: 0.05, label: 'SLO 5%' }}
        lines={[
          {
            key: 'e',
            label: 'errors',
            color: 'red',
            points: points([0.01, 0.02, 0.2, 0.3, 0.01]),
          },
        ]}
      />,
    );
    const link = screen.getByRole('link', {
      name: /^Logs of the minutes over SLO 5%/,
    });
    expect(link.getAttribute('href')).toBe(
      `/?logsStart=${encodeURIComponent(
        '2026-11-23T11:01:00.000Z',
      )}&logsEnd=${encodeURIComponent('2026-11-23T11:04:00.000Z')}#ml-logs`,
    );
  });

  it('offers no link when the series stayed within its threshold', async () => {
    await renderInTestApp(
      <HealthChart
        title="Error rate"
        format={v => `${v}`}
        threshold={{ value: 0.5, label: 'SLO' }}
        lines={[
          { key: 'e', label: 'errors', color: 'red', points: points([0.01]) },
        ]}
      />,
    );
    expect(screen.queryByRole('link')).toBeNull();
  });
});
