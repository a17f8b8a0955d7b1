import { Duration } from 'cdk8s';
import { PropErrors } from './errors';
import { INT32_MAX, isIntegerInRange } from './number-ranges';

/** How a Duration prop is shown in an error: its amount and unit as given (`30500 millis`, `NaN seconds`). */
export function describeDuration(value: unknown): unknown {
  if (!(value instanceof Duration)) {
    return value;
  }
  const { amount, unit } = value as unknown as { amount?: unknown; unit?: { label?: unknown } };
  if (typeof amount === 'number' && typeof unit?.label === 'string') {
    return `${amount} ${unit.label}`;
  }
  return value.toHumanString();
}

/**
 * A Duration in whole seconds from `min` to `max` (clamped to int32, the type of every seconds
 * field of the Kubernetes API), or undefined after recording a problem on `errors`. Never lets an
 * error from cdk8s (`'30500 millis' cannot be converted into a whole number of seconds`) escape
 * without the construct path and the prop.
 */
export function checkWholeSeconds(
  errors: PropErrors,
  prop: string,
  value: Duration | undefined,
  min: number = 0,
  max: number = INT32_MAX,
): number | undefined {
  const hi = Math.min(max, INT32_MAX);
  let seconds: number | undefined;
  let below: string | undefined;
  try {
    seconds = value instanceof Duration ? value.toSeconds() : undefined;
  } catch (e) {
    below = e instanceof Error ? e.message : String(e);
  }
  if (isIntegerInRange(seconds, min, hi)) {
    return seconds;
  }
  const wholeHint = below !== undefined && /whole number/.test(below) ? '' : below !== undefined ? ` (${below})` : '';
  errors.add(prop, `a whole number of seconds from ${min} to ${hi}${wholeHint}`, describeDuration(value));
  return undefined;
}

/**
 * A Duration in whole milliseconds from `min` to `max` (for fields and settings in milliseconds),
 * or undefined after recording a problem on `errors`.
 */
export function checkWholeMillis(
  errors: PropErrors,
  prop: string,
  value: Duration | undefined,
  min: number = 0,
  max: number = INT32_MAX,
): number | undefined {
  let millis: number | undefined;
  let below: string | undefined;
  try {
    millis = value instanceof Duration ? value.toMilliseconds() : undefined;
  } catch (e) {
    below = e instanceof Error ? e.message : String(e);
  }
  if (isIntegerInRange(millis, min, max)) {
    return millis;
  }
  errors.add(prop, `a whole number of milliseconds from ${min} to ${max}${below !== undefined ? ` (${below})` : ''}`, describeDuration(value));
  return undefined;
}
