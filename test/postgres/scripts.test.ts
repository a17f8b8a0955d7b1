/**
 * The container scripts that need no PostgreSQL server, run for real under every POSIX shell the
 * images may have (dash, busybox ash). The scripts that talk to PostgreSQL are exercised against
 * real servers in test/integration/postgres.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BackupRepository } from '../../src';
import { find, synthDb } from './fixtures';

const { objects } = synthDb({ backup: { repository: BackupRepository.volume() } });
const scripts = find(objects, 'ConfigMap', 'db-config').data as Record<string, string>;

const SHELLS: Array<[string, string[]]> = [
  ['dash', ['dash']],
  ['busybox ash', ['busybox', 'sh']],
];
const available = SHELLS.filter(([, cmd]) => spawnSync(cmd[0], [...cmd.slice(1), '-c', 'true']).status === 0);
if (available.length < SHELLS.length) {
  const missing = SHELLS.filter((s) => !available.includes(s)).map(([n]) => n);
  if (process.env.CI === 'true') {
    throw new Error(`shells missing in CI: ${missing.join(', ')} (scripts/install-test-deps.sh installs them)`);
  }
  console.warn(`!!! SKIPPING script tests under ${missing.join(', ')}: not installed (run scripts/install-test-deps.sh)`);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-scripts-'));
  for (const [name, text] of Object.entries(scripts)) {
    fs.writeFileSync(path.join(dir, name), text);
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(shell: string[], script: string, args: string[], env: Record<string, string>) {
  return spawnSync(shell[0], [...shell.slice(1), path.join(dir, script), ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
}

describe.each(available)('under %s', (_name, shell) => {
  test('bootstrap-primary refuses to create a database on an empty volume with onEmptyPrimary FAIL', () => {
    const pgdata = path.join(dir, 'data', 'pg15');
    fs.mkdirSync(pgdata, { recursive: true });
    const r = run(shell, 'bootstrap-primary.sh', [], { PGDATA: pgdata, ON_EMPTY_PRIMARY: 'fail', PG_RUNTIME_DIR: path.join(dir, 'rt') });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is empty and onEmptyPrimary is FAIL: refusing to start a new, empty database/);
    expect(fs.readdirSync(pgdata)).toEqual([]);
  });

  test('bootstrap-primary leaves an existing database untouched, whatever onEmptyPrimary says', () => {
    const pgdata = path.join(dir, 'data', 'pg15');
    fs.mkdirSync(pgdata, { recursive: true, mode: 0o770 });
    fs.writeFileSync(path.join(pgdata, 'PG_VERSION'), '15\n');
    fs.writeFileSync(path.join(pgdata, 'marker'), 'keep');
    const r = run(shell, 'bootstrap-primary.sh', [], { PGDATA: pgdata, ON_EMPTY_PRIMARY: 'fail', PG_RUNTIME_DIR: path.join(dir, 'rt') });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(pgdata, 'marker'), 'utf8')).toBe('keep');
    expect(fs.statSync(pgdata).mode & 0o777).toBe(0o700);
  });

  test('bootstrap scripts refuse a data directory with files but no PG_VERSION (a half-finished copy)', () => {
    const pgdata = path.join(dir, 'data', 'pg15');
    fs.mkdirSync(pgdata, { recursive: true });
    fs.writeFileSync(path.join(pgdata, 'base'), 'x');
    const primary = run(shell, 'bootstrap-primary.sh', [], { PGDATA: pgdata, PG_RUNTIME_DIR: path.join(dir, 'rt') });
    expect(primary.status).toBe(1);
    expect(primary.stderr).toMatch(/not empty but holds no PG_VERSION: refusing to touch it/);
    fs.writeFileSync(path.join(dir, 'repl'), 'pw');
    const replica = run(shell, 'bootstrap-replica.sh', [], {
      PGDATA: pgdata,
      PRIMARY_HOST: '127.0.0.1',
      REPLICATION_CREDENTIALS_FILE: path.join(dir, 'repl'),
      PG_RUNTIME_DIR: path.join(dir, 'rt'),
    });
    expect(replica.status).toBe(1);
    expect(fs.readFileSync(path.join(pgdata, 'base'), 'utf8')).toBe('x');
  });

  test.each(['initialize', 'restore', 'clone', 'fail'])(
    "bootstrap-primary (%s) refuses an empty data directory beside another major version's, naming it",
    (mode) => {
      const volume = path.join(dir, 'data');
      fs.mkdirSync(path.join(volume, 'pg15'), { recursive: true });
      fs.writeFileSync(path.join(volume, 'pg15', 'PG_VERSION'), '15\n');
      // a leftover half-finished copy is no database
      fs.mkdirSync(path.join(volume, 'pg16.partial'));
      fs.writeFileSync(path.join(volume, 'pg16.partial', 'PG_VERSION'), '16\n');
      const pgdata = path.join(volume, 'pg16');
      const r = run(shell, 'bootstrap-primary.sh', [], { PGDATA: pgdata, ON_EMPTY_PRIMARY: mode, PG_RUNTIME_DIR: path.join(dir, 'rt') });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${pgdata} is empty, but ${volume}/pg15 holds a PostgreSQL 15 database`);
      expect(r.stderr).toMatch(/Set version back to 15 .*pg_upgrade from .*pg15 into .*pg16/s);
      expect(fs.existsSync(pgdata)).toBe(false);
    },
  );

  test('bootstrap-primary rejects an unknown ON_EMPTY_PRIMARY', () => {
    const r = run(shell, 'bootstrap-primary.sh', [], {
      PGDATA: path.join(dir, 'empty'),
      ON_EMPTY_PRIMARY: 'maybe',
      PG_RUNTIME_DIR: path.join(dir, 'rt'),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ON_EMPTY_PRIMARY must be initialize, fail, restore or clone, got 'maybe'/);
  });

  test.each([
    ['push', '0', 0],
    ['push', '1', 1],
    ['push', '3', 1],
    ['get', '0', 0],
    // pgBackRest's "not in the archive": PostgreSQL ends recovery there
    ['get', '1', 1],
    // any other failure must not look like the end of the archive: > 125 is fatal for PostgreSQL
    ['get', '39', 200],
  ])('pgbackrest-archive.sh %s maps the agent result %s to exit status %d, creating the spool if the agent has not', async (op, result, status) => {
    // the agent has not started: the spool volume is empty
    const spool = path.join(dir, 'spool');
    fs.mkdirSync(spool);
    // a stand-in for the agent: answers the first request it sees
    const answered = new Promise<string>((resolve) => {
      const timer = setInterval(() => {
        const reqDir = path.join(spool, 'request');
        const req = fs.existsSync(reqDir) ? fs.readdirSync(reqDir).find((f) => !f.endsWith('.tmp')) : undefined;
        if (req) {
          clearInterval(timer);
          const target = fs.readFileSync(path.join(spool, 'request', req), 'utf8').trim();
          fs.writeFileSync(path.join(spool, 'result', req), `${result}\n`);
          fs.rmSync(path.join(spool, 'request', req));
          resolve(`${req} ${target}`);
        }
      }, 20);
    });
    const segment = '000000010000000000000003';
    const args = op === 'push' ? [`pg_wal/${segment}`, segment] : [segment, 'pg_wal/RECOVERYXLOG'];
    const child = spawn(shell[0], [...shell.slice(1), path.join(dir, 'pgbackrest-archive.sh'), op, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARCHIVE_SPOOL_DIR: spool, ARCHIVE_TIMEOUT: '10' },
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(await answered).toBe(`${op}.${segment} ${dir}/${op === 'push' ? `pg_wal/${segment}` : 'pg_wal/RECOVERYXLOG'}`);
    expect(code).toBe(status);
    expect(fs.readdirSync(path.join(spool, 'result'))).toEqual([]);
  });

  test('pg-common.sh: use_password writes a private, escaped password file and points libpq at it', () => {
    fs.writeFileSync(path.join(dir, 'pw'), 'a:b\\c "d"\nsecond line ignored\n', { mode: 0o640 });
    const probe = `. "${dir}/pg-common.sh"; use_password "${dir}/pgpass" app "${dir}/pw"; printf '%s' "$PGPASSFILE"`;
    const r = spawnSync(shell[0], [...shell.slice(1), '-c', `set -eu; umask 022; ${probe}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(path.join(dir, 'pgpass'));
    expect(fs.readFileSync(path.join(dir, 'pgpass'), 'utf8')).toBe('*:*:*:app:a\\:b\\\\c "d"\n');
    expect(fs.statSync(path.join(dir, 'pgpass')).mode & 0o777).toBe(0o600);
  });

  test('pg-common.sh: wait_for_postgres gives up after its deadline, and returns as soon as the server answers', () => {
    // a stand-in pg_isready on the PATH: fails until the file `up` exists
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pg_isready'), `#!/bin/sh\n[ -e "${dir}/up" ]\n`, { mode: 0o755 });
    const wait = (seconds: number) =>
      spawnSync(
        shell[0],
        [...shell.slice(1), '-c', `set -eu; . "${dir}/pg-common.sh"; if wait_for_postgres db 5432 ${seconds}; then echo up; else echo gave-up; fi`],
        {
          encoding: 'utf8',
          env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` },
          timeout: 20000,
        },
      );
    const started = Date.now();
    expect(wait(1).stdout.trim()).toBe('gave-up');
    expect(Date.now() - started).toBeLessThan(8000);
    fs.writeFileSync(path.join(dir, 'up'), '');
    expect(wait(60).stdout.trim()).toBe('up');
  });

  test('pgbackrest-archive.sh get is fatal for PostgreSQL (not "end of archive") when the agent does not answer', () => {
    const r = spawnSync(shell[0], [...shell.slice(1), path.join(dir, 'pgbackrest-archive.sh'), 'get', '00000002.history', 'pg_wal/RECOVERYHISTORY'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARCHIVE_SPOOL_DIR: path.join(dir, 'spool'), ARCHIVE_TIMEOUT: '1' },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status).toBe(200);
    expect(r.stderr).toMatch(/did not answer get 00000002.history within 1s/);
  });

  test('pgbackrest-archive.sh fails (so PostgreSQL retries) when the agent does not answer in time', () => {
    const spool = path.join(dir, 'spool');
    fs.mkdirSync(path.join(spool, 'request'), { recursive: true });
    fs.mkdirSync(path.join(spool, 'result'), { recursive: true });
    const r = spawnSync(shell[0], [...shell.slice(1), path.join(dir, 'pgbackrest-archive.sh'), 'push', 'pg_wal/x', 'x'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ARCHIVE_SPOOL_DIR: spool, ARCHIVE_TIMEOUT: '1' },
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/did not answer push x within 1s/);
    expect(fs.readdirSync(path.join(spool, 'request'))).toEqual([]);
  });
});
