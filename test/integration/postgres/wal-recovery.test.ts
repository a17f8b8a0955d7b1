/**
 * WAL archiving and replay through the pgBackRest agent on real servers, with the agent's own
 * settings from the manifests (no test overrides of its polling):
 * - recovery does not depend on which container of the pod starts first: PostgreSQL replaying a
 *   restored backup asks restore_command for WAL before the agent container runs, and still
 *   recovers every row once the agent comes up;
 * - archiving keeps up with a busy primary: after a burst of more than 300 MB of WAL the archive
 *   catches up within seconds, and a restore replays it (the measured lag and restore time are
 *   printed), and while it replays the primary is not Ready (it accepts reads, not writes).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BackupRepository, OnEmptyPrimary } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { containerOf, objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer } from '../support/postgres-server';
import { waitFor } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { AgentPod, archiveAll, diagnostics, fullBackup, startPrimaryWithAgent, waitForStanza, waitPromoted } from './backup-flow';
import { DbPod, expectSuccess, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(300_000);

/** Bytes of the files below `dir`. */
function treeSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? treeSize(p) : fs.statSync(p).size;
  }
  return total;
}

/** Stops PostgreSQL and then its agent (which drains the last archive requests first). */
async function stopPod(p: AgentPod): Promise<void> {
  await p.server.stop();
  await p.agent.stop();
}

