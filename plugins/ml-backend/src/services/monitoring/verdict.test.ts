import {
  ModelHealthAlert,
  ModelHealthCurrent,
} from '@mlplatform/plugin-ml-common';
import { combineVerdict, evaluateObjectives } from './verdict';
import { stepFor } from './evaluateHealth';

const none: ModelHealthCurrent = {
  p50: null,
  p95: null,
  p99: null,
  errorRate: null,
  throughput: null,
  drift: null,
  gpuUtilization: null,
  gpuMemoryBytes: null,
  availability: null,
  ttftP95: null,
  tpotP95: null,
  promptTokensPerSecond: null,
  generationTokensPerSecond: null,
  requestsRunning: null,
  requestsWaiting: null,
  kvCacheUsage: null,
  batchSize: null,
};

function alert(severity: string): ModelHealthAlert {
  return {
    name: `A-${severity}`,
    severity,
    startsAt: '2026-01-01T00:00:00Z',
    fingerprint: '0000000000000001',
    labels: {},
  };
}

describe('evaluateObjectives', () => {
  it.each([
    // [p95 seconds, target ms, status]
    [0.05, 50, 'healthy'],
    [0.0501, 50, 'degraded'],
    [0.1, 50, 'degraded'],
    [0.1001, 50, 'failing'],
  ])('p95 %ss against %sms is %s', (p95, target, status) => {
    const [objective] = evaluateObjectives(
      { latencyP95Ms: target },
      { ...none, p95 },
      undefined,
    );
    expect(objective).toEqual({
      name: 'latencyP95Ms',
      target,
      bound: 'max',
      actual: p95 * 1000,
      status,
    });
  });

  it.each([
    // availability 0.999 leaves a budget of 0.001; 2x is 0.998.
    [0.9995, 'healthy'],
    [0.999, 'healthy'],
    [0.9985, 'degraded'],
    [0.998, 'degraded'],
    [0.9979, 'failing'],
  ])('availability %s against 0.999 is %s', (availability, status) => {
    const [objective] = evaluateObjectives(
      { availability: 0.999 },
      { ...none, availability },
      undefined,
    );
    expect(objective.status).toBe(status);
    expect(objective.bound).toBe('min');
  });

  it('marks objectives without data unknown and skips absent targets', () => {
    expect(
      evaluateObjectives({ errorRate: 0.01 }, { ...none, drift: 0.5 }, 0.3),
    ).toEqual([
      {
        name: 'errorRate',
        target: 0.01,
        bound: 'max',
        actual: null,
        status: 'unknown',
      },
      {
        name: 'driftScore',
        target: 0.3,
        bound: 'max',
        actual: 0.5,
        status: 'degraded',
      },
    ]);
  });

  it.each([
    // [TTFT p95 seconds, status] against ttftP95Ms 1000
    [0.9, 'healthy'],
    [1.6, 'degraded'],
    [2.5, 'failing'],
  ])('time to first token p95 %ss against 1000 ms is %s', (ttft, status) => {
    const [objective] = evaluateObjectives(
      { ttftP95Ms: 1000 },
      { ...none, ttftP95: ttft },
      undefined,
    );
    expect(objective).toEqual({
      name: 'ttftP95Ms',
      target: 1000,
      bound: 'max',
      actual: ttft * 1000,
      status,
    });
  });

  it('judges time per output token and KV-cache use, in spec.slo order after drift', () => {
    expect(
      evaluateObjectives(
        { latencyP95Ms: 2500, tpotP95Ms: 50, maxKvCacheUsage: 0.9 },
        { ...none, p95: 2, tpotP95: 0.04, kvCacheUsage: 0.97 },
        undefined,
      ).map(o => [o.name, o.target, o.actual, o.status]),
    ).toEqual([
      ['latencyP95Ms', 2500, 2000, 'healthy'],
      ['tpotP95Ms', 50, 40, 'healthy'],
      ['kvCacheUsage', 0.9, 0.97, 'degraded'],
    ]);
  });

  it('treats any error against a zero error budget as failing', () => {
    const [objective] = evaluateObjectives(
      { errorRate: 0 },
      { ...none, errorRate: 0.0001 },
      undefined,
    );
    expect(objective.status).toBe('failing');
  });
});

describe('combineVerdict', () => {
  const ok = evaluateObjectives(
    { errorRate: 0.01 },
    { ...none, errorRate: 0 },
    undefined,
  );

  it('is healthy when every measured objective is met', () => {
    expect(combineVerdict(ok, [alert('info')])).toEqual({ verdict: 'healthy' });
  });

  it('is degraded by a warning and failing by a critical or page alert', () => {
    expect(combineVerdict(ok, [alert('warning')])).toEqual({
      verdict: 'degraded',
      reason: 'alert A-warning (warning) firing',
    });
    expect(
      combineVerdict(ok, [alert('warning'), alert('Critical')])?.verdict,
    ).toBe('failing');
    expect(combineVerdict([], [alert('page')])?.verdict).toBe('failing');
  });

  it('names LLM objectives with their unit in the reason', () => {
    const objectives = evaluateObjectives(
      { ttftP95Ms: 800, maxKvCacheUsage: 0.9 },
      { ...none, ttftP95: 1.2, kvCacheUsage: 0.95 },
      undefined,
    );
    expect(combineVerdict(objectives, [])).toEqual({
      verdict: 'degraded',
      reason: 'ttftP95Ms 1200 ms > 800 ms; kvCacheUsage 0.95 > 0.9',
    });
  });

  it('gives no verdict with nothing measured and no relevant alert', () => {
    const unmeasured = evaluateObjectives({ errorRate: 0.01 }, none, undefined);
    expect(combineVerdict(unmeasured, [alert('info')])).toBeUndefined();
  });
});

describe('stepFor', () => {
  it.each([
    ['5m', 300, 5],
    ['1h', 3600, 30],
    ['6h', 21600, 300],
    ['1d', 86400, 900],
    ['7d', 604800, 7200],
  ])('gives %s between 60 and 120 points', (_w, seconds, step) => {
    expect(stepFor(seconds)).toBe(step);
    expect(seconds / step).toBeGreaterThanOrEqual(60);
    expect(seconds / step).toBeLessThanOrEqual(120);
  });
});
