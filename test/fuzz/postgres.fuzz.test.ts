import { fuzzPattern } from './harness';
import { buildPostgres, postgresProps } from './postgres-props';

test('StatefulPostgres: random and hostile props give our prop error or valid objects, never a crash', () => {
  const outcome = fuzzPattern({ pattern: 'StatefulPostgres', props: postgresProps, build: buildPostgres });
  // both outcomes are exercised, or the property proves little
  expect(outcome.synthesized).toBeGreaterThan(0);
  expect(outcome.rejected).toBeGreaterThan(0);
});
