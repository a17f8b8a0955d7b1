import { PropErrors } from './errors';
import { TIME_ZONE_NAMES } from './time-zone-names.generated';

const ZONES = new Set(TIME_ZONE_NAMES);
/** What the API server accepts in each `/`-separated part of a CronJob's `timeZone`. */
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * Why a CronJob `timeZone` would be refused, or undefined when it is accepted. Checked as the API
 * server's CronJob validation and the CronJob controller do (Go's `time.LoadLocation`): the name
 * must exist in the IANA time zone database exactly as spelled (`'Europe/Paris'`, `'Etc/UTC'`,
 * `'UTC'`; never `'europe/paris'` or `'utc'`, which Node's `Intl` accepts), and `Local` is
 * refused because it depends on the controller's machine.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
 */
export function timeZoneProblem(zone: unknown): string | undefined {
  const rule = 'an IANA time zone name, exactly as spelled (e.g. "Europe/Paris", "Etc/UTC")';
  if (typeof zone !== 'string' || zone.length === 0) {
    return rule;
  }
  if (zone.split('/').some((part) => part === '.' || part === '..' || part.startsWith('-') || !ZONE_PART.test(part))) {
    return rule;
  }
  if (zone.toLowerCase() === 'local') {
    return `${rule}, not "Local" (it would be the time zone of the controller's machine)`;
  }
  return ZONES.has(zone) ? undefined : rule;
}

/** Whether `zone` is a time zone name the CronJob controller resolves. */
export function isTimeZone(zone: unknown): boolean {
  return timeZoneProblem(zone) === undefined;
}

/** Records a problem with a CronJob time zone on `errors`; returns whether it is accepted. */
export function checkTimeZone(errors: PropErrors, prop: string, zone: unknown): boolean {
  const problem = timeZoneProblem(zone);
  return errors.check(problem === undefined, prop, problem ?? '', zone);
}
