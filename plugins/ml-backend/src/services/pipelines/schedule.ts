import { CronTime } from 'cron';

// The cron package knows these under other names, or not at all.
const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * The next time a Pipeline's `spec.schedule` fires after `from`, in UTC, as
 * an ISO 8601 string. Schedules are 5-field cron expressions (minute hour
 * day-of-month month day-of-week, months 1-12, Sunday 0 or 7, names like
 * `mon` and `jan` allowed) or one of `@hourly`, `@daily`/`@midnight`,
 * `@weekly`, `@monthly`, `@yearly`/`@annually`. When both day fields are
 * restricted, either matching is enough, as in Vixie cron.
 *
 * @throws TypeError naming the problem when the expression is not one of those.
 * @internal
 */
export function nextRunAt(schedule: string, from: Date = new Date()): string {
  const trimmed = schedule.trim();
  const expression = ALIASES[trimmed.toLowerCase()] ?? trimmed;
  const fields = expression.split(/\s+/);
  if (expression.startsWith('@') || fields.length !== 5) {
    throw new TypeError(
      `schedule "${schedule}" is not a 5-field cron expression or one of ${Object.keys(
        ALIASES,
      ).join(', ')}`,
    );
  }
  let time: CronTime;
  try {
    // The cron package wants a seconds field first.
    time = new CronTime(`0 ${fields.join(' ')}`, 'UTC');
  } catch (e) {
    throw new TypeError(`schedule "${schedule}": ${(e as Error).message}`);
  }
  const next = time.getNextDateFrom(from, 'UTC');
  if (!next.isValid) {
    throw new TypeError(`schedule "${schedule}" never fires`);
  }
  return next.toUTC().toISO({ suppressMilliseconds: true })!;
}
