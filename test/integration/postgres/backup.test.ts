/**
 * Physical backups on real servers with the generated pgBackRest configuration: the primary
 * archives WAL through the generated archive_command (pgbackrest-archive.sh → the pgBackRest agent
 * container), the backup CronJob's command takes a full backup, the primary volume is lost, and
 * a primary with onEmptyPrimary RESTORE_FROM_BACKUP restores it, replays the archived WAL and
 * has every row, including those written after the backup. See real-cluster.ts for the emulation.
 */
import * as fs from 'fs';
import { BackupRepository, OnEmptyPrimary } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { configMapValue, objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer, systemIdentifier } from '../support/postgres-server';
import { Daemon, formatResult, waitFor } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { DbPod, expectSuccess, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(180_000);

describeWithTools(
  'StatefulPostgres pgBackRest backup and restore on real servers',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pgbackrest', 'sh'],
  () => {
    let sandbox: Sandbox;

    beforeAll(() => {
      sandbox = Sandbox.create('pg-backup');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    /** Starts the primary pod's init containers, postgres and the pgBackRest agent container. */
    async function startPod(manifests: any[], dirName: string, port: number): Promise<{ pod: DbPod; server: PostgresServer; agent: Daemon }> {
      const pod = new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', 'db-primary'), 'db-primary-0', dirName);
      // the agent serves archive_command and restore_command; it connects to the local server's port
      const agentEnv = { PGBACKREST_PG1_PORT: String(port), AGENT_POLL_SECONDS: '0.2' };
      for (const c of pod.pod.podSpec.initContainers ?? []) {
        expectSuccess(await pod.run(c.name, { env: agentEnv }), `init container ${c.name}`);
      }
      // containers start together, as in a pod
      const agent = pod.pod.start('pgbackrest', { env: agentEnv });
      const server = await pod.startPostgres(port);
      return { pod, server, agent };
    }

    test('a full backup plus archived WAL restores into an empty data directory with no rows lost', async () => {
      const repository = BackupRepository.volume();
      const manifests = synthDb(() => ({ backup: { repository } }));
      const conf = configMapValue(manifests, 'db-pgbackrest', 'pgbackrest.conf');
      expect(conf).toMatch(/^repo1-type=posix$/m);
      expect(conf).toMatch(/^\[db\]$/m);

      const port = await freePort();
      const { pod, server, agent } = await startPod(manifests, 'pod-original', port);
      expect(await server.sql('SHOW archive_command', SUPERUSER)).toMatch(/pgbackrest-archive\.sh" push "%p" "%f"/);
      await waitFor('the agent to create the stanza', async () => /stanza db ready/.test(agent.output()), {
        timeoutMs: 60_000,
        diagnostics: () => `--- agent\n${agent.output()}\n--- postgres\n${server.log()}`,
      });

      await server.sql(
        `CREATE TABLE payments (id int PRIMARY KEY, amount numeric); INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(1, 5000) g`,
        SUPERUSER,
      );

      // the backup CronJob runs `kubectl exec svc/db-rw -c <agent> -- pgbackrest ... backup` in the primary pod
      const cron = objectOf(manifests, 'CronJob', 'db-backup-full');
      const command: string[] = cron.spec.jobTemplate.spec.template.spec.containers[0].command;
      const dash = command.indexOf('--');
      expect(command.slice(0, dash)).toEqual(['kubectl', 'exec', 'svc/db-rw', '-c', 'pgbackrest']);
      const backup = await pod.pod.exec('pgbackrest', command.slice(dash + 1), { env: { PGBACKREST_PG1_PORT: String(port) } });
      expect(formatResult(backup)).toMatch(/\(exit 0\)/);
      const info = await pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--output=json', 'info']);
      const stanza = JSON.parse(info.stdout)[0];
      expect(stanza.status.message).toBe('ok');
      expect(stanza.backup.map((b: any) => b.type)).toEqual(['full']);

      // rows written after the backup reach the repository only through WAL archiving
      await server.sql(`INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(5001, 7500) g`, SUPERUSER);
      const lastWal = await server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER);
      const segment = lastWal.split('\n')[0];
      await waitFor(
        `WAL ${segment} to be archived`,
        async () => (await server.sql(`SELECT coalesce(last_archived_wal, '') >= '${segment}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
        {
          timeoutMs: 60_000,
          diagnostics: () => `--- agent\n${agent.output()}\n--- postgres\n${server.log()}`,
        },
      );
      expect(await server.sql('SELECT failed_count FROM pg_stat_archiver', SUPERUSER)).toBe('0');

      // pod shutdown: the agent gets its SIGTERM while PostgreSQL still runs, and keeps archiving
      agent.signal('SIGTERM');
      await server.sql(`INSERT INTO payments SELECT g, g * 1.5 FROM generate_series(7501, 8000) g`, SUPERUSER);
      const finalWal = (await server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER)).split('\n')[0];
      await waitFor(
        `WAL ${finalWal} to be archived by the stopping agent`,
        async () => (await server.sql(`SELECT last_archived_wal >= '${finalWal}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
        {
          timeoutMs: 60_000,
          diagnostics: () => `--- agent\n${agent.output()}\n--- postgres\n${server.log()}`,
        },
      );
      expect(agent.isRunning).toBe(true);
      const expected = await server.sql('SELECT count(*), sum(amount) FROM payments', SUPERUSER);
      expect(expected).toBe('8000|48006000.0');
      const originalId = await systemIdentifier(sandbox, pod.dataDir);

      // PostgreSQL stops fast (nothing waits for a dead agent), then the agent follows by itself
      const stopping = Date.now();
      await server.stop();
      await waitFor('the agent to stop after PostgreSQL', async () => !agent.isRunning, { timeoutMs: 30_000, diagnostics: () => agent.output() });
      expect(Date.now() - stopping).toBeLessThan(30_000);
      expect(agent.output()).toMatch(/waiting for PostgreSQL to stop before stopping[\s\S]*stopping/);
      // nothing is left waiting to be archived
      expect(fs.readdirSync(`${pod.dataDir}/pg_wal/archive_status`).filter((f) => f.endsWith('.ready'))).toEqual([]);

      // the primary volume is lost
      fs.rmSync(pod.dataDir, { recursive: true, force: true });

      // a primary that restores when its volume is empty; the repository volume is the same claim
      const restoring = synthDb(() => ({ backup: { repository }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP }));
      const restored = await startPod(restoring, 'pod-restored', await freePort());
      expect(restored.pod.dataDir).toBe(pod.dataDir);
      await waitFor(
        'recovery to finish and the server to be promoted',
        async () => (await restored.server.sql('SELECT pg_is_in_recovery()', SUPERUSER)) === 'f',
        {
          timeoutMs: 60_000,
          diagnostics: () => `--- agent\n${restored.agent.output()}\n--- postgres\n${restored.server.log()}`,
        },
      );
      expect(await restored.server.sql('SELECT count(*), sum(amount) FROM payments', SUPERUSER)).toBe(expected);
      // the same database, not a new one
      expect(await systemIdentifier(sandbox, restored.pod.dataDir)).toBe(originalId);
      // WAL replay came through restore_command (pgbackrest-archive.sh get via the agent)
      expect(restored.server.log()).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
    });
  },
);
