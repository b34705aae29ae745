// The schema checks a schedule's shape; this checks that the numbers and names
// in it exist, so "61 * * * *" fails in the catalog instead of in the
// orchestrator at 3 am.

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday as well, as in Vixie cron and Kubernetes CronJobs.
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

function parseValue(text: string, field: CronField): number | undefined {
  if (/^[0-9]+$/.test(text)) return Number(text);
  const index = field.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index < 0) return undefined;
  return field.name === 'month' ? index + 1 : index;
}

function checkPart(part: string, field: CronField): string | undefined {
  const [range, step] = part.split('/');
  if (step !== undefined && Number(step) < 1) {
    return `has an invalid ${field.name} step "/${step}" (expected at least 1)`;
  }
  if (range === '*') return undefined;
  const bounds = range.split('-');
  const values: number[] = [];
  for (const bound of bounds) {
    const value = parseValue(bound, field);
    if (value === undefined || value < field.min || value > field.max) {
      const names = field.names
        ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}`
        : '';
      return `has an invalid ${field.name} "${bound}" (expected ${field.min}-${field.max}${names})`;
    }
    values.push(value);
  }
  if (values.length === 2 && values[0] > values[1]) {
    return `has a backwards ${field.name} range "${range}"`;
  }
  return undefined;
}

/**
 * Checks the values of a cron expression whose shape is already valid.
 *
 * @returns why it is invalid, or undefined when it is fine.
 */
export function checkCronValues(expression: string): string | undefined {
  if (expression.startsWith('@')) return undefined;
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) return undefined;
  for (let i = 0; i < FIELDS.length; i++) {
    for (const part of parts[i].split(',')) {
      const problem = checkPart(part, FIELDS[i]);
      if (problem) return problem;
    }
  }
  return undefined;
}
