/**
 * A version change on an existing instance never starts an empty database. A real PostgreSQL 15
 * primary is bootstrapped by the synthesized pod and given data; the same StatefulPostgres is then
 * synthesized with `version: 16` and its primary pod started on the same volume (the claim
 * `data-db-primary-0`): its init container refuses, naming the PostgreSQL 15 data directory, and
 * creates nothing. Back on version 15 the data is all there. Only PostgreSQL 15 is installed: the
 * guard runs before any version-16 binary would, so this is the real path of a 15 → 16 change.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeWithTools } from '../support/binaries';
import { objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { formatResult } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { DbPod, expectSuccess, startPrimary, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(120_000);

describeWithTools(
  'StatefulPostgres version change on a real PostgreSQL 15 volume',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'sh'],
  () => {
    let sandbox: Sandbox;

    beforeAll(() => {
      sandbox = Sandbox.create('pg-version-change');
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('version 16 on a volume holding PostgreSQL 15 data refuses to start, names the old directory, and the data stays', async () => {
      const v15 = synthDb(() => ({ version: 15 }));
      const { pod, server } = await startPrimary(sandbox, v15);
      await server.sql('CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 100)', SUPERUSER);
      const oldDir = pod.dataDir;
      expect(path.basename(oldDir)).toBe('pg15');
      await server.stop();

      const v16 = synthDb(() => ({ version: 16 }));
      const upgraded = new DbPod(sandbox, v16, objectOf(v16, 'StatefulSet', 'db-primary'), 'db-primary-0', 'pod-db-primary-0-v16');
      const newDir = upgraded.dataDir;
      expect(path.dirname(newDir)).toBe(path.dirname(oldDir)); // the same volume
      expect(path.basename(newDir)).toBe('pg16');
      const r = await upgraded.run('bootstrap');
      expect(r.code).toBe(1);
      expect(formatResult(r)).toContain(
        `${newDir} is empty, but ${oldDir} holds a PostgreSQL 15 database: the version was changed on an existing instance`,
      );
      expect(r.stderr).toMatch(/Set version back to 15/);
      expect(fs.existsSync(newDir)).toBe(false);
      expect(fs.readFileSync(path.join(oldDir, 'PG_VERSION'), 'utf8').trim()).toBe('15');

      // back on version 15: the pod's own init containers keep the database, and the data is there
      const again = new DbPod(sandbox, v15, objectOf(v15, 'StatefulSet', 'db-primary'), 'db-primary-0', 'pod-db-primary-0-again');
      for (const c of again.pod.podSpec.initContainers ?? []) {
        expectSuccess(await again.run(c.name), `init container ${c.name}`);
      }
      const restarted = await again.startPostgres(await freePort());
      expect(await restarted.sql('SELECT count(*), sum(id) FROM kept', SUPERUSER)).toBe('100|5050');
    });
  },
);
