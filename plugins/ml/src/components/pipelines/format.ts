import { parseEntityRef } from '@backstage/catalog-model';
import {
  PARAMETER_NAME_PATTERN,
  PIPELINE_RUNS_LIMITS,
  PipelineRunTrigger,
} from '@mlplatform/plugin-ml-common';

/** `1 h 5 min`, `12 min 5 s`, `45 s`; undefined when unknown. */
export function formatDuration(
  seconds: number | undefined,
): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return undefined;
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return rest > 0 ? `${m} min ${rest} s` : `${m} min`;
  return `${rest} s`;
}

const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
];
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const pad = (n: number) => String(n).padStart(2, '0');

const MACROS: Record<string, string> = {
  '@hourly': 'every hour',
  '@daily': 'every day at 00:00 UTC',
  '@midnight': 'every day at 00:00 UTC',
  '@weekly': 'every Sunday at 00:00 UTC',
  '@monthly': 'on day 1 of every month at 00:00 UTC',
  '@yearly': 'every year on 1 January at 00:00 UTC',
  '@annually': 'every year on 1 January at 00:00 UTC',
};

function weekday(field: string): string | undefined {
  const days = field.split(',').map(d => {
    const index = /^[0-9]$/.test(d)
      ? Number(d) % 7
      : WEEKDAY_NAMES.indexOf(d.toUpperCase());
    return WEEKDAYS[index];
  });
  if (days.some(d => d === undefined)) return undefined;
  return days.join(', ');
}

const isNumber = (field: string) => /^[0-9]+$/.test(field);

/**
 * A cron schedule in words, for the common shapes ("every day at 03:00 UTC",
 * "every Monday at 03:00 UTC", "every 15 minutes"); anything else is shown
 * as the expression itself so nothing is misread.
 */
export function describeSchedule(schedule: string): string {
  const expression = schedule.trim();
  if (expression.startsWith('@')) {
    return MACROS[expression.toLowerCase()] ?? `cron ${expression}`;
  }
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) return `cron ${expression}`;
  const [minute, hour, dom, month, dow] = fields;
  const fallback = `cron ${expression} (UTC)`;
  if (month !== '*') return fallback;

  const everyMinutes = /^\*\/([0-9]+)$/.exec(minute);
  if (everyMinutes && hour === '*' && dom === '*' && dow === '*') {
    return `every ${everyMinutes[1]} minutes`;
  }
  if (!isNumber(minute)) return fallback;
  if (hour === '*' && dom === '*' && dow === '*') {
    return `every hour at minute ${Number(minute)}`;
  }
  const everyHours = /^\*\/([0-9]+)$/.exec(hour);
  if (everyHours && dom === '*' && dow === '*') {
    return `every ${everyHours[1]} hours at minute ${Number(minute)}`;
  }
  if (!isNumber(hour)) return fallback;
  const at = `at ${pad(Number(hour))}:${pad(Number(minute))} UTC`;
  if (dom === '*' && dow === '*') return `every day ${at}`;
  if (dom === '*') {
    if (dow === '1-5') return `every weekday ${at}`;
    const days = weekday(dow);
    return days ? `every ${days} ${at}` : fallback;
  }
  if (isNumber(dom) && dow === '*') {
    return `on day ${Number(dom)} of every month ${at}`;
  }
  return fallback;
}

/** `in 5 h`, `in 40 min`, `in 2 d` (or `due now`) until `iso`. */
export function timeUntil(iso: string, now: number = Date.now()): string {
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  if (minutes < 1) return 'due now';
  if (minutes < 60) return `in ${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `in ${hours} h`;
  return `in ${Math.round(hours / 24)} d`;
}

/** `Mon 03:00 UTC` for an ISO time. */
export function weekdayTimeUtc(iso: string): string {
  const d = new Date(iso);
  return `${WEEKDAYS[d.getUTCDay()].slice(0, 3)} ${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )} UTC`;
}

/** `next run in 5 h (Mon 03:00 UTC)`; undefined without a readable time. */
export function describeNextRun(
  nextRunAt: string | undefined,
  now: number = Date.now(),
): string | undefined {
  if (!nextRunAt || Number.isNaN(Date.parse(nextRunAt))) return undefined;
  return `next run ${timeUntil(nextRunAt, now)} (${weekdayTimeUtc(nextRunAt)})`;
}

/** `guest` for `user:default/guest`; the text itself when it is no ref. */
export function userLabel(ref: string): string {
  try {
    const { kind, namespace, name } = parseEntityRef(ref, {
      defaultKind: 'user',
      defaultNamespace: 'default',
    });
    if (kind.toLocaleLowerCase('en-US') !== 'user') return ref;
    return namespace === 'default' ? name : `${namespace}/${name}`;
  } catch {
    return ref;
  }
}

/** The alert name of an `alert` trigger's `by` (`<alertname> <fingerprint>`). */
export function alertName(trigger: PipelineRunTrigger): string | undefined {
  return trigger.by?.trim().split(/\s+/)[0] || undefined;
}

/** What started a run, for people: `Schedule`, `Manual by guest`, `Alert ModelDriftHigh`. */
export function describeTrigger(trigger: PipelineRunTrigger): string {
  switch (trigger.type) {
    case 'schedule':
      return 'Schedule';
    case 'manual':
      return trigger.by ? `Manual by ${userLabel(trigger.by)}` : 'Manual';
    case 'alert': {
      const name = alertName(trigger);
      return name ? `Alert ${name}` : 'Alert';
    }
    default:
      return 'Unknown';
  }
}

/** `kubeflow fraud-training (gpu-cluster-a / fraud)`. */
export function describeOrchestrator(orchestrator: {
  type: string;
  id: string;
  cluster?: string;
  namespace?: string;
}): string {
  const where = [orchestrator.cluster, orchestrator.namespace]
    .filter(Boolean)
    .join(' / ');
  return `${orchestrator.type} ${orchestrator.id}${where ? ` (${where})` : ''}`;
}

/** Run parameter names: the API's rule, from ml-common. */
export const PARAMETER_NAME = PARAMETER_NAME_PATTERN;

/** Longest parameter value the backend accepts. */
export const MAX_PARAMETER_VALUE = PIPELINE_RUNS_LIMITS.maxParameterValueLength;
