/**
 * Physical backups to a VOLUME repository on real servers: the backup, WAL archiving and restore
 * story of backup-flow.ts, with the repository on its own claim (a directory shared by the
 * original and the restored pod, like a PVC).
 */
import { BackupRepository } from '../../../src/postgres';
import { describeWithTools } from '../support/binaries';
import { configMapValue } from '../support/pod-sandbox';
import { Sandbox } from '../support/sandbox';
import { backupLoseAndRestore } from './backup-flow';

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

    test('a full backup plus archived WAL restores into an empty data directory with no rows lost', async () => {
      const repository = BackupRepository.volume();
      const { manifests, rows } = await backupLoseAndRestore(sandbox, { props: () => ({ backup: { repository } }) });
      const conf = configMapValue(manifests, 'db-pgbackrest', 'pgbackrest.conf');
      expect(conf).toMatch(/^repo1-type=posix$/m);
      expect(conf).toMatch(/^\[db\]$/m);
      expect(rows).toBe(8000);
    });
  },
);
