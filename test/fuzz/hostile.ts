/**
 * Building blocks for the property fuzzers: arbitraries for valid values mixed with the hostile
 * classes a user can pass through a typed API (integers past int32 and int64, NaN and
 * infinities, Durations that are not whole seconds, Sizes that would print in exponent form,
 * strings with NUL bytes or that are not names).
 */
import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { Toleration } from '../../src';

/** Mostly `valid`, sometimes `hostile`: with dozens of props, most must be valid for a run to synthesize. */
export function mostly<T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>, weight: number = 60): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: valid, weight }, { arbitrary: hostile, weight: 1 });
}

/** Numbers no integer field takes. */
export const hostileNumber: fc.Arbitrary<number> = fc.constantFrom(2 ** 31, 2 ** 53, 1e22, -1, -(2 ** 31) - 1, 0.5, NaN, Infinity, -Infinity, -0);

/** An integer from `min` to `max`, or a hostile number. */
export function int(min: number, max: number): fc.Arbitrary<number> {
  return mostly(fc.integer({ min, max }), fc.oneof(hostileNumber, fc.integer({ min: min - 3, max: max + 3 })));
}

/** Durations that are not whole seconds, NaN, or far past any int32 seconds field. */
export const hostileDuration: fc.Arbitrary<Duration> = fc.constantFrom(
  Duration.millis(30500),
  Duration.millis(1),
  Duration.seconds(NaN),
  Duration.seconds(Infinity),
  Duration.seconds(1e22),
  Duration.days(100_000),
  Duration.seconds(0),
  Duration.seconds(2 ** 31),
);

/** Whole seconds from `min` to `max`, or a hostile Duration. */
export function seconds(min: number, max: number): fc.Arbitrary<Duration> {
  return mostly(
    fc.integer({ min, max }).map((s) => Duration.seconds(s)),
    hostileDuration,
  );
}

/** Sizes that would print in exponent form, overflow int64 bytes, are NaN or not whole KiB. */
export const hostileSize: fc.Arbitrary<Size> = fc.constantFrom(
  Size.gibibytes(1e30),
  Size.pebibyte(1e6),
  Size.mebibytes(NaN),
  Size.mebibytes(Infinity),
  Size.kibibytes(1.5),
  Size.mebibytes(0),
);

/** Whole MiB from `min` to `max`, or a hostile Size. */
export function mebibytes(min: number, max: number): fc.Arbitrary<Size> {
  return mostly(
    fc.integer({ min, max }).map((m) => Size.mebibytes(m)),
    hostileSize,
  );
}

/** Whole GiB from `min` to `max`, or a hostile Size (a fraction of a GiB among them). */
export function gibibytes(min: number, max: number): fc.Arbitrary<Size> {
  return mostly(
    fc.integer({ min, max }).map((g) => Size.gibibytes(g)),
    fc.oneof(hostileSize, fc.constant(Size.mebibytes(1536))),
  );
}

/** Strings no process or name takes: NUL bytes, control characters, empty, very long, unicode. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'a'.repeat(64), 'a\u0000b', '\u0000', 'line\nbreak', 'tab\there', 'x'.repeat(300), 'Ünïcödé', '$(rm -rf /)', '../..'),
  fc.string({ maxLength: 12 }),
);

/** One of `valid`, or a hostile string. */
export function text(...valid: string[]): fc.Arbitrary<string> {
  return mostly(fc.constantFrom(...valid), hostileString);
}

/** A pair `[lo, hi]` with `min <= lo <= hi <= max`. */
export function ordered(min: number, max: number): fc.Arbitrary<[number, number]> {
  return fc.integer({ min, max }).chain((lo) => fc.tuple(fc.constant(lo), fc.integer({ min: lo, max })));
}

/** Millicores from 1 to 4000, or CPUs no quantity takes (NaN, fractions, exponent form, negative). */
export const cpu: fc.Arbitrary<kplus.Cpu> = mostly(
  fc.integer({ min: 1, max: 4000 }).map((m) => kplus.Cpu.millis(m)),
  fc.constantFrom(kplus.Cpu.millis(NaN), kplus.Cpu.millis(0.5), kplus.Cpu.units(1e22), kplus.Cpu.millis(1e20), kplus.Cpu.millis(-1)),
);

/** Container requests and limits: ordered ones, or any mix of valid and hostile amounts. */
export const containerResources: fc.Arbitrary<kplus.ContainerResources> = mostly(
  fc.record(
    {
      cpu: ordered(1, 4000).map(([r, l]) => ({ request: kplus.Cpu.millis(r), limit: kplus.Cpu.millis(l) })),
      memory: ordered(1, 4096).map(([r, l]) => ({ request: Size.mebibytes(r), limit: Size.mebibytes(l) })),
      ephemeralStorage: ordered(1, 512).map(([r]) => ({ request: Size.mebibytes(r), limit: Size.mebibytes(2048) })),
    },
    { requiredKeys: [] },
  ),
  fc.record(
    {
      cpu: fc.record({ request: cpu, limit: cpu }, { requiredKeys: [] }),
      memory: fc.record({ request: mebibytes(1, 4096), limit: mebibytes(1, 4096) }, { requiredKeys: [] }),
      ephemeralStorage: fc.record({ request: mebibytes(1, 512), limit: mebibytes(512, 4096) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
);

/** An env or config value: any short string, sometimes a hostile one. */
export const envValue: fc.Arbitrary<string> = mostly(fc.string({ maxLength: 20 }), hostileString);

/** Tolerations the API server takes: `Equal` with a value, or `Exists`; seconds only with `NoExecute`. */
const validToleration: fc.Arbitrary<Toleration> = fc.oneof(
  fc.record(
    {
      key: fc.constantFrom('dedicated', 'example.com/gpu'),
      operator: fc.constant('Equal'),
      value: fc.constantFrom('batch', 'web'),
      effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule'),
    },
    { requiredKeys: ['key'] },
  ),
  fc.record(
    {
      key: fc.constant('dedicated'),
      operator: fc.constant('Exists'),
      effect: fc.constant('NoExecute'),
      tolerationSeconds: fc.integer({ min: 0, max: 3600 }),
    },
    { requiredKeys: ['operator'] },
  ),
);

/** Any mix of the toleration fields, valid or not. */
const hostileToleration: fc.Arbitrary<Toleration> = fc.record(
  {
    key: text('dedicated'),
    operator: text('Equal', 'Exists'),
    value: text('web'),
    effect: text('NoSchedule', 'NoExecute'),
    tolerationSeconds: int(0, 3600),
  },
  { requiredKeys: [] },
);

/** The `PodOptions` every pattern takes, except `volumes` (they need objects made in the chart). */
export function podOptions(name: fc.Arbitrary<string>) {
  return {
    nodeSelector: fc.dictionary(text('kubernetes.io/os', 'topology.kubernetes.io/zone'), text('linux', 'eu-west-1a'), { maxKeys: 2 }),
    tolerations: fc.array(mostly(validToleration, hostileToleration), { maxLength: 2 }),
    podLabels: fc.dictionary(text('team', 'example.com/tier'), text('shop', 'frontend'), { maxKeys: 2 }),
    podAnnotations: fc.dictionary(text('example.com/note'), envValue, { maxKeys: 2 }),
    imagePullSecrets: mostly(fc.uniqueArray(fc.constantFrom('registry-acme', 'registry-mirror'), { maxLength: 2 }), fc.array(name, { maxLength: 2 })),
    priorityClassName: name,
  };
}
