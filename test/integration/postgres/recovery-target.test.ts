/**
 * recoveryTargetTime on real pgBackRest and PostgreSQL: every form the construct accepts reaches
 * pgBackRest in a form its restore takes, the forms the construct refuses are the ones pgBackRest
 * refuses (`automatic backup set selection cannot be performed with provided time`, which left
 * the restore init container failing forever), and a point-in-time restore to an ISO 8601 time
 * with `T` and `Z` (as logs and APIs print it) has exactly the rows committed before it.
 */
import * as fs from 'fs';
import { BackupRepository, OnEmptyPrimary } from '../../../src/postgres';
import { normalizeRecoveryTargetTime } from '../../../src/postgres/recovery-target';
import { describeWithTools } from '../support/binaries';
import { objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { Sandbox } from '../support/sandbox';
import { AgentPod, archiveAll, fullBackup, startPrimaryWithAgent, waitForStanza, waitPromoted } from './backup-flow';
import { DbPod, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(300_000);

describeWithTools(
  'StatefulPostgres recoveryTargetTime on real pgBackRest and PostgreSQL',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pgbackrest', 'sh'],
  () => {
    let sandbox: Sandbox;
    const repository = BackupRepository.volume();
    let source: AgentPod;
    /** The time between the two commits, as `2026-12-02T07:17:56.831853Z`. */
    let between: string;

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-recovery-target');
      source = await startPrimaryWithAgent(
        sandbox,
        synthDb(() => ({ backup: { repository } })),
        'pod-source',
        await freePort(),
      );
      await waitForStanza(source);
      await source.server.sql(`CREATE TABLE t (id int PRIMARY KEY, note text)`, SUPERUSER);
      await fullBackup(source);
      await source.server.sql(`INSERT INTO t VALUES (1, 'before the target')`, SUPERUSER);
      // a point strictly between the two commits, and a whole second after the backup ended
      // (pgBackRest picks the backup set by its stop time in whole seconds)
      between = await source.server.sql(
        `SELECT pg_sleep(1.2); SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'); SELECT pg_sleep(0.2)`,
        SUPERUSER,
      );
      between = between.split('\n').find((l) => /^\d{4}-/.test(l))!;
      await source.server.sql(`INSERT INTO t VALUES (2, 'after the target')`, SUPERUSER);
      await archiveAll(source);
      await source.server.stop();
      await source.agent.stop();
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    /** Runs the restore init container with RECOVERY_TARGET_TIME `target` into a fresh directory. */
    async function restoreWith(target: string): Promise<{ code: number | null; output: string }> {
      const manifests = synthDb(() => ({
        backup: { repository },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        recoveryTargetTime: '2030-01-01 00:00:00Z',
      }));
      const pod = new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', 'db-primary'), 'db-primary-0', `pod-forms`);
      const dir = sandbox.mkdir(`restore-${Math.random().toString(36).slice(2)}`);
      fs.rmdirSync(dir);
      const r = await pod.run('restore', { env: { RECOVERY_TARGET_TIME: target, PGDATA: dir, PGBACKREST_PG1_PATH: dir } });
      return { code: r.code, output: `${r.stdout}${r.stderr}` };
    }

    test.each([
      '2030-01-01 00:00:00+00',
      '2030-01-01T00:00:00Z',
      '2030-01-01T00:00:00.831853Z',
      '2030-01-01 00:00:00,5+05:30',
      '2030-01-01 00:00:00+0530',
      '2030-01-01 00:00:00-12',
    ])('the form %s, as the construct converts it, is taken by pgBackRest', async (form) => {
      const target = normalizeRecoveryTargetTime(form);
      expect(target).toBeDefined();
      const r = await restoreWith(target!);
      expect(r.output).not.toMatch(/automatic backup set selection cannot be performed/);
      expect(r.code).toBe(0);
    });

    test.each(['2030-01-01 00:00', '2030-01-01T00:00:00Z', '2030-01-01 00:00:00.1234567+00', '2030-01-01 00:00:00 UTC', '2030-1-1 00:00:00+00'])(
      'pgBackRest itself refuses %s as given',
      async (form) => {
        const r = await restoreWith(form);
        expect(r.output).toMatch(/automatic backup set selection cannot be performed with provided time/);
        expect(r.code).not.toBe(0);
        // the construct either converts it (T and Z) or refuses it at synth time
        const converted = normalizeRecoveryTargetTime(form);
        if (converted !== undefined) {
          expect((await restoreWith(converted)).code).toBe(0);
        }
      },
    );

    test('a point-in-time restore to an ISO 8601 time with T and Z has exactly the rows before it', async () => {
      expect(between).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      fs.rmSync(source.pod.dataDir, { recursive: true, force: true });
      const manifests = synthDb(() => ({ backup: { repository }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP, recoveryTargetTime: between }));
      const restored = await startPrimaryWithAgent(sandbox, manifests, 'pod-pitr', await freePort());
      await waitPromoted(restored);
      expect(await restored.server.sql("SELECT string_agg(note, ',' ORDER BY id) FROM t", SUPERUSER)).toBe('before the target');
      await restored.server.stop();
      await restored.agent.stop();
    });
  },
);
