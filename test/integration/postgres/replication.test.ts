/**
 * Streaming replication with the synthesized replica pods: the `db-read` StatefulSet's own
 * bootstrap init container clones a real primary with pg_basebackup, its start script streams
 * from it, re-running the bootstrap never touches existing data, and synchronous replication
 * really waits for a standby. See real-cluster.ts for the emulation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeWithTools, tool } from '../support/binaries';
import { objectOf } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer, systemIdentifier } from '../support/postgres-server';
import { run, waitFor } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { DbPod, expectSuccess, startPrimary, SUPERUSER, synthDb } from './real-cluster';
import { OnEmptyPrimary } from '../../../src/postgres';

jest.setTimeout(120_000);

describeWithTools(
  'StatefulPostgres streaming replicas on a real PostgreSQL 15',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_basebackup', 'pg_controldata', 'sh'],
  () => {
    let sandbox: Sandbox;
    let manifests: any[];
    let primary: PostgresServer;
    let replica0: DbPod;
    let standby0: PostgresServer;
    const replicaPort: Record<string, number> = {};

    /** The Service db-rw is the primary's loopback port. */
    const toPrimary = () => ({ PRIMARY_HOST: '127.0.0.1', PRIMARY_PORT: String(primary.port) });
    const replicaPod = (ordinal: number, dirName?: string) =>
      new DbPod(sandbox, manifests, objectOf(manifests, 'StatefulSet', 'db-read'), `db-read-${ordinal}`, dirName);
    const startReplica = async (pod: DbPod) => {
      replicaPort[pod.podName] ??= await freePort();
      return pod.startPostgres(replicaPort[pod.podName], { env: toPrimary() });
    };
    const rowVisible = (server: PostgresServer, id: number) =>
      waitFor(`row ${id} on ${server.name}`, async () => (await server.sql(`SELECT count(*) FROM orders WHERE id = ${id}`, SUPERUSER)) === '1', {
        timeoutMs: 30_000,
        diagnostics: () => `--- ${server.name} log\n${server.log()}`,
      });

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-replication');
      manifests = synthDb(() => ({ replicas: 3, synchronousReplicas: 1 }));
      ({ server: primary } = await startPrimary(sandbox, manifests));
      // synchronous_standby_names is in force and no standby exists yet: commit locally for the setup
      await primary.sql(
        `SET synchronous_commit = local; CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders VALUES (1, 'before the clone')`,
        SUPERUSER,
      );
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('the replica bootstrap clones the primary into PGDATA with a slot, and the replica streams', async () => {
      replica0 = replicaPod(0);
      const r = expectSuccess(await replica0.run('bootstrap', { env: toPrimary() }), 'replica bootstrap');
      expect(r.stderr).toMatch(/cloning 127\.0\.0\.1:\d+/);
      expect(fs.readFileSync(path.join(replica0.dataDir, 'PG_VERSION'), 'utf8').trim()).toBe('15');
      expect(fs.existsSync(path.join(replica0.dataDir, 'standby.signal'))).toBe(true);
      expect(fs.statSync(replica0.dataDir).mode & 0o777).toBe(0o700);
      expect(await systemIdentifier(sandbox, replica0.dataDir)).toBe(await systemIdentifier(sandbox, primary.dataDir));
      // no password was persisted into the clone (-R would write one into postgresql.auto.conf)
      expect(fs.readFileSync(path.join(replica0.dataDir, 'postgresql.auto.conf'), 'utf8')).not.toMatch(/password/i);
      expect(await primary.sql(`SELECT slot_name FROM pg_replication_slots`, SUPERUSER)).toBe('db_read_0');

      standby0 = await startReplica(replica0);
      expect(await standby0.sql('SELECT pg_is_in_recovery()', SUPERUSER)).toBe('t');
      expect(await standby0.sql('SELECT note FROM orders WHERE id = 1', SUPERUSER)).toBe('before the clone');
      await primary.sql(`INSERT INTO orders VALUES (2, 'streamed')`, SUPERUSER);
      await rowVisible(standby0, 2);
      const stat = await waitFor('the replica in pg_stat_replication', async () => {
        const s = await primary.sql(`SELECT application_name, state, sync_state FROM pg_stat_replication`, SUPERUSER);
        return s.includes('streaming') ? s : undefined;
      });
      // ANY 1 ("db_read_0", "db_read_1"): a quorum standby
      expect(stat).toBe('db_read_0|streaming|quorum');
      expect(await primary.sql(`SELECT active FROM pg_replication_slots WHERE slot_name = 'db_read_0'`, SUPERUSER)).toBe('t');
    });

    test('a replica is read-only', async () => {
      const r = await standby0.psqlResult(`INSERT INTO orders VALUES (99, 'no')`, SUPERUSER);
      expect(r.stderr).toMatch(/cannot execute INSERT in a read-only transaction/);
    });

    test('a half-finished earlier clone is discarded, not used', async () => {
      const replica1 = replicaPod(1);
      // an interrupted pg_basebackup leaves PGDATA.partial behind; PGDATA itself is still empty
      const partial = `${replica1.dataDir}.partial`;
      fs.mkdirSync(partial, { recursive: true });
      fs.writeFileSync(path.join(partial, 'PG_VERSION'), '15\n');
      fs.writeFileSync(path.join(partial, 'junk'), 'from an interrupted copy');
      sandbox.own(partial);
      expectSuccess(await replica1.run('bootstrap', { env: toPrimary() }), 'replica bootstrap over a partial copy');
      expect(fs.existsSync(partial)).toBe(false);
      expect(fs.existsSync(path.join(replica1.dataDir, 'junk'))).toBe(false);
      const standby1 = await startReplica(replica1);
      await rowVisible(standby1, 2);
      await standby1.stop();
    });

    test('a non-empty data directory without a database is refused and left alone', async () => {
      const pod = replicaPod(5);
      fs.mkdirSync(pod.dataDir, { recursive: true });
      fs.writeFileSync(path.join(pod.dataDir, 'precious'), 'unknown data');
      sandbox.own(pod.dataDir);
      const r = await pod.run('bootstrap', { env: toPrimary() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/not empty but holds no PG_VERSION: refusing to touch it/);
      expect(fs.readdirSync(pod.dataDir)).toEqual(['precious']);
    });

    test('running the bootstrap again changes nothing and never wipes data', async () => {
      await standby0.stop();
      const id = await systemIdentifier(sandbox, replica0.dataDir);
      const marker = path.join(replica0.dataDir, 'marker-from-test');
      fs.writeFileSync(marker, 'must survive');
      const filesBefore = fs.readdirSync(replica0.dataDir).sort();

      const again = expectSuccess(await replica0.run('bootstrap', { env: toPrimary() }), 'bootstrap again');
      expect(again.stderr).toMatch(/already holds a database; keeping it/);
      expect(again.stderr).toMatch(/replication slot db_read_0 present/);
      // the primary is unreachable (its Service has no ready endpoint): still no wipe, and no wait
      const closedPort = await freePort();
      const offline = expectSuccess(
        await replica0.run('bootstrap', { env: { PRIMARY_HOST: '127.0.0.1', PRIMARY_PORT: String(closedPort) } }),
        'bootstrap offline',
      );
      expect(offline.stderr).toMatch(/could not check replication slot/);

      expect(fs.readFileSync(marker, 'utf8')).toBe('must survive');
      expect(fs.readdirSync(replica0.dataDir).sort()).toEqual(filesBefore);
      expect(await systemIdentifier(sandbox, replica0.dataDir)).toBe(id);

      // writes made while it was down arrive through its slot after the restart
      // every standby is down: commit locally (otherwise this waits, see the synchronous test)
      await primary.sql(`SET synchronous_commit = local; INSERT INTO orders VALUES (3, 'while the replica was down')`, SUPERUSER);
      standby0 = await startReplica(replica0);
      await rowVisible(standby0, 3);
      expect(await standby0.sql('SELECT count(*) FROM orders', SUPERUSER)).toBe('3');
    });

    test('synchronous replication: a commit waits until a standby confirms it', async () => {
      await standby0.stop();
      // no standby is connected: the commit must not return
      const blocked = await run(tool('psql'), ['-X', '-q', '-c', `INSERT INTO orders VALUES (4, 'waits for a standby')`], {
        user: sandbox.user,
        env: primary.libpqEnv(SUPERUSER),
        timeoutMs: 3000,
      });
      expect(blocked.timedOut).toBe(true);
      expect(await primary.sql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'`, SUPERUSER)).toBe('1');
      // a standby comes back: the waiting commit completes and the row is everywhere
      standby0 = await startReplica(replica0);
      await waitFor(
        'the waiting commit to finish',
        async () => (await primary.sql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'`, SUPERUSER)) === '0',
      );
      await rowVisible(standby0, 4);
      expect(await primary.sql('SELECT count(*) FROM orders', SUPERUSER)).toBe('4');
    });
    test('onEmptyPrimary CLONE: a new cluster clones the running one and becomes its own primary', async () => {
      const cloneManifests = synthDb(({ secret }) => ({
        name: 'copy',
        onEmptyPrimary: OnEmptyPrimary.CLONE,
        cloneFrom: { host: 'db-rw', password: { secret: secret('db-replication') } },
      }));
      // the source's Service db-rw is the primary's loopback port
      const { pod, server: copy } = await startPrimary(sandbox, cloneManifests, {
        name: 'copy',
        env: { CLONE_HOST: '127.0.0.1', CLONE_PORT: String(primary.port) },
      });
      // a physical copy of the source, promoted: not a standby, no leftover source settings
      expect(await systemIdentifier(sandbox, pod.dataDir)).toBe(await systemIdentifier(sandbox, primary.dataDir));
      expect(await copy.sql('SELECT pg_is_in_recovery()', SUPERUSER)).toBe('f');
      expect(fs.existsSync(path.join(pod.dataDir, 'standby.signal'))).toBe(false);
      expect(await copy.sql('SELECT count(*) FROM orders', SUPERUSER)).toBe('4');
      // independent from now on
      await copy.sql(`INSERT INTO orders VALUES (100, 'only in the copy')`, SUPERUSER);
      expect(await primary.sql('SELECT count(*) FROM orders WHERE id = 100', SUPERUSER)).toBe('0');
      // and its bootstrap never clones over the data again
      const again = expectSuccess(
        await pod.run('bootstrap', { env: { CLONE_HOST: '127.0.0.1', CLONE_PORT: String(primary.port) } }),
        'bootstrap again',
      );
      expect(again.stderr).toMatch(/leaving it as it is/);
      expect(await copy.sql('SELECT count(*) FROM orders WHERE id = 100', SUPERUSER)).toBe('1');
    });
  },
);
