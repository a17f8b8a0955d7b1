/**
 * The real-server harness itself: polling, pgBouncer config adaptation, and a real PostgreSQL
 * started, queried, failed and cleaned up.
 */
import * as fs from 'fs';
import { describeWithTools } from './binaries';
import { adaptIniToVersion } from './pgbouncer';
import { initdb, PostgresServer } from './postgres-server';
import { Sandbox } from './sandbox';
import { Daemon, waitFor } from './processes';

jest.setTimeout(60_000);

describe('waitFor', () => {
  test('returns the first truthy probe value', async () => {
    let calls = 0;
    const v = await waitFor('three calls', async () => (++calls === 3 ? 'done' : undefined), { intervalMs: 1 });
    expect(v).toBe('done');
    expect(calls).toBe(3);
  });

  test('gives up at the deadline with the last error and diagnostics', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        'never',
        async () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 200, intervalMs: 20, diagnostics: () => 'server log here' },
      ),
    ).rejects.toThrow(/timed out after 200 ms waiting for never\nlast error: connection refused\nserver log here/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('adaptIniToVersion', () => {
  const ini = ['[pgbouncer]', 'auth_dbname = postgres', 'max_prepared_statements = 200', 'pool_mode = transaction', ''].join('\n');

  test('removes only the settings the installed version predates', () => {
    expect(adaptIniToVersion(ini, [1, 18, 0])).toEqual({
      ini: ['[pgbouncer]', 'pool_mode = transaction', ''].join('\n'),
      removed: ['auth_dbname = postgres', 'max_prepared_statements = 200'],
    });
    expect(adaptIniToVersion(ini, [1, 19, 1]).removed).toEqual(['max_prepared_statements = 200']);
  });

  test('keeps the file byte for byte on a current pgBouncer', () => {
    expect(adaptIniToVersion(ini, [1, 21, 0])).toEqual({ ini, removed: [] });
    expect(adaptIniToVersion(ini, [2, 0, 0])).toEqual({ ini, removed: [] });
  });
});

describeWithTools('PostgresServer', ['postgres', 'initdb', 'psql', 'pg_isready'], () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = Sandbox.create('harness');
  });

  afterAll(async () => {
    await sandbox?.dispose();
  });

  test('starts as an unprivileged user on 127.0.0.1, runs SQL, and stops', async () => {
    const dataDir = sandbox.path('data');
    await initdb(sandbox, dataDir);
    const pg = await PostgresServer.start(sandbox, { dataDir, name: 'plain' });
    // the server process must not be root: PostgreSQL refuses it, and tests must not need it
    expect(await pg.sql(`SELECT current_setting('listen_addresses'), current_setting('port')`)).toBe(`127.0.0.1|${pg.port}`);
    const serverUid = Number(fs.statSync(`${dataDir}/postmaster.pid`).uid);
    expect(serverUid).toBe(sandbox.user.uid);
    expect(await pg.sql('SELECT 1 + 1')).toBe('2');
    const pid = pg.daemon.pid!;
    await pg.stop();
    expect(pg.daemon.isRunning).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(`${dataDir}/postmaster.pid`)).toBe(false);
  });

  test('a server that cannot start fails fast with its log, not at the deadline', async () => {
    const started = Date.now();
    await expect(
      PostgresServer.start(sandbox, { dataDir: sandbox.path('data'), name: 'broken', settings: { shared_buffers: 'lots' } }),
    ).rejects.toThrow(/broken exited during startup[\s\S]*shared_buffers/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('stop and dispose end a descendant that left the process group and holds the output pipe', async () => {
    const own = Sandbox.create('harness-straggler');
    const d = own.track(Daemon.start('straggler', 'sh', ['-c', 'setsid sleep 300 & echo "$!"; wait'], { user: own.user }));
    const pid = Number(await waitFor('the pid', async () => d.output().trim() || undefined));
    const started = Date.now();
    await d.stop('SIGTERM', 500);
    expect(Date.now() - started).toBeLessThan(5000);
    // still alive: it is in its own session, like a PostgreSQL child
    expect(() => process.kill(pid, 0)).not.toThrow();
    await own.dispose();
    await waitFor('the straggler to be gone', async () => {
      try {
        process.kill(pid, 0);
        return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
      } catch {
        return true;
      }
    });
  });

  test('dispose stops running servers and removes the directory', async () => {
    const own = Sandbox.create('harness-dispose');
    const dataDir = own.path('data');
    await initdb(own, dataDir);
    const pg = await PostgresServer.start(own, { dataDir });
    await own.dispose();
    expect(pg.daemon.isRunning).toBe(false);
    expect(fs.existsSync(own.root)).toBe(false);
  });
});
