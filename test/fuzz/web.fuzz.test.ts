import { fuzzPattern, isPropErrorsMessage } from './harness';
import { buildWebApp, webProps } from './web-props';

test('WebAppWithIngress: random and hostile props give our prop error or valid objects, never a crash', () => {
  const outcome = fuzzPattern({ pattern: 'WebAppWithIngress', props: webProps, build: buildWebApp });
  // both outcomes are exercised, or the property proves little
  expect(outcome.synthesized).toBeGreaterThan(0);
  expect(outcome.rejected).toBeGreaterThan(0);
});

test('the harness tells our errors from others', () => {
  expect(isPropErrorsMessage('[test/fuzzed] port must be an integer from 1 to 65535, got 70000', 'test/fuzzed')).toBe(true);
  expect(
    isPropErrorsMessage(
      '[test/fuzzed] 2 invalid props:\n  - port must be an integer from 1 to 65535, got 70000\n  - host must be a DNS-1123 subdomain, got ""',
      'test/fuzzed',
    ),
  ).toBe(true);
  expect(isPropErrorsMessage("'30500 millis' cannot be converted into a whole number of seconds.", 'test/fuzzed')).toBe(false);
  expect(isPropErrorsMessage('[test/fuzzed] something broke', 'test/fuzzed')).toBe(false);
  expect(isPropErrorsMessage('[test/fuzzed] 2 invalid props:\n  - port must be x, got 1', 'test/fuzzed')).toBe(false);
});
