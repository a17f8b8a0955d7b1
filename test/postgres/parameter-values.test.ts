import { Testing } from 'cdk8s';
import { StatefulPostgres, StatefulPostgresProps } from '../../src';
import { PG15_PARAMETER_TYPES } from '../../src/postgres/parameter-types.generated';
import { isPgBool, parameterValueProblem, parsePgInteger, parsePgReal } from '../../src/postgres/parameter-values';
import { superuser, synthDb } from './fixtures';

function make(props: Partial<StatefulPostgresProps>): StatefulPostgres {
  const chart = Testing.chart();
  return new StatefulPostgres(chart, 'db', { superuserSecret: superuser(chart), ...props });
}

describe('booleans are read as parse_bool reads them', () => {
  test.each(['on', 'off', 'ON', 'Of', 'true', 'TRUE', 't', 'tr', 'f', 'fAlSe', 'yes', 'y', 'Ye', 'no', 'n', '1', '0'])('%s is a boolean', (v) => {
    expect(isPgBool(v)).toBe(true);
  });
  test.each(['', 'o', 'maybe', 'truex', 'onn', 'offf', '2', '01', ' on', 'on ', 'yess', 'nope', '\u212Aes'])('%j is no boolean', (v) => {
    expect(isPgBool(v)).toBe(false);
  });
});

describe('integers are read as parse_int reads them', () => {
  test.each<[string, string | undefined, number]>([
    ['42', undefined, 42],
    ['  -7', undefined, -7],
    ['0x10', undefined, 16],
    ['010', undefined, 8],
    ['1.5', undefined, 2],
    ['2.5', undefined, 2],
    ['1e3', undefined, 1000],
    ['.5', undefined, 0],
    ['2147483647', undefined, 2147483647],
    ['4MB', 'kB', 4096],
    ['4 MB ', 'kB', 4096],
    ['1GB', '8kB', 131072],
    ['1.5kB', 'kB', 2],
    ['1TB', 'MB', 1048576],
    ['2048B', 'kB', 2],
    ['1min', 'ms', 60000],
    ['1d', 's', 86400],
    ['90s', 'min', 2],
    ['1500us', 'ms', 2],
    ['0.5h', 'min', 30],
  ])('%j with base unit %s is %d', (value, unit, expected) => {
    expect(parsePgInteger(value, unit)).toBe(expected);
  });
  test.each<[string, string | undefined]>([
    ['lots', 'kB'],
    ['', undefined],
    ['99999999999999', 'kB'],
    ['2147483648', undefined],
    ['1XB', '8kB'],
    ['1mb', 'kB'],
    ['1KB', 'kB'],
    ['4MB', undefined],
    ['1s', 'kB'],
    ['1MB', 'ms'],
    ['1 MB x', 'kB'],
    ['09', undefined],
    ['0x', undefined],
    [' .5', undefined],
    ['nan', undefined],
    ['inf', undefined],
    ['1e400', undefined],
    ['3TB', 'kB'],
  ])('%j with base unit %s is refused', (value, unit) => {
    expect(parsePgInteger(value, unit)).toBeUndefined();
  });
});

describe('reals are read as parse_real reads them', () => {
  test.each<[string, string | undefined, number]>([
    ['0.9', undefined, 0.9],
    ['1e-3', undefined, 0.001],
    ['0x1p3', undefined, 8],
    ['inf', undefined, Infinity],
    ['2ms', 'ms', 2],
    ['1500us', 'ms', 1.5],
    ['1s', 'ms', 1000],
  ])('%j with base unit %s is %d', (value, unit, expected) => {
    expect(parsePgReal(value, unit)).toBe(expected);
  });
  test.each<[string, string | undefined]>([
    ['nan', undefined],
    ['lots', undefined],
    ['1ms', undefined],
    ['1e999', undefined],
    ['1kB', 'ms'],
  ])('%j with base unit %s is refused', (value, unit) => {
    expect(parsePgReal(value, unit)).toBeUndefined();
  });
});

