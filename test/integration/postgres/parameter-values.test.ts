/**
 * StatefulPostgres's parameter value check against a real PostgreSQL 15: the committed table is
 * what the installed server reports, and for a corpus of values tried on every non-string
 * parameter, the check refuses exactly the values the server refuses when it loads them from a
 * postgresql.conf written as the construct writes it (parameters whose check hook refuses more are
 * listed below: there the check may accept what the server refuses, never the reverse).
 */
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { StatefulPostgres } from '../../../src';
import { PG15_PARAMETER_TYPES } from '../../../src/postgres/parameter-types.generated';
import { parameterValueProblem } from '../../../src/postgres/parameter-values';
import { confValue } from '../../../src/postgres/postgresql-conf';
import { describeWithTools, pgBinDir, tool } from '../support/binaries';
import { initdb } from '../support/postgres-server';
import { formatResult, run } from '../support/processes';
import { Sandbox } from '../support/sandbox';

jest.setTimeout(120_000);

/** Values tried on every non-string parameter: every type's spellings, units, edges and garbage. */
const CORPUS = [
  ...['', 'lots', 'maybe', 'verbose', '1XB', '99999999999999', '-99999999999999', '2147483647', '2147483648', '-2147483649'],
  ...['0', '1', '-1', '2', '16', '64', '100', '1000', '1.5', '2.5', '0.5', '.5', ' .5', '1e3', '1e-3', '1e400', '0x10', '010', '09', '0x', '0x1p3'],
  ...['inf', '-inf', 'nan', ' 5', '5 ', '1B', '1kB', '1.5kB', '64kB', '4MB', '1GB', '1TB', '2TB', '1kb', '1KB', '1mb', '8kB'],
  ...['1us', '1500us', '1ms', '100 ms', '1s', '30s', '1min', '1h', '1d', '1.5d', '1 fortnight', '1 MB x'],
  ...['on', 'off', 'ON', 'Of', 'o', 'true', 'tru', 't', 'false', 'F', 'yes', 'y', 'no', 'n', 'truex', 'onn'],
  ...['+5', '-0', '1e', '1E3', '0X1A', '1.5e3kB', '1\tkB', '-0.5', '1e-7', '1e-400', '0x1.8p1', '4 MB', '4MB ', '4MBs', '1\u00a0MB'],
  ...['\u212Aes', 'ＯＮ', 'on\u00a0', 'debug1', 'DEBUG5', 'repeatable read', 'Safe_Encoding', 'auto', 'regress', 'always', 'md5'],
  ...['debug', 'archive', 'hot_standby', 'LOGICAL', 'Replica', 'try', 'lz4', 'pglz', 'local', 'scram-sha-256', 'TLSv1.3'],
];

/** Parameters whose check hook refuses values the GUC parser takes (the hook's rule, as PostgreSQL 15 states it). */
const CHECK_HOOKS: { readonly [name: string]: string } = {
  max_stack_depth: 'at most the stack rlimit less a safety margin',
  log_statement_stats: 'not on together with log_parser_stats, log_planner_stats or log_executor_stats',
  max_connections: 'with autovacuum_max_workers, max_worker_processes and max_wal_senders at most 262143 backends',
  autovacuum_max_workers: 'with max_connections, max_worker_processes and max_wal_senders at most 262143 backends',
  max_worker_processes: 'with max_connections, autovacuum_max_workers and max_wal_senders at most 262143 backends',
  max_wal_senders: 'with max_connections, autovacuum_max_workers and max_worker_processes at most 262143 backends',
};

const NUMERIC = Object.entries(PG15_PARAMETER_TYPES)
  .filter(([, t]) => t.type !== 'string')
  .map(([name]) => name);

/** Each parameter's min, max and one past them, and its enum values in another case. */
function edges(name: string): string[] {
  const t = PG15_PARAMETER_TYPES[name];
  if (t.type === 'integer' || t.type === 'real') {
    const step = t.type === 'integer' ? 1 : 0.001;
    return [t.min!, t.max!, t.min! - step, t.max! + step].filter((v) => Number.isFinite(v) && Math.abs(v) < 1e300).map(String);
  }
  return [...(t.values ?? []).map((v) => v.toUpperCase()), ...(t.hidden ?? [])];
}

