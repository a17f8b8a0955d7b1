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
 * A Duration in whole `unit`s from `min` to `max`, or undefined after recording a problem on
 * `errors`. An error from cdk8s's conversion is named in the message, never thrown.
 */
function checkWholeUnits(
  errors: PropErrors,
  prop: string,
  value: Duration | undefined,
  unit: 'seconds' | 'milliseconds',
  min: number,
  max: number,
): number | undefined {
  let amount: number | undefined;
  let below: string | undefined;
  try {
    amount = value instanceof Duration ? (unit === 'seconds' ? value.toSeconds() : value.toMilliseconds()) : undefined;
  } catch (e) {
    below = e instanceof Error ? e.message : String(e);
  }
  if (isIntegerInRange(amount, min, max)) {
    return amount;
  }
  // for seconds, cdk8s's "cannot be converted into a whole number" says what the rule already says;
  // for milliseconds it explains a fraction the rule does not show
  const hint = below === undefined || (unit === 'seconds' && /whole number/.test(below)) ? '' : ` (${below})`;
  errors.add(prop, `a whole number of ${unit} from ${min} to ${max}${hint}`, describeDuration(value));
  return undefined;
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
  return checkWholeUnits(errors, prop, value, 'seconds', min, Math.min(max, INT32_MAX));
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
  return checkWholeUnits(errors, prop, value, 'milliseconds', min, max);
}
