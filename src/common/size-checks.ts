import { Size } from 'cdk8s';
import { PropErrors } from './errors';
import { sizeInKibibytes, sizeToQuantity } from './quantities';

/**
 * The largest size, in KiB, this library writes as a quantity: 2^53 - 1 KiB (just under 8 EiB),
 * the largest whole number JavaScript holds exactly. In bytes it stays below 2^63, the int64
 * the kubelet and the scheduler compute with, and it never prints in exponent form (`1e+21`),
 * which is not a Kubernetes quantity.
 */
export const MAX_QUANTITY_KIB = Number.MAX_SAFE_INTEGER;

/** How a Size prop is shown in an error: `1e+30Gi`, `NaNMi`. */
export function describeSize(value: unknown): unknown {
  try {
    return value instanceof Size ? value.asString() : value;
  } catch {
    return value;
  }
}

/**
 * A Size as whole KiB from `minKib` to `maxKib` (at most {@link MAX_QUANTITY_KIB}), or undefined
 * after recording a problem on `errors`.
 */
export function checkSizeKib(
  errors: PropErrors,
  prop: string,
  value: Size | undefined,
  minKib: number = 1,
  maxKib: number = MAX_QUANTITY_KIB,
): number | undefined {
  const hi = Math.min(maxKib, MAX_QUANTITY_KIB);
  const kib = value instanceof Size ? sizeInKibibytes(value) : undefined;
  if (kib !== undefined && Number.isInteger(kib) && kib >= minKib && kib <= hi) {
    return kib;
  }
  errors.add(prop, `a whole number of KiB from ${minKib} to ${hi}`, describeSize(value));
  return undefined;
}

/**
 * A Size as a Kubernetes quantity (`512Mi`, `2Gi`), or undefined after recording a problem on
 * `errors` (not whole KiB, below `minKib`, or too large to be written as a quantity).
 */
export function checkSizeQuantity(
  errors: PropErrors,
  prop: string,
  value: Size | undefined,
  minKib: number = 1,
  maxKib: number = MAX_QUANTITY_KIB,
): string | undefined {
  const kib = checkSizeKib(errors, prop, value, minKib, maxKib);
  return kib === undefined ? undefined : sizeToQuantity(Size.kibibytes(kib));
}