describeWithTools('parameter values on a real PostgreSQL 15', ['postgres', 'initdb'], () => {
  let sandbox: Sandbox;
  let dataDir: string;
  let files = 0;

  beforeAll(async () => {
    sandbox = Sandbox.create('pg-values');
    dataDir = path.join(sandbox.root, 'data');
    await initdb(sandbox, dataDir);
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  /** Loads the settings as the server does at start (`postgres -C`); returns the parameters it refused. */
  async function refused(settings: Record<string, string>): Promise<Set<string>> {
    const text = Object.entries(settings)
      .map(([n, v]) => `${n} = ${confValue(v)}`)
      .join('\n');
    const file = sandbox.writeFile(`values-${files++}.conf`, `${text}\n`);
    const r = await run(tool('postgres'), ['-D', dataDir, '-c', `config_file=${file}`, '-C', 'server_version_num'], { user: sandbox.user });
    const names = [...r.stderr.matchAll(/(?:LOG|FATAL): .*parameter "([^"]+)"/g)].map((m) => m[1]);
    if (r.code === 0) {
      expect(names).toEqual([]);
    } else {
      expect(formatResult(r)).toMatch(/contains errors/);
    }
    return new Set(names);
  }

  test('the committed table is what the installed server reports', async () => {
    const script = path.join(__dirname, '..', '..', '..', 'scripts', 'generate-pg-parameter-types.mjs');
    const r = await run(process.execPath, [script, '--check'], { env: { PG_BINDIR: pgBinDir(), PG_USER: sandbox.user.name } });
    expect(formatResult(r)).not.toMatch(/out of date|failed/);
    expect(r.code).toBe(0);
  });

  test('every value the check refuses, the server refuses, and the other way round', async () => {
    const disagreements: string[] = [];
    let tried = 0;
    let rejected = 0;
    const rounds = Math.max(CORPUS.length, ...NUMERIC.map((n) => CORPUS.length + edges(n).length));
    for (let round = 0; round < rounds; round++) {
      const settings: Record<string, string> = {};
      for (const name of NUMERIC) {
        const value = [...CORPUS, ...edges(name)][round];
        if (value !== undefined) {
          settings[name] = value;
        }
      }
      const server = await refused(settings);
      for (const [name, value] of Object.entries(settings)) {
        tried++;
        const ours = parameterValueProblem(name, value) !== undefined;
        rejected += ours ? 1 : 0;
        if (ours && !server.has(name)) {
          disagreements.push(`${name} = ${JSON.stringify(value)}: refused by the check, taken by the server`);
        } else if (!ours && server.has(name) && CHECK_HOOKS[name] === undefined) {
          disagreements.push(`${name} = ${JSON.stringify(value)}: taken by the check, refused by the server`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    // 269 parameters, 126 config files: about 31,000 pairs, each answered by the server, in about two seconds
    // the corpus exercises both sides on every parameter
    expect(tried).toBeGreaterThan(NUMERIC.length * CORPUS.length);
    expect(rejected).toBeGreaterThan(tried / 2);
    expect(rejected).toBeLessThan(tried);
  });

  /** Number-like values built from the pieces the parsers read: spaces, signs, bases, fractions, exponents, units. */
  const numberLike = fc
    .tuple(
      fc.constantFrom('', ' ', '\t'),
      fc.constantFrom('', '-', '+'),
      fc.oneof(
        fc.nat({ max: 3000000000 }).map(String),
        fc.nat().map((n) => `0x${n.toString(16)}`),
        fc.nat({ max: 4096 }).map((n) => `0${n.toString(8)}`),
      ),
      fc.constantFrom('', '.', '.5', '.25', '.0001'),
      fc.constantFrom('', 'e1', 'e-2', 'E+3', 'e9', 'e'),
      fc.constantFrom('', ' ', '  '),
      fc.constantFrom('', 'B', 'kB', 'MB', 'GB', 'TB', 'us', 'ms', 's', 'min', 'h', 'd', 'kb', 'Mb', 'x', 'mins', 'sec'),
      fc.constantFrom('', ' ', 'x'),
    )
    .map((parts) => parts.join(''));

  test('random number-like values get the same verdict from the check and the server', async () => {
    const disagreements: string[] = [];
    const values = fc.sample(numberLike, { numRuns: 40 * NUMERIC.length, seed: 15 });
    for (let round = 0; round < 40; round++) {
      const settings: Record<string, string> = {};
      NUMERIC.forEach((name, i) => (settings[name] = values[round * NUMERIC.length + i]));
      const server = await refused(settings);
      for (const [name, value] of Object.entries(settings)) {
        const ours = parameterValueProblem(name, value) !== undefined;
        if (ours !== server.has(name) && !(server.has(name) && CHECK_HOOKS[name] !== undefined)) {
          disagreements.push(`${name} = ${JSON.stringify(value)}: ${ours ? 'refused' : 'taken'} by the check only`);
        }
      }
    }
    expect(disagreements).toEqual([]);
  });

  test("the construct's postgresql.conf with accepted values of every type loads", async () => {
    const parameters = {
      work_mem: '4MB',
      Shared_Buffers: '1GB',
      jit: 'off',
      wal_level: 'Logical',
      synchronous_commit: 'true',
      random_page_cost: '1.1',
      statement_timeout: '30s',
      vacuum_cost_delay: '1500us',
      checkpoint_timeout: '0.5h',
    };
    const chart = Testing.chart();
    new StatefulPostgres(chart, 'db', { superuserSecret: kplus.Secret.fromSecretName(chart, 'Su', 'db-superuser'), parameters });
    const conf = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.data?.['postgresql.conf'] !== undefined)!.data[
      'postgresql.conf'
    ] as string;
    const lines = Object.keys(parameters).map((n) => conf.split('\n').find((l) => l.startsWith(`${n.toLowerCase()} = `)));
    expect(lines).not.toContain(undefined);
    const file = sandbox.writeFile('construct.conf', `${lines.join('\n')}\n`);
    const shown = await run(tool('postgres'), ['-D', dataDir, '-c', `config_file=${file}`, '-C', 'checkpoint_timeout'], { user: sandbox.user });
    expect(formatResult(shown)).not.toMatch(/invalid|requires|outside/);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim()).toBe('1800');
  });

  test('the values the construct refuses fail a server start through -c', async () => {
    for (const [name, value] of [
      ['work_mem', '99999999999999'],
      ['work_mem', 'lots'],
      ['shared_buffers', '1XB'],
      ['jit', 'maybe'],
      ['wal_level', 'verbose'],
    ]) {
      expect(parameterValueProblem(name, value)).toBeDefined();
      const r = await run(tool('postgres'), ['-D', dataDir, '-c', `${name}=${value}`, '-C', name], { user: sandbox.user });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`parameter "${name}"`);
    }
  });
});
