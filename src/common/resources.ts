/**
 * Resolution of container resources, the same for every pattern: each value given replaces its
 * default, limits must be at least the requests, and every quantity is rendered the way the API
 * server prints it back (so `kubectl diff` stays quiet).
 */
import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PropErrors } from './errors';
import { cpuInMillis, cpuToQuantity, sizeInKibibytes, sizeToQuantity } from './quantities';
import { MAX_QUANTITY_KIB } from './size-checks';

/**
 * The most millicores this library writes: 2^53 - 1, exact in JavaScript and, as a quantity,
 * far below the int64 the scheduler computes with.
 */
const MAX_CPU_MILLIS = Number.MAX_SAFE_INTEGER;

/** The default requests and limits of one container. */
export interface ResourceDefaults {
  readonly cpuRequest: kplus.Cpu;
  readonly cpuLimit: kplus.Cpu;
  readonly memoryRequest: Size;
  readonly memoryLimit: Size;
  readonly ephemeralStorageRequest: Size;
  readonly ephemeralStorageLimit: Size;
}

/** Requests and limits as quantity strings, keyed by resource name. */
export interface ResolvedResources {
  readonly requests: Record<string, string>;
  readonly limits: Record<string, string>;
  /** The ephemeral-storage limit in KiB, for checks of what must fit in it. */
  readonly ephemeralStorageLimitKib: number;
}

function isWhole(value: number | undefined, min: number): value is number {
  return value !== undefined && Number.isInteger(value) && value >= min;
}

/**
 * Records a problem unless `value` is a whole amount from 1 to `max`: larger amounts would print in
 * exponent form (`9.5367431640625e+23Pi`), which is not a quantity.
 */
function checkAmount(errors: PropErrors, prop: string, value: number | undefined, unit: string, max: number, shown: unknown): value is number {
  if (!isWhole(value, 1)) {
    errors.add(prop, `a whole number of ${unit} greater than 0`, shown);
    return false;
  }
  return errors.check(value <= max, prop, `at most ${max} ${unit} (larger amounts are not Kubernetes quantities)`, shown);
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

function cpu(errors: PropErrors, value: kplus.Cpu | undefined, fallback: kplus.Cpu, prop: string): number {
  const millis = value === undefined ? cpuInMillis(fallback) : safe(() => cpuInMillis(value));
  return checkAmount(errors, prop, millis, 'millicores', MAX_CPU_MILLIS, safe(() => value?.amount) ?? value) ? millis : cpuInMillis(fallback)!;
}

function size(errors: PropErrors, value: Size | undefined, fallback: Size, prop: string): number {
  const kib = sizeInKibibytes(value ?? fallback);
  return checkAmount(errors, prop, kib, 'KiB', MAX_QUANTITY_KIB, safe(() => value?.asString()) ?? value) ? kib : sizeInKibibytes(fallback)!;
}

/** Checks `value` against the rules above and applies `defaults` to what it leaves out. */
export function resolveResources(
  errors: PropErrors,
  value: kplus.ContainerResources | undefined,
  defaults: ResourceDefaults,
  prop: string = 'resources',
): ResolvedResources {
  const r = value ?? {};
  const cpuReq = cpu(errors, r.cpu?.request, defaults.cpuRequest, `${prop}.cpu.request`);
  const cpuLim = cpu(errors, r.cpu?.limit, defaults.cpuLimit, `${prop}.cpu.limit`);
  errors.check(cpuLim >= cpuReq, `${prop}.cpu.limit`, `at least the request (${cpuReq}m)`, `${cpuLim}m`);
  const memReq = size(errors, r.memory?.request, defaults.memoryRequest, `${prop}.memory.request`);
  const memLim = size(errors, r.memory?.limit, defaults.memoryLimit, `${prop}.memory.limit`);
  errors.check(memLim >= memReq, `${prop}.memory.limit`, `at least the request (${memReq}Ki)`, `${memLim}Ki`);
  const ephReq = size(errors, r.ephemeralStorage?.request, defaults.ephemeralStorageRequest, `${prop}.ephemeralStorage.request`);
  const ephLim = size(errors, r.ephemeralStorage?.limit, defaults.ephemeralStorageLimit, `${prop}.ephemeralStorage.limit`);
  errors.check(ephLim >= ephReq, `${prop}.ephemeralStorage.limit`, `at least the request (${ephReq}Ki)`, `${ephLim}Ki`);
  return {
    requests: {
      cpu: cpuToQuantity(kplus.Cpu.millis(cpuReq)),
      'ephemeral-storage': sizeToQuantity(Size.kibibytes(ephReq)),
      memory: sizeToQuantity(Size.kibibytes(memReq)),
    },
    limits: {
      cpu: cpuToQuantity(kplus.Cpu.millis(cpuLim)),
      'ephemeral-storage': sizeToQuantity(Size.kibibytes(ephLim)),
      memory: sizeToQuantity(Size.kibibytes(memLim)),
    },
    ephemeralStorageLimitKib: ephLim,
  };
}

/** The resources as a typed k8s `ResourceRequirements`. */
export function toResourceRequirements(resources: ResolvedResources): kplus.k8s.ResourceRequirements {
  const quantities = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, kplus.k8s.Quantity.fromString(v)]));
  return { limits: quantities(resources.limits), requests: quantities(resources.requests) };
}
