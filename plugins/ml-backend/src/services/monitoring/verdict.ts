import type {
  ModelHealthAlert,
  ModelHealthCurrent,
  ModelHealthObjective,
  ModelHealthVerdict,
  ModelSlo,
} from '@mlplatform/plugin-ml-common';

/**
 * How far past its target an objective may be and still count as
 * `degraded` rather than `failing`: up to this factor times the target for
 * upper bounds (latency, error rate, drift), or this factor times the error
 * budget (1 - target) for availability.
 *
 * @internal
 */
export const DEGRADED_FACTOR = 2;

/** Alert severities that make a model `failing`; `warning` makes it `degraded`. */
const CRITICAL_SEVERITIES = new Set(['critical', 'page']);
const WARNING_SEVERITIES = new Set(['warning']);

const RANK: Record<ModelHealthVerdict, number> = {
  unknown: -1,
  healthy: 0,
  degraded: 1,
  failing: 2,
};

function worse(
  a: ModelHealthVerdict,
  b: ModelHealthVerdict,
): ModelHealthVerdict {
  return RANK[b] > RANK[a] ? b : a;
}

function statusOf(
  actual: number | null,
  target: number,
  bound: 'max' | 'min',
): ModelHealthVerdict {
  if (actual === null) return 'unknown';
  // Availability compares what is missing with the error budget, so "2x"
  // means twice the allowed downtime, not half the availability.
  const miss = bound === 'max' ? actual : 1 - actual;
  const allowed = bound === 'max' ? target : 1 - target;
  // A little slack for floating point: 0.1 + 0.2 style noise must not flip
  // a value that sits exactly on its target.
  const epsilon = 1e-9 * Math.max(1, Math.abs(allowed));
  if (miss <= allowed + epsilon) return 'healthy';
  if (miss <= DEGRADED_FACTOR * allowed + epsilon) return 'degraded';
  return 'failing';
}

/**
 * The objectives of `spec.slo` (plus drift when a threshold is set) with
 * their measured values and status. `maxKvCacheUsage` is judged as the
 * objective `kvCacheUsage`, as `maxDriftScore` is as `driftScore`.
 *
 * @internal
 */
export function evaluateObjectives(
  slo: ModelSlo | undefined,
  current: ModelHealthCurrent,
  driftThreshold: number | undefined,
): ModelHealthObjective[] {
  const objectives: ModelHealthObjective[] = [];
  const add = (
    name: ModelHealthObjective['name'],
    target: number | undefined,
    actual: number | null,
    bound: 'max' | 'min',
  ) => {
    if (typeof target !== 'number' || !Number.isFinite(target)) return;
    objectives.push({
      name,
      target,
      bound,
      actual,
      status: statusOf(actual, target, bound),
    });
  };
  add('latencyP95Ms', slo?.latencyP95Ms, ms(current.p95), 'max');
  add('errorRate', slo?.errorRate, current.errorRate, 'max');
  add('availability', slo?.availability, current.availability, 'min');
  add('driftScore', driftThreshold, current.drift, 'max');
  add('ttftP95Ms', slo?.ttftP95Ms, ms(current.ttftP95), 'max');
  add('tpotP95Ms', slo?.tpotP95Ms, ms(current.tpotP95), 'max');
  add('kvCacheUsage', slo?.maxKvCacheUsage, current.kvCacheUsage, 'max');
  return objectives;
}

/** Seconds as milliseconds, the unit of the latency objectives. */
function ms(seconds: number | null): number | null {
  return seconds === null ? null : seconds * 1000;
}

const MS_OBJECTIVES = new Set<ModelHealthObjective['name']>([
  'latencyP95Ms',
  'ttftP95Ms',
  'tpotP95Ms',
]);

function describeObjective(o: ModelHealthObjective): string {
  const fmt = (v: number) =>
    MS_OBJECTIVES.has(o.name) ? `${round(v)} ms` : `${round(v)}`;
  const op = o.bound === 'max' ? '>' : '<';
  return `${o.name} ${fmt(o.actual!)} ${op} ${fmt(o.target)}`;
}

function round(v: number): number {
  return Number(v.toPrecision(4));
}

/**
 * Combines objectives and alerts into a verdict; `undefined` when nothing
 * could be judged (no objective with data and no relevant alert).
 *
 * @internal
 */
export function combineVerdict(
  objectives: ModelHealthObjective[],
  alerts: ModelHealthAlert[],
): { verdict: ModelHealthVerdict; reason?: string } | undefined {
  let verdict: ModelHealthVerdict = 'unknown';
  const reasons: string[] = [];
  for (const o of objectives) {
    if (o.status === 'unknown') continue;
    verdict = worse(verdict, o.status);
    if (o.status !== 'healthy') reasons.push(describeObjective(o));
  }
  for (const a of alerts) {
    const severity = a.severity.toLowerCase();
    let status: ModelHealthVerdict | undefined;
    if (CRITICAL_SEVERITIES.has(severity)) status = 'failing';
    else if (WARNING_SEVERITIES.has(severity)) status = 'degraded';
    if (!status) continue;
    verdict = worse(verdict, status);
    reasons.push(`alert ${a.name} (${a.severity}) firing`);
  }
  if (verdict === 'unknown') return undefined;
  return reasons.length ? { verdict, reason: reasons.join('; ') } : { verdict };
}
