/**
 * The property fuzzer every pattern shares. For random (often hostile) props it asserts the
 * library's promise: the constructor throws our error (construct path, then
 * `<prop> must be <rule>, got <value>` for every problem), or synthesis fails the construct's
 * validation (what needs every `addXxx()` call: cdk8s lists `[path] <prop> must be ...` lines),
 * or the synthesized objects pass the
 * shared validator (strict schema walk, int32/int64 ranges, plain quantities, no NUL: the jest
 * setup runs it on every `Testing.synth()`); never a TypeError, a RangeError or an error from
 * below without our context.
 *
 * Cases per pattern: FUZZ_RUNS (default 300, what `npm test` runs; `npm run fuzz` runs 10,000).
 * FUZZ_SEED fixes the seed (default: a fixed one, so `npm test` is deterministic).
 *
 * Adding a pattern: an arbitrary of its props and a `build` that constructs it in a chart, then
 * `fuzzPattern({...})` in `test/fuzz/<pattern>.fuzz.test.ts`.
 */
import { Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';

export interface FuzzTarget<P> {
  /** Shown in the summary line. */
  readonly pattern: string;
  /** Random props, valid and hostile. */
  readonly props: fc.Arbitrary<P>;
  /** Constructs the pattern with id `id` in `chart`. */
  readonly build: (chart: Chart, id: string, props: P) => void;
}

export interface FuzzOutcome {
  readonly runs: number;
  readonly synthesized: number;
  readonly rejected: number;
  readonly objects: number;
  readonly millis: number;
}

/** One problem: `<prop> must be <rule>, got <value>`. */
const PROBLEM = /^\S.* must be .+, got .+$/;

/** Whether `message` is our error for the construct at `path`. */
export function isPropErrorsMessage(message: string, path: string): boolean {
  const prefix = `[${path}] `;
  if (!message.startsWith(prefix)) {
    return false;
  }
  const rest = message.slice(prefix.length);
  const many = /^(\d+) invalid props:\n/.exec(rest);
  if (!many) {
    return PROBLEM.test(rest);
  }
  const lines = rest.slice(many[0].length).split('\n');
  return lines.length === Number(many[1]) && lines.every((l) => l.startsWith('  - ') && PROBLEM.test(l.slice(4)));
}

const VALIDATION = 'Validation failed with the following errors:\n';

/** Whether `message` is cdk8s's validation error listing only our problems for the construct at `path`. */
export function isValidationMessage(message: string, path: string): boolean {
  if (!message.startsWith(VALIDATION)) {
    return false;
  }
  const lines = message.slice(VALIDATION.length).split('\n');
  const prefix = `  [${path}] `;
  return lines.every((l) => l.startsWith(prefix) && PROBLEM.test(l.slice(prefix.length)));
}

/** The failure of the property for an error that is not ours. */
function notOurs(e: unknown): Error {
  return new Error(`not our error: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`);
}

/** Whether `e` is one of our errors (never a TypeError or RangeError from below), as `check` reads its message. */
function isOurError(e: unknown, path: string, check: (message: string, path: string) => boolean): boolean {
  return e instanceof Error && !(e instanceof TypeError) && !(e instanceof RangeError) && check(e.message, path);
}

export function fuzzRuns(): number {
  const runs = Number(process.env.FUZZ_RUNS ?? 300);
  return Number.isInteger(runs) && runs > 0 ? runs : 300;
}

/** Runs the property for `target`; throws (with fast-check's counterexample) when it fails. */
export function fuzzPattern<P>(target: FuzzTarget<P>): FuzzOutcome {
  const runs = fuzzRuns();
  const seed = Number(process.env.FUZZ_SEED ?? 20261202);
  let synthesized = 0;
  let rejected = 0;
  let objects = 0;
  const t0 = Date.now();
  fc.assert(
    fc.property(target.props, (props) => {
      const chart = Testing.chart();
      const reject = (e: unknown, check: (message: string, path: string) => boolean) => {
        if (!isOurError(e, 'test/fuzzed', check)) {
          throw notOurs(e);
        }
        rejected++;
        if (process.env.FUZZ_DEBUG === '1') console.log((e as Error).message);
      };
      try {
        target.build(chart, 'fuzzed', props);
      } catch (e) {
        reject(e, isPropErrorsMessage);
        return;
      }
      // the jest setup validates every object (strict schema walk and value ranges) in synth
      let out: unknown[];
      try {
        out = Testing.synth(chart);
      } catch (e) {
        reject(e, isValidationMessage);
        return;
      }
      if (out.length === 0) {
        throw new Error('accepted props synthesized no object');
      }
      objects += out.length;
      synthesized++;
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  const outcome = { runs, synthesized, rejected, objects, millis: Date.now() - t0 };
  if (process.env.FUZZ_REPORT === '1' || runs >= 1000) {
    console.log(
      `fuzz ${target.pattern}: ${runs} cases in ${(outcome.millis / 1000).toFixed(1)}s: ${synthesized} synthesized (${objects} objects validated), ${rejected} rejected with a prop error, 0 crashes`,
    );
  }
  return outcome;
}