describeWithTools(
  'StatefulPostgres WAL archiving and recovery through the pgBackRest agent on real servers',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pgbackrest', 'sh'],
  () => {
    let sandbox: Sandbox;

    beforeAll(() => {
      sandbox = Sandbox.create('pg-wal-recovery');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('archiving keeps up with a burst of more than 300 MB of WAL, and a restore replays it', async () => {
      const repository = BackupRepository.volume();
      const manifests = synthDb(() => ({ backup: { repository } }));
      const original = await startPrimaryWithAgent(sandbox, manifests, 'pod-burst-original', await freePort(), {}, 'db', {});
      const { server } = original;
      await waitForStanza(original);
      await server.sql(`CREATE TABLE burst (id bigint PRIMARY KEY, payload text)`, SUPERUSER);
      await fullBackup(original);

      // the burst: rows that reach the repository only as WAL
      const startLsn = await server.sql('SELECT pg_current_wal_lsn()', SUPERUSER);
      const burstStart = Date.now();
      let rows = 0;
      let walBytes = 0;
      while (walBytes < 320 * 1024 * 1024) {
        await server.sql(`INSERT INTO burst SELECT g, repeat(md5(g::text), 8) FROM generate_series(${rows + 1}, ${rows + 200_000}) g`, SUPERUSER);
        rows += 200_000;
        walBytes = Number(await server.sql(`SELECT pg_current_wal_lsn() - '${startLsn}'::pg_lsn`, SUPERUSER));
      }
      const burstMs = Date.now() - burstStart;
      const segment = (await server.sql(`SELECT pg_walfile_name(pg_current_wal_lsn()); SELECT pg_switch_wal()`, SUPERUSER)).split('\n')[0];
      const burstEnd = Date.now();
      await waitFor(
        `WAL ${segment} to be archived`,
        async () => (await server.sql(`SELECT coalesce(last_archived_wal, '') >= '${segment}' FROM pg_stat_archiver`, SUPERUSER)) === 't',
        { timeoutMs: 240_000, intervalMs: 100, diagnostics: diagnostics(original) },
      );
      const lagMs = Date.now() - burstEnd;
      const repoBytes = treeSize(original.pod.pod.claimDir('db-pgbackrest-repo'));
      const expected = await server.sql('SELECT count(*), sum(id) FROM burst', SUPERUSER);
      await stopPod(original);
      fs.rmSync(original.pod.dataDir, { recursive: true, force: true });

      // a restore of the backup taken before the burst replays all of it
      const restoring = synthDb(() => ({ backup: { repository }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP }));
      const restoreStart = Date.now();
      const restored = await startPrimaryWithAgent(sandbox, restoring, 'pod-burst-restored', await freePort(), {}, 'db', {});
      // while it replays, it accepts read-only connections: the primary's readiness probe must fail until it accepts writes
      const probe: string[] = containerOf(objectOf(restoring, 'StatefulSet', 'db-primary'), 'postgres').readinessProbe.exec.command;
      const argv = probe.map((a) => a.replace(/-p 5432\b/, `-p ${restored.server.port}`));
      let notReadyWhileReplaying = 0;
      for (;;) {
        const ready = (await restored.pod.pod.exec('postgres', argv)).code === 0;
        const inRecovery = (await restored.server.sql('SELECT pg_is_in_recovery()', SUPERUSER)) === 't';
        if (ready) {
          // promotion is for good: ready before means promoted now
          expect(inRecovery).toBe(false);
          break;
        }
        notReadyWhileReplaying += inRecovery ? 1 : 0;
        if (Date.now() - restoreStart > 240_000) {
          const r = await restored.pod.pod.exec('postgres', argv);
          throw new Error(
            `the primary never became ready: ${JSON.stringify(argv)}\n${r.code} ${r.stdout}${r.stderr}\n${fs.readdirSync(restored.pod.dataDir).join(' ')}`,
          );
        }
      }
      expect(notReadyWhileReplaying).toBeGreaterThan(0);
      await waitPromoted(restored, 240_000);
      const restoreMs = Date.now() - restoreStart;
      expect(await restored.server.sql('SELECT count(*), sum(id) FROM burst', SUPERUSER)).toBe(expected);
      const replayed = (restored.server.log().match(/restored log file "[0-9A-F]{24}" from archive/g) ?? []).length;
      console.log(
        `WAL burst: ${(walBytes / 1024 / 1024).toFixed(0)} MB (${rows} rows) written in ${(burstMs / 1000).toFixed(1)} s; ` +
          `archive lag after the burst ${(lagMs / 1000).toFixed(1)} s (repository ${(repoBytes / 1024 / 1024).toFixed(0)} MB); restore with replay of ${replayed} segments ${(restoreMs / 1000).toFixed(1)} s, ` +
          `${notReadyWhileReplaying} readiness probes failed while replaying`,
      );
      expect(replayed).toBeGreaterThanOrEqual(19);
      // one segment a second (a fixed poll and gzip) lagged 30 s behind this burst
      expect(lagMs).toBeLessThan(15_000);
      await stopPod(restored);
    });

    test('a restore recovers every row when PostgreSQL asks for WAL before the agent container has started', async () => {
      const repository = BackupRepository.volume();
      const manifests = synthDb(() => ({ backup: { repository } }));
      const original = await startPrimaryWithAgent(sandbox, manifests, 'pod-race-original', await freePort(), {}, 'db', {
        AGENT_POLL_SECONDS: undefined,
      });
      await waitForStanza(original);
      await original.server.sql(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5000)`, SUPERUSER);
      await fullBackup(original);
      await original.server.sql(`INSERT INTO t SELECT generate_series(5001, 7000)`, SUPERUSER);
      await archiveAll(original);
      await stopPod(original);
      fs.rmSync(original.pod.dataDir, { recursive: true, force: true });

      const restoring = synthDb(() => ({ backup: { repository }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP }));
      const pod = new DbPod(sandbox, restoring, objectOf(restoring, 'StatefulSet', 'db-primary'), 'db-primary-0', 'pod-race-restored');
      for (const c of pod.pod.podSpec.initContainers) {
        expectSuccess(await pod.run(c.name), `init container ${c.name}`);
      }
      // PostgreSQL first: the spool volume is still empty, no agent runs
      const port = await freePort();
      const postgres = pod.pod.start('postgres', { extraArgs: ['-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`] });
      const requests = path.join(pod.pod.volumeDir('spool'), 'request');
      await waitFor(
        'PostgreSQL to ask for WAL before the agent runs',
        async () => {
          if (!postgres.isRunning) {
            throw new Error(`PostgreSQL stopped while the agent was not running yet:\n${postgres.output()}`);
          }
          return fs.existsSync(requests) && fs.readdirSync(requests).some((f) => f.startsWith('get.'));
        },
        { timeoutMs: 30_000, diagnostics: () => postgres.output() },
      );
      const agent = pod.pod.start('pgbackrest');
      const server = await PostgresServer.attach(sandbox, postgres, { dataDir: pod.dataDir, port, socketDir: pod.socketDir, name: 'restored' });
      const restored: AgentPod = { pod, server, agent };
      await waitPromoted(restored);
      expect(await server.sql('SELECT count(*) FROM t', SUPERUSER)).toBe('7000');
      expect(server.log()).not.toMatch(/could not locate required checkpoint record/);
      await stopPod(restored);
    });
  },
);
