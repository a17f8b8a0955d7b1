import { Size, SizeRoundingBehavior } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';

const BINARY_UNITS: Array<[string, number]> = [
  ['Pi', 1024 ** 4],
  ['Ti', 1024 ** 3],
  ['Gi', 1024 ** 2],
  ['Mi', 1024],
  ['Ki', 1],
];

/** The size in KiB, or undefined when it is a token or not a finite non-negative number. */
export function sizeInKibibytes(size: Size): number | undefined {
  try {
    const kib = size.toKibibytes({ rounding: SizeRoundingBehavior.NONE });
    return Number.isFinite(kib) && kib >= 0 ? kib : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A Kubernetes quantity for a size, in the largest binary unit that keeps it whole
 * (`Size.mebibytes(1536)` is `1536Mi`, `Size.gibibytes(2)` is `2Gi`). Unlike cdk8s-plus-27,
 * which only accepts whole GiB for ephemeral storage, any whole number of KiB works.
 */
export function sizeToQuantity(size: Size): string {
  const kib = sizeInKibibytes(size);
  if (kib === undefined || !Number.isInteger(kib)) {
    throw new Error(`size must be a whole number of KiB, got ${size.asString()}`);
  }
  if (kib === 0) {
    return '0';
  }
  for (const [unit, factor] of BINARY_UNITS) {
    if (kib % factor === 0) {
      return `${kib / factor}${unit}`;
    }
  }
  return `${kib}Ki`;
}

/** The CPU amount in millicores, or undefined when it is not a plain number. */
export function cpuInMillis(cpu: Cpu): number | undefined {
  const amount = cpu.amount;
  const m = /^([0-9]+(?:\.[0-9]+)?)(m?)$/.exec(amount);
  if (!m) {
    return undefined;
  }
  const value = Number(m[1]);
  return m[2] === 'm' ? value : value * 1000;
}

/** A Kubernetes quantity for a CPU amount, normalised to millicores unless whole cores. */
export function cpuToQuantity(cpu: Cpu): string {
  const millis = cpuInMillis(cpu);
  if (millis === undefined || !Number.isInteger(millis)) {
    throw new Error(`cpu must be a whole number of millicores, got ${cpu.amount}`);
  }
  return millis % 1000 === 0 ? `${millis / 1000}` : `${millis}m`;
}
