/**
 * A StatefulPostgres primary on a real PostgreSQL 15, started by the synthesized pod's own init
 * container and start script with the generated postgresql.conf and pg_hba.conf; then the users
 * Job, pgBouncer and the logical dump CronJob against it. See real-cluster.ts for the emulation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DatabaseAccess, OnEmptyPrimary } from '../../../src/postgres';
import { describeWithTools, tool } from '../support/binaries';
import { adaptIniToVersion, PgBouncer, pgbouncerVersion } from '../support/pgbouncer';
import { configMapValue, objectOf, objectsOf, PodSandbox } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer, systemIdentifier } from '../support/postgres-server';
import { formatResult, run } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { DbPod, expectSuccess, PASSWORDS, SECRETS, startPrimary, SUPERUSER, synthDb } from './real-cluster';

jest.setTimeout(120_000);

describeWithTools(
  'StatefulPostgres primary on a real PostgreSQL 15',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pg_controldata', 'pg_dump', 'pg_restore', 'pgbouncer', 'sh'],
  () => {
    let sandbox: Sandbox;
    let manifests: any[];
    let pod: DbPod;
    let primary: PostgresServer;
    const pgEnv = () => ({ PGHOST: '127.0.0.1', PGPORT: String(primary.port) });

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-primary');
      manifests = synthDb(({ secret }) => ({
        users: [
          { name: 'app', password: { secret: secret('app-secret') }, grants: [{ database: 'orders', access: DatabaseAccess.READ_WRITE }] },
          { name: 'reporting', password: { secret: secret('reporting-secret') }, grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }] },
        ],
        // uuid-ossp: a real extension whose name needs quoting (it ships with PostgreSQL's contrib)
        databases: [{ name: 'orders', owner: 'app', extensions: ['uuid-ossp'] }],
        pooler: {},
        logicalBackup: {},
      }));
      ({ pod, server: primary } = await startPrimary(sandbox, manifests));
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('runs the generated postgresql.conf and pg_hba.conf from the config ConfigMap', async () => {
      const confDir = pod.pod.processOf('postgres').env.PG_CONFIG_DIR;
      const [configFile, hbaFile] = (
        await primary.sql(`SELECT current_setting('config_file') || '|' || current_setting('hba_file')`, SUPERUSER)
      ).split('|');
      expect(configFile).toBe(path.join(confDir, 'postgresql.conf'));
      expect(hbaFile).toBe(path.join(confDir, 'pg_hba.conf'));
      expect(fs.readFileSync(configFile, 'utf8')).toBe(configMapValue(manifests, 'db-config', 'postgresql.conf'));
      expect(fs.readFileSync(hbaFile, 'utf8')).toBe(configMapValue(manifests, 'db-config', 'pg_hba.conf'));
    });

    test('PostgreSQL accepts every parameter of postgresql.conf', async () => {
      const rows = (
        await primary.sql(
          `SELECT name, applied, coalesce(error, '') FROM pg_file_settings WHERE sourcefile = current_setting('config_file') ORDER BY seqno`,
          SUPERUSER,
        )
      )
        .split('\n')
        .map((l) => l.split('|'));
      expect(rows.length).toBeGreaterThan(40);
      // the test's command-line overrides (loopback, free port) win over the file, as intended
      const overridden = ['listen_addresses', 'port'];
      expect(rows.filter((r) => overridden.includes(r[0]))).toEqual(overridden.map((n) => [n, 'f', 'setting could not be applied']));
      // every other line is applied: no unknown parameter, bad value or wrong unit
      expect(rows.filter((r) => !overridden.includes(r[0]) && (r[1] !== 't' || r[2] !== ''))).toEqual([]);
    });

    test('values derived from the 1Gi memory limit are in force: shared_buffers is a quarter of it', async () => {
      const show = async (name: string) => primary.sql(`SHOW ${name}`, SUPERUSER);
      expect(await show('shared_buffers')).toBe('256MB');
      expect(await show('effective_cache_size')).toBe('768MB');
      expect(await show('password_encryption')).toBe('scram-sha-256');
      expect(await show('wal_level')).toBe('replica');
      expect(await show('archive_mode')).toBe('on');
      expect(await show('shared_preload_libraries')).toBe('pg_stat_statements');
      // checksums come from the bootstrap script's initdb
      expect(await show('data_checksums')).toBe('on');
    });

    test('pg_hba.conf has no error and no trust rule, and TCP logins need the right password', async () => {
      const rules = await primary.sql(`SELECT type, auth_method, coalesce(error, '') FROM pg_hba_file_rules`, SUPERUSER);
      expect(rules).not.toMatch(/trust/);
      expect(rules.split('\n').filter((l) => !l.endsWith('|'))).toEqual([]);
      const ok = await primary.psqlResult('SELECT 1', { ...SUPERUSER, tcp: true });
      expect(ok.code).toBe(0);
      const bad = await primary.psqlResult('SELECT 1', { user: 'postgres', password: 'wrong', tcp: true });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/password authentication failed for user "postgres"/);
      // even the socket needs the password: no peer/trust shortcut
      const noPassword = await primary.psqlResult('SELECT 1', { user: 'postgres' });
      expect(noPassword.stderr).toMatch(/password/);
    });

    test('the probes (pg_isready on the socket, the control file for writes) pass against the running server', async () => {
      const c = pod.pod.container('postgres');
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
        // the probe names the container port 5432; the test server listens on a free port.
        // Exec probes run in the container, with its env (PGDATA).
        const argv: string[] = probe.exec.command.map((a: string) => a.replace(/-p 5432\b/, `-p ${primary.port}`));
        const r = await pod.pod.exec('postgres', argv);
        expect({ probe: argv.join(' '), code: r.code }).toEqual({ probe: argv.join(' '), code: 0 });
      }
    });

    test('running the primary bootstrap again on an initialised volume changes nothing', async () => {
      const id = await systemIdentifier(sandbox, pod.dataDir);
      await primary.sql(`CREATE TABLE IF NOT EXISTS bootstrap_marker (v text); INSERT INTO bootstrap_marker VALUES ('kept')`, SUPERUSER);
      const r = expectSuccess(await pod.run('bootstrap'), 'bootstrap again');
      expect(r.stderr).toMatch(/leaving it as it is/);
      expect(await systemIdentifier(sandbox, pod.dataDir)).toBe(id);
      expect(await primary.sql(`SELECT v FROM bootstrap_marker`, SUPERUSER)).toBe('kept');
    });

    test('onEmptyPrimary FAIL refuses to initialise an empty data volume, and leaves it empty', async () => {
      const failing = synthDb(() => ({ onEmptyPrimary: OnEmptyPrimary.FAIL }));
      const fresh = new PodSandbox(sandbox, {
        manifests: failing,
        workload: objectOf(failing, 'StatefulSet', 'db-primary'),
        podName: 'db-primary-0',
        dirName: 'fail-pod',
        secrets: SECRETS,
      });
      // a new claim directory: the lost volume
      const r = await fresh.run('bootstrap', { env: { PGDATA: path.join(sandbox.mkdir('lost-volume'), 'pg15') } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/empty and onEmptyPrimary is FAIL/);
      expect(fs.readdirSync(sandbox.path('lost-volume'))).toEqual([]);
      // the same setting on the existing volume starts normally
      const existing = await fresh.run('bootstrap', { env: { PGDATA: pod.dataDir } });
      expect(existing.code).toBe(0);
    });

    describe('users and databases Job', () => {
      let job: PodSandbox;

      beforeAll(() => {
        const jobs = objectsOf(manifests, 'Job').filter((j) => j.metadata.name.startsWith('db-users'));
        expect(jobs).toHaveLength(1);
        job = new PodSandbox(sandbox, { manifests, workload: jobs[0], podName: 'db-users-run', secrets: SECRETS });
      });

      test('its SQL runs twice without error', async () => {
        const container = job.podSpec.containers[0].name;
        const first = await job.run(container, { env: pgEnv() });
        expect(formatResult(first)).toMatch(/\(exit 0\)/);
        const second = await job.run(container, { env: pgEnv() });
        expect(formatResult(second)).toMatch(/\(exit 0\)/);
        expect(second.stderr).not.toMatch(/ERROR/);
        expect(await primary.sql(`SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'`, SUPERUSER)).toBe(
          'orders:app',
        );
        expect(await primary.sql(`SELECT extname FROM pg_extension WHERE extname = 'uuid-ossp'`, { ...SUPERUSER, database: 'orders' })).toBe(
          'uuid-ossp',
        );
        // password values never reach the server log
        expect(primary.log()).not.toContain(PASSWORDS.app);
      });

      test('the application role logs in with its Secret password, and cannot create roles', async () => {
        const app = { user: 'app', password: PASSWORDS.app, database: 'orders', tcp: true };
        expect(await primary.sql('SELECT current_user', app)).toBe('app');
        const create = await primary.psqlResult('CREATE ROLE intruder', app);
        expect(create.code).not.toBe(0);
        expect(create.stderr).toMatch(/permission denied to create role/);
        const wrong = await primary.psqlResult('SELECT 1', { ...app, password: 'not-it' });
        expect(wrong.stderr).toMatch(/password authentication failed for user "app"/);
      });

      test('grants: the owner writes, the read-only role reads and cannot write', async () => {
        const app = { user: 'app', password: PASSWORDS.app, database: 'orders', tcp: true };
        const reporting = { user: 'reporting', password: PASSWORDS.app2, database: 'orders', tcp: true };
        await primary.sql(`CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text); INSERT INTO items (name) VALUES ('a'), ('b')`, app);
        expect(await primary.sql('SELECT count(*) FROM items', reporting)).toMatch(/^\d+$/);
        const write = await primary.psqlResult(`INSERT INTO items (name) VALUES ('x')`, reporting);
        expect(write.stderr).toMatch(/permission denied for table items/);
      });

      test('an empty password in a Secret fails the Job and changes nothing', async () => {
        const jobs = objectsOf(manifests, 'Job').filter((j) => j.metadata.name.startsWith('db-users'));
        const emptied = new PodSandbox(sandbox, {
          manifests,
          workload: jobs[0],
          podName: 'db-users-empty',
          secrets: { ...SECRETS, 'app-secret': { password: '' } },
        });
        const r = await emptied.run(emptied.podSpec.containers[0].name, { env: pgEnv() });
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(/app\/password is empty/);
        // without the guard PostgreSQL would have cleared the password and locked the role out
        expect(await primary.sql('SELECT current_user', { user: 'app', password: PASSWORDS.app, database: 'orders', tcp: true })).toBe('app');
      });

      test('the pooler lookup function is not callable by applications', async () => {
        const r = await primary.psqlResult(`SELECT * FROM pgbouncer.get_auth('app')`, {
          user: 'app',
          password: PASSWORDS.app,
          database: 'orders',
          tcp: true,
        });
        expect(r.stderr).toMatch(/permission denied for (schema|function)/);
      });
    });

    describe('pgBouncer', () => {
      let bouncer: PgBouncer;
      let removedSettings: string[];

      beforeAll(async () => {
        // the users Job creates the auth role and the SECURITY DEFINER lookup function
        const jobs = objectsOf(manifests, 'Job').filter((j) => j.metadata.name.startsWith('db-users'));
        const job = new PodSandbox(sandbox, { manifests, workload: jobs[0], podName: 'db-users-pooler', secrets: SECRETS });
        expectSuccess(await job.run(job.podSpec.containers[0].name, { env: pgEnv() }), 'users Job');

        const deployment = objectOf(manifests, 'Deployment', 'db-pooler');
        const pooler = new PodSandbox(sandbox, { manifests, workload: deployment, podName: 'db-pooler-abc', secrets: SECRETS });
        for (const c of pooler.podSpec.initContainers ?? []) {
          expectSuccess(await pooler.run(c.name), `pooler init container ${c.name}`);
        }
        const main = pooler.podSpec.containers.find((c: any) => c.name === 'pgbouncer');
        const iniPath = pooler.mapPaths('pgbouncer', main.command[main.command.length - 1]);
        const port = await freePort();
        // the network: the Service db-rw is the primary's loopback port; listen on loopback
        const generated = fs.readFileSync(iniPath, 'utf8');
        const networked = generated
          .replace(/^\* = host=db-rw port=5432$/m, `* = host=127.0.0.1 port=${primary.port}`)
          .replace(/^listen_addr = .*$/m, 'listen_addr = 127.0.0.1')
          .replace(/^listen_port = 6432$/m, `listen_port = ${port}`);
        expect(networked.match(/127\.0\.0\.1/g)).toHaveLength(2);
        const adapted = adaptIniToVersion(networked, pgbouncerVersion());
        removedSettings = adapted.removed;
        fs.writeFileSync(iniPath, adapted.ini);
        bouncer = await PgBouncer.start(sandbox, iniPath, port);
        // the container's own command, with the ini it names
        expect(bouncer.daemon.command).toBe(`${tool('pgbouncer')} ${iniPath}`);
      });

      test('serves the application role through SCRAM, looked up with auth_query', async () => {
        const viaPooler = { user: 'app', password: PASSWORDS.app, database: 'postgres', tcp: true, port: bouncer.port };
        expect(await primary.sql('SELECT current_user', viaPooler)).toBe('app');
        expect(await primary.sql(`SELECT current_database(), count(*) > 0 FROM items`, { ...viaPooler, database: 'orders' })).toBe('orders|t');
        const wrong = await primary.psqlResult('SELECT 1', { ...viaPooler, password: 'nope' });
        expect(wrong.code).not.toBe(0);
        expect(wrong.stderr).toMatch(/password authentication failed|SASL authentication failed/);
        // only settings the installed pgBouncer predates were dropped
        expect(removedSettings.every((l) => /^(auth_dbname|max_prepared_statements) =/.test(l))).toBe(true);
      });

      test("the exporter sidecar's own login reads SHOW POOLS from the admin console; applications cannot", async () => {
        const deployment = objectOf(manifests, 'Deployment', 'db-pooler');
        const exporter = deployment.spec.template.spec.containers.find((c: any) => c.name === 'metrics');
        const conn = /^--pgBouncer\.connectionString=postgres:\/\/([^@]+)@127\.0\.0\.1:6432\/(\w+)\?sslmode=disable$/.exec(
          exporter.args.find((a: string) => a.startsWith('--pgBouncer.connectionString=')),
        )!;
        expect(conn).not.toBeNull();
        const ref = exporter.env.find((e: any) => e.name === 'PGPASSWORD').valueFrom.secretKeyRef;
        const asExporter = { user: conn[1], password: SECRETS[ref.name][ref.key], database: conn[2], tcp: true, port: bouncer.port };
        const r = await primary.psqlArgs(['-F', '\t', '-P', 'tuples_only=off', '-P', 'footer=off', '-c', 'SHOW POOLS'], asExporter);
        expect(r.code).toBe(0);
        // the columns pgbouncer_exporter turns into the gauges the pooler alert reads
        expect(r.stdout.split('\n')[0].split('\t')).toEqual(expect.arrayContaining(['database', 'user', 'cl_waiting', 'maxwait']));
        const app = await primary.psqlResult('SHOW POOLS', {
          user: 'app',
          password: PASSWORDS.app,
          database: 'pgbouncer',
          tcp: true,
          port: bouncer.port,
        });
        expect(app.code).not.toBe(0);
      });

      test('refuses the superuser: the lookup function never returns superusers', async () => {
        const r = await primary.psqlResult('SELECT 1', { ...SUPERUSER, database: 'postgres', tcp: true, port: bouncer.port });
        expect(r.code).not.toBe(0);
      });
    });

    test('a logical dump made by the dump CronJob restores into a new database', async () => {
      await primary.sql(`CREATE TABLE IF NOT EXISTS dumped (id int); TRUNCATE dumped; INSERT INTO dumped SELECT generate_series(1, 1000)`, SUPERUSER);
      const cron = objectOf(manifests, 'CronJob', 'db-dump');
      const job = new PodSandbox(sandbox, { manifests, workload: cron, podName: 'db-dump-1', secrets: SECRETS });
      const name = job.podSpec.containers[0].name;
      expectSuccess(await job.run(name, { env: pgEnv() }), 'logical dump');
      const dumpDir = job.processOf(name).env.DUMP_DIR;
      const runs = fs.readdirSync(dumpDir);
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatch(/^\d{8}T\d{6}Z$/);
      const files = fs.readdirSync(path.join(dumpDir, runs[0])).sort();
      expect(files).toEqual(expect.arrayContaining(['globals.sql', 'orders.dump', 'postgres.dump']));
      // globals carry roles but never their passwords
      expect(fs.readFileSync(path.join(dumpDir, runs[0], 'globals.sql'), 'utf8')).not.toMatch(/SCRAM-SHA-256\$/);

      await primary.sql('DROP DATABASE IF EXISTS restored; CREATE DATABASE restored TEMPLATE template0', SUPERUSER);
      const restore = await run(tool('pg_restore'), ['--no-owner', '-d', 'restored', path.join(dumpDir, runs[0], 'postgres.dump')], {
        user: sandbox.user,
        env: primary.libpqEnv({ ...SUPERUSER }),
      });
      expect(formatResult(restore)).toMatch(/\(exit 0\)/);
      expect(await primary.sql('SELECT count(*), sum(id) FROM dumped', { ...SUPERUSER, database: 'restored' })).toBe('1000|500500');
    });
  },
);
