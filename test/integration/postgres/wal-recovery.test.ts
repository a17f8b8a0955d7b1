/**
 * WAL archiving and replay through the pgBackRest agent on real servers, with the agent's own
 * settings from the manifests (no test overrides of its polling):
 * - recovery does not depend on which container of the pod starts first: PostgreSQL replaying a
 *   restored backup asks restore_command for WAL before the agent container runs, and still
 *   recovers every row once the agent comes up.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BackupRepository, OnEmptyPrimary } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer } from '../support/postgres-server';
import { waitFor } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { AgentPod, archiveAll, diagnostics, startPrimaryWithAgent, waitPromoted } from './backup-flow';
import { DbPod, expectSuccess, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(300_000);

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

    test('a restore recovers every row when PostgreSQL asks for WAL before the agent container has started', async () => {
      const repository = BackupRepository.volume();
      const manifests = synthDb(() => ({ backup: { repository } }));
      const original = await startPrimaryWithAgent(sandbox, manifests, 'pod-race-original', await freePort(), {}, 'db', {
        AGENT_POLL_SECONDS: undefined,
      });
      await waitFor('the stanza', async () => /stanza db ready/.test(original.agent.output()), {
        timeoutMs: 60_000,
        diagnostics: diagnostics(original),
      });
      await original.server.sql(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 5000)`, SUPERUSER);
      const backup = await original.pod.pod.exec('pgbackrest', ['pgbackrest', '--stanza=db', '--type=full', 'backup'], {
        env: { PGBACKREST_PG1_PORT: String(original.server.port) },
      });
      expect(backup.code).toBe(0);
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
