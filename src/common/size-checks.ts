import { Size } from 'cdk8s';
import { PropErrors } from './errors';
import { sizeInKibibytes, sizeToQuantity } from './quantities';

/**
 * The largest size, in KiB, this library writes as a quantity: 9007199254740 KiB (just under
 * 8 PiB). The API server reads memory and storage amounts in thousandths of a byte (an int64):
 * past (2^63 - 1) / 1000 bytes that value overflows and every apply warns `fractional byte value
 * ... is invalid`. Below it the quantity never prints in exponent form (`1e+21`) either.
 */
export const MAX_QUANTITY_KIB = Math.floor((2 ** 63 - 1) / 1000 / 1024);

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
