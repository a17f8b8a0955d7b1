import { PropErrors } from './errors';

/** The largest value of a Kubernetes `int32` field (replicas, ports, most counts). */
export const INT32_MAX = 2 ** 31 - 1;
/**
 * The largest `int64` value this library writes: JavaScript numbers are exact up to 2^53 - 1, so
 * larger values (which `int64` fields would hold) cannot be written exactly and are refused.
 */
export const INT64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/** Whether `value` is an integer from `min` to `max` (inclusive), never NaN or infinite. */
export function isIntegerInRange(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Records a problem unless `value` is an integer from `min` to `max` that fits a Kubernetes
 * `int32` field (the bounds are clamped to the int32 range); returns whether it does.
 */
export function checkInt32(errors: PropErrors, prop: string, value: unknown, min: number = 0, max: number = INT32_MAX): boolean {
  const lo = Math.max(min, -INT32_MAX - 1);
  const hi = Math.min(max, INT32_MAX);
  return errors.check(isIntegerInRange(value, lo, hi), prop, `an integer from ${lo} to ${hi}`, value);
}

/**
 * Records a problem unless `value` is an integer from `min` to `max` that an `int64` field holds
 * exactly (the bounds are clamped to +-(2^53 - 1)); returns whether it does.
 */
export function checkInt64(errors: PropErrors, prop: string, value: unknown, min: number = 0, max: number = INT64_SAFE_MAX): boolean {
  const lo = Math.max(min, -INT64_SAFE_MAX);
  const hi = Math.min(max, INT64_SAFE_MAX);
  return errors.check(isIntegerInRange(value, lo, hi), prop, `an integer from ${lo} to ${hi}`, value);
}