describe('each value is checked against its parameter', () => {
  test.each<[string, string]>([
    ['work_mem', '64kB'],
    ['work_mem', '1TB'],
    ['shared_buffers', '128kB'],
    ['jit', 'Off'],
    ['wal_level', 'LOGICAL'],
    ['wal_level', 'hot_standby'],
    ['synchronous_commit', 'true'],
    ['checkpoint_completion_target', '0.9'],
    ['random_page_cost', '1.1'],
    ['vacuum_cost_delay', '100ms'],
    ['statement_timeout', '0'],
    ['log_min_duration_statement', '-1'],
    ['search_path', 'anything at all'],
    ['pg_stat_statements.max', 'not checked'],
  ])('%s = %j is taken', (name, value) => {
    expect(parameterValueProblem(name, value)).toBeUndefined();
  });
  test.each<[string, string, string]>([
    ['work_mem', '63kB', 'an integer from 64 to 2147483647 kB (or with a unit: B, kB, MB, GB, TB)'],
    ['shared_buffers', '1XB', 'an integer from 16 to 1073741823 8kB blocks (or with a unit: B, kB, MB, GB, TB)'],
    ['statement_timeout', '1 fortnight', 'an integer from 0 to 2147483647 ms (or with a unit: us, ms, s, min, h, d)'],
    ['max_wal_senders', '1MB', 'an integer from 0 to 262143'],
    ['jit', 'maybe', 'a boolean (on, off, true, false, yes, no, 1, 0 or a unique prefix of these)'],
    ['wal_level', 'verbose', 'one of "minimal", "replica", "logical"'],
    ['checkpoint_completion_target', '1.5', 'a number from 0 to 1'],
    ['vacuum_cost_delay', '1s', 'a number from 0 to 100 ms (or with a unit: us, ms, s, min, h, d)'],
  ])('%s = %j must be %s', (name, value, rule) => {
    expect(parameterValueProblem(name, value)).toBe(rule);
  });

  test('the table holds a type for every PostgreSQL 15 parameter name the name check knows', () => {
    const types = new Set(Object.values(PG15_PARAMETER_TYPES).map((t) => t.type));
    expect([...types].sort()).toEqual(['bool', 'enum', 'integer', 'real', 'string']);
    expect(Object.keys(PG15_PARAMETER_TYPES)).toHaveLength(334);
  });
});

describe('StatefulPostgres refuses parameter values PostgreSQL 15 refuses', () => {
  test.each<[Record<string, string>, string]>([
    [
      { work_mem: '99999999999999' },
      'parameters.work_mem must be an integer from 64 to 2147483647 kB (or with a unit: B, kB, MB, GB, TB), got "99999999999999"',
    ],
    [{ work_mem: 'lots' }, 'parameters.work_mem must be an integer from 64 to 2147483647 kB (or with a unit: B, kB, MB, GB, TB), got "lots"'],
    [
      { Shared_Buffers: '1XB' },
      'parameters.Shared_Buffers must be an integer from 16 to 1073741823 8kB blocks (or with a unit: B, kB, MB, GB, TB), got "1XB"',
    ],
    [{ jit: 'maybe' }, 'parameters.jit must be a boolean (on, off, true, false, yes, no, 1, 0 or a unique prefix of these), got "maybe"'],
    [{ wal_level: 'verbose' }, 'parameters.wal_level must be one of "minimal", "replica", "logical", got "verbose"'],
  ])('%j', (parameters, message) => {
    expect(() => make({ parameters })).toThrow(`[test/db] ${message}`);
  });

  test('every bad value is listed at once', () => {
    expect(() => make({ parameters: { jit: 'maybe', wal_level: 'verbose' } })).toThrow(
      /2 invalid props:\n {2}- parameters.jit must be .*\n {2}- parameters.wal_level must be/,
    );
  });

  test('an owned or unknown parameter gets its one name error, not a value error too', () => {
    expect(() => make({ parameters: { ssl: 'maybe' } })).toThrow(/^\[test\/db\] parameters.ssl must be left to the construct/);
  });

  test('good values of every type synthesize, as given', () => {
    const parameters = { work_mem: '4MB', jit: 'off', wal_level: 'Logical', random_page_cost: '1.1', statement_timeout: '30s' };
    const { objects } = synthDb({ parameters });
    expect(JSON.stringify(objects)).toContain("work_mem = '4MB'");
  });

  test('values of other majors are left to their server', () => {
    expect(() => make({ version: 17, parameters: { work_mem: 'lots' } })).not.toThrow();
  });
});
