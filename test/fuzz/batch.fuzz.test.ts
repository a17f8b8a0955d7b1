import { buildBatch, batchProps } from './batch-props';
import { fuzzPattern, isValidationMessage } from './harness';

test('SerialBatchJob: random and hostile props give our prop error or valid objects, never a crash', () => {
  const outcome = fuzzPattern({ pattern: 'SerialBatchJob', props: batchProps, build: buildBatch });
  // both outcomes are exercised, or the property proves little
  expect(outcome.synthesized).toBeGreaterThan(0);
  expect(outcome.rejected).toBeGreaterThan(0);
});

test("the harness tells cdk8s's validation error listing our problems from others", () => {
  const head = 'Validation failed with the following errors:\n';
  expect(
    isValidationMessage(`${head}  [test/fuzzed] steps must be a list of at least one step (pass steps or call addStep()), got 0`, 'test/fuzzed'),
  ).toBe(true);
  expect(
    isValidationMessage(
      `${head}  [test/fuzzed] steps["a"].dependsOn must be names of steps, got "x"\n  [test/fuzzed] activeDeadline must be given, got "1 seconds derived"`,
      'test/fuzzed',
    ),
  ).toBe(true);
  expect(isValidationMessage(`${head}  [test/other] steps must be a list, got 0`, 'test/fuzzed')).toBe(false);
  expect(isValidationMessage(`${head}  [test/fuzzed] something broke`, 'test/fuzzed')).toBe(false);
  expect(isValidationMessage('[test/fuzzed] steps must be a list, got 0', 'test/fuzzed')).toBe(false);
});
