/**
 * recoveryTargetTime: the forms pgBackRest's restore accepts for `--type=time --target`
 * (`YYYY-MM-DD HH:MM:SS`, optional fraction of up to 6 digits, optional `+HH`, `+HHMM` or
 * `+HH:MM` offset), plus the ISO 8601 spellings users copy from logs and APIs (`T` between date
 * and time, `Z` for UTC), converted to pgBackRest's form. The offset is required: without one,
 * pgBackRest and PostgreSQL each read the time in their own time zone.
 */

const FORM = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?(?:(Z)|([+-])([01]\d)(?::?([0-5]\d))?)$/;

/** What {@link normalizeRecoveryTargetTime} accepts, for error messages. */
export const RECOVERY_TARGET_TIME_RULE =
  'a time with seconds and a UTC offset, such as 2025-01-31 12:00:00+00 or 2025-01-31T12:00:00.5Z (at most 6 fraction digits)';

/**
 * The target in the form pgBackRest and PostgreSQL both read (`2025-01-31 12:00:00.5+00:00`),
 * or undefined when `value` is not a valid time in an accepted form.
 */
export function normalizeRecoveryTargetTime(value: string): string | undefined {
  const m = FORM.exec(value);
  if (!m) {
    return undefined;
  }
  const [, year, month, day, hour, minute, second, fraction, zulu, sign, offsetHours, offsetMinutes] = m;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const real = date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
  if (!real) {
    return undefined;
  }
  const offset = zulu ? '+00:00' : `${sign}${offsetHours}:${offsetMinutes ?? '00'}`;
  return `${year}-${month}-${day} ${hour}:${minute}:${second}${fraction ? `.${fraction}` : ''}${offset}`;
}
