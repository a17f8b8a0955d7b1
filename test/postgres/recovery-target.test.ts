import { normalizeRecoveryTargetTime } from '../../src/postgres/recovery-target';

describe('recoveryTargetTime reaches pgBackRest in the one form it and PostgreSQL both read', () => {
  test.each([
    ['2025-01-31 12:00:00+00', '2025-01-31 12:00:00+00:00'],
    ['2025-01-31 12:00:00-05:00', '2025-01-31 12:00:00-05:00'],
    ['2025-01-31 12:00:00+0530', '2025-01-31 12:00:00+05:30'],
    ['2026-12-02T07:17:56.831853Z', '2026-12-02 07:17:56.831853+00:00'],
    ['2026-12-02T07:17:56+01:00', '2026-12-02 07:17:56+01:00'],
    ['2026-12-02 07:17:56,5Z', '2026-12-02 07:17:56.5+00:00'],
    ['2024-02-29 23:59:59+14', '2024-02-29 23:59:59+14:00'],
  ])('%s becomes %s', (input, output) => {
    expect(normalizeRecoveryTargetTime(input)).toBe(output);
  });

  test.each([
    '2026-12-02 07:17',
    '2026-12-02 07:17:56',
    '2026-12-02T07:17:56',
    '2026-12-02 07:17:56.1234567Z',
    '2026-12-02 07:17:56 UTC',
    '2026-1-2 07:17:56Z',
    '2026-02-30 07:17:56Z',
    '2026-12-02 24:00:00Z',
    '2026-12-02 07:60:00Z',
    'yesterday',
    '',
  ])('%s is refused', (input) => {
    expect(normalizeRecoveryTargetTime(input)).toBeUndefined();
  });
});
