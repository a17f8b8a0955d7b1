/**
 * Building blocks for the property fuzzers: arbitraries for valid values mixed with the hostile
 * classes a user can pass through a typed API (integers past int32 and int64, NaN and
 * infinities, Durations that are not whole seconds, Sizes that would print in exponent form,
 * strings with NUL bytes or that are not names).
 */
import { Duration, Size } from 'cdk8s';
import * as fc from 'fast-check';

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

/** Strings no process or name takes: NUL bytes, control characters, empty, very long, unicode. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('', ' ', 'a'.repeat(64), 'a\u0000b', '\u0000', 'line\nbreak', 'tab\there', 'x'.repeat(300), 'Ünïcödé', '$(rm -rf /)', '../..'),
  fc.string({ maxLength: 12 }),
);

/** One of `valid`, or a hostile string. */
export function text(...valid: string[]): fc.Arbitrary<string> {
  return mostly(fc.constantFrom(...valid), hostileString);
}
