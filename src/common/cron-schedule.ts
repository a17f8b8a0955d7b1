import { PropErrors } from './errors';

/**
 * CronJob schedules, checked field by field as the CronJob controller parses them
 * (`github.com/robfig/cron/v3`, `ParseStandard`): five fields (minute, hour, day of month, month,
 * day of week), each a comma-separated list of `*`, `?`, `N`, `N-M`, optionally with `/STEP`;
 * months and days of the week also by name (`jan`, `mon`); or one of the `@` descriptors.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */

interface FieldBounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
/** A Go `time.ParseDuration` string, as `@every` takes. */
const GO_DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$/;

/** Go's strconv.Atoi for a cron number: optional sign, decimal digits, no negatives. */
function parseNumber(text: string, what: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    return `${what} ${JSON.stringify(text)} is not a number`;
  }
  const n = Number(text);
  if (n < 0) {
    return `${what} ${text} is negative`;
  }
  if (!Number.isSafeInteger(n)) {
    return `${what} ${text} is out of range`;
  }
  return n;
}

function parseValue(text: string, field: FieldBounds): number | string {
  const named = field.names?.[text.toLowerCase()];
  return named ?? parseNumber(text, `${field.name} value`);
}

/** Why one comma-separated part of a field is refused, or undefined. */
function rangeProblem(part: string, field: FieldBounds): string | undefined {
  const rangeAndStep = part.split('/');
  if (rangeAndStep.length > 2) {
    return `${field.name} ${JSON.stringify(part)} has more than one "/"`;
  }
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    if (lowAndHigh.length > 1) {
      return `${field.name} ${JSON.stringify(part)} has a "-" after ${JSON.stringify(lowAndHigh[0])}`;
    }
    start = field.min;
    end = field.max;
  } else {
    if (lowAndHigh.length > 2) {
      return `${field.name} ${JSON.stringify(part)} has more than one "-"`;
    }
    const low = parseValue(lowAndHigh[0], field);
    if (typeof low === 'string') {
      return low;
    }
    start = low;
    end = low;
    if (lowAndHigh.length === 2) {
      const high = parseValue(lowAndHigh[1], field);
      if (typeof high === 'string') {
        return high;
      }
      end = high;
    }
  }
  if (rangeAndStep.length === 2) {
    const step = parseNumber(rangeAndStep[1], `${field.name} step`);
    if (typeof step === 'string') {
      return step;
    }
    if (step === 0) {
      return `${field.name} step in ${JSON.stringify(part)} must be positive`;
    }
    if (lowAndHigh.length === 1) {
      end = field.max; // "N/S" means N-max/S
    }
  }
  if (start < field.min) {
    return `${field.name} ${start} is below ${field.min}`;
  }
  if (end > field.max) {
    return `${field.name} ${end} is above ${field.max}`;
  }
  if (start > end) {
    return `${field.name} range ${JSON.stringify(part)} starts after it ends`;
  }
  return undefined;
}

/**
 * Why a CronJob schedule would be refused by the API server or never parsed by the CronJob
 * controller, or undefined when it is accepted. `TZ=` and `CRON_TZ=` prefixes are refused: the
 * time zone belongs in the CronJob's `timeZone` field.
 */
export function cronScheduleProblem(schedule: unknown): string | undefined {
  if (typeof schedule !== 'string' || schedule.trim().length === 0) {
    return 'a non-empty schedule';
  }
  if (/\b(?:CRON_)?TZ=/.test(schedule)) {
    return 'a schedule without TZ= or CRON_TZ= (use the time zone field)';
  }
  if (schedule.startsWith('@')) {
    // the controller matches descriptors on the whole string
    if (schedule.startsWith('@every ')) {
      return GO_DURATION.test(schedule.slice('@every '.length)) ? undefined : '"@every " followed by one Go duration such as "1h30m"';
    }
    return DESCRIPTORS.has(schedule) ? undefined : `a known descriptor (${[...DESCRIPTORS].join(', ')}, @every <duration>)`;
  }
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `five fields (minute, hour, day of month, month, day of week), not ${fields.length}`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    for (const part of fields[i].split(',')) {
      const problem = rangeProblem(part, FIELDS[i]);
      if (problem !== undefined) {
        return problem;
      }
    }
  }
  return undefined;
}

/** Records a problem with a CronJob schedule on `errors`; returns whether it is accepted. */
export function checkCronSchedule(errors: PropErrors, prop: string, schedule: unknown): boolean {
  const problem = cronScheduleProblem(schedule);
  return errors.check(problem === undefined, prop, `a cron schedule the CronJob controller accepts (${problem})`, schedule);
}
