/**
 * pgBouncer with TLS on a real PostgreSQL 15 and a real pgBouncer: the primary and the pooler pod
 * run from the synthesized manifests with one `kubernetes.io/tls` Secret (a throw-away
 * certificate for `db-rw`, `db-pooler` and 127.0.0.1, which is also its CA). A client uses the env
 * of `db.connection()` unchanged, `sslmode=verify-full` against the host name `db-pooler`, and
 * reaches the pooler at 127.0.0.1 through libpq's `hostaddr` (the Service's address here), so the
 * name check is the real one. See real-cluster.ts for the emulation.
 */
import * as fs from 'fs';
import { DatabaseAccess } from '../../../src/postgres';
import { PostgresConnection } from '../../../src/postgres/connection';
import { describeWithTools } from '../support/binaries';
import { selfSignedCertificate, SelfSignedCertificate } from '../support/certificates';
import { adaptIniToVersion, PgBouncer, pgbouncerVersion } from '../support/pgbouncer';
import { objectOf, objectsOf, PodSandbox } from '../support/pod-sandbox';
import { freePort } from '../support/ports';
import { PostgresServer } from '../support/postgres-server';
import { formatResult } from '../support/processes';
import { Sandbox } from '../support/sandbox';
import { expectSuccess, PASSWORDS, SECRETS, startPrimary, synthDbConstruct } from './real-cluster';

jest.setTimeout(120_000);

describeWithTools(
  'StatefulPostgres pooler with TLS on a real PostgreSQL 15 and pgBouncer',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'pgbouncer', 'openssl', 'sh'],
  () => {
    let sandbox: Sandbox;
    let primary: PostgresServer;
    let pooler: PodSandbox;
    let bouncer: PgBouncer;
    let cert: SelfSignedCertificate;
    let connection: PostgresConnection;
    let runtimeIni: string;
    let removedSettings: string[];

    /** The connection's env as the app container gets it; only the Secret value and the CA path are the test's. */
    const clientEnv = (overrides: Record<string, string> = {}): Record<string, string> => {
      const env: Record<string, string> = {};
      for (const e of connection._env('', undefined)) {
        env[e.name] = e.value ?? PASSWORDS.app;
      }
      return { ...env, PGSSLROOTCERT: cert.certFile, PGHOSTADDR: '127.0.0.1', PGPORT: String(bouncer.port), PGCONNECT_TIMEOUT: '10', ...overrides };
    };
    const viaPooler = (sql: string, overrides: Record<string, string> = {}) => primary.psqlResult(sql, { env: clientEnv(overrides) });

    beforeAll(async () => {
      sandbox = Sandbox.create('pg-pooler-tls');
      cert = await selfSignedCertificate(sandbox, 'cert', ['DNS:db-rw', 'DNS:db-pooler', 'IP:127.0.0.1']);
      const secrets = { ...SECRETS, 'db-tls': { 'tls.crt': cert.cert, 'tls.key': cert.key, 'ca.crt': cert.cert } };
      const synth = synthDbConstruct(({ secret }) => ({
        users: [{ name: 'app', password: { secret: secret('app-secret') }, grants: [{ database: 'orders', access: DatabaseAccess.READ_WRITE }] }],
        databases: [{ name: 'orders', owner: 'app' }],
        pooler: {},
        tls: { secret: secret('db-tls'), serverNames: ['db-rw', 'db-pooler'] },
      }));
      const manifests = synth.manifests;
      connection = synth.db.connection('orders');
      ({ server: primary } = await startPrimary(sandbox, manifests, { secrets }));
      const pgEnv = { PGHOST: '127.0.0.1', PGPORT: String(primary.port) };

      const usersJob = objectsOf(manifests, 'Job').find((j) => j.metadata.name.startsWith('db-users'))!;
      const job = new PodSandbox(sandbox, { manifests, workload: usersJob, podName: 'db-users-tls', secrets });
      expectSuccess(await job.run(job.podSpec.containers[0].name, { env: pgEnv }), 'users Job');

      pooler = new PodSandbox(sandbox, { manifests, workload: objectOf(manifests, 'Deployment', 'db-pooler'), podName: 'db-pooler-tls', secrets });
      for (const c of pooler.podSpec.initContainers ?? []) {
        expectSuccess(await pooler.run(c.name), `pooler init container ${c.name}`);
      }
      const main = pooler.podSpec.containers.find((c: any) => c.name === 'pgbouncer');
      const iniPath = pooler.mapPaths('pgbouncer', main.command[main.command.length - 1]);
      const port = await freePort();
      runtimeIni = fs.readFileSync(iniPath, 'utf8');
      // the network (the Service db-rw is the primary's loopback port, the certificate names
      // 127.0.0.1 too), and the files at the container paths the ini names, as kubelet mounts them
      const tlsDir = pooler.hostPath('pgbouncer', '/etc/pgbouncer/tls');
      const networked = runtimeIni
        .replace(/(_file = )\/etc\/pgbouncer\/tls\//g, `$1${tlsDir}/`)
        .replace(/^\* = host=db-rw port=5432$/m, `* = host=127.0.0.1 port=${primary.port}`)
        .replace(/^listen_addr = .*$/m, 'listen_addr = 127.0.0.1')
        .replace(/^listen_port = 6432$/m, `listen_port = ${port}`);
      const adapted = adaptIniToVersion(networked, pgbouncerVersion());
      removedSettings = adapted.removed;
      fs.writeFileSync(iniPath, adapted.ini);
      bouncer = await PgBouncer.start(sandbox, iniPath, port);
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('the generated pgbouncer.ini turns TLS on both ways, and the test drops nothing of it', () => {
      expect(runtimeIni).toMatch(/^client_tls_sslmode = require$/m);
      expect(runtimeIni).toMatch(/^server_tls_sslmode = verify-full$/m);
      expect(removedSettings.every((l) => /^(auth_dbname|max_prepared_statements) =/.test(l))).toBe(true);
      expect(connection._env('', undefined).find((e) => e.name === 'PGSSLMODE')?.value).toBe('verify-full');
      expect(connection._env('', undefined).find((e) => e.name === 'PGHOST')?.value).toBe('db-pooler');
    });

    test('a client with the connection env gets in over verified TLS (verify-full) and runs transactions', async () => {
      const r = await viaPooler(
        `BEGIN; CREATE TABLE IF NOT EXISTS tls_items (id int); INSERT INTO tls_items VALUES (1), (2); COMMIT;
         SELECT current_user, current_database(), count(*) FROM tls_items;`,
      );
      expect(formatResult(r)).toMatch(/\(exit 0\)/);
      expect(r.stdout.trim()).toBe('app|orders|2');
      // the client's own connection is TLS: psql reports the cipher it negotiated with pgBouncer
      const info = await viaPooler('\\conninfo');
      expect(info.stdout).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
      expect(info.stdout).toMatch(/host "db-pooler"/);
    });

    test("pgBouncer's own connection to PostgreSQL is TLS", async () => {
      const r = await viaPooler('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
      expect(formatResult(r)).toMatch(/\(exit 0\)/);
      expect(r.stdout.trim()).toMatch(/^t\|TLSv1\.[23]$/);
    });

    test('a client without TLS is refused by pgBouncer', async () => {
      const r = await viaPooler('SELECT 1', { PGSSLMODE: 'disable' });
      expect(r.code).not.toBe(0);
      expect(formatResult(r)).toMatch(/SSL required/i);
    });

    test('verify-full fails for a name the certificate does not hold, and against another CA', async () => {
      const wrongName = await viaPooler('SELECT 1', { PGHOST: 'db-other' });
      expect(wrongName.code).not.toBe(0);
      expect(wrongName.stderr).toMatch(/does not match host name "db-other"/);
      const other = await selfSignedCertificate(sandbox, 'other-ca', ['DNS:db-pooler']);
      const wrongCa = await viaPooler('SELECT 1', { PGSSLROOTCERT: other.certFile });
      expect(wrongCa.code).not.toBe(0);
      expect(wrongCa.stderr).toMatch(/certificate verify failed/);
    });

    test('pgBouncer verifies PostgreSQL: with another CA its server connections fail', async () => {
      const other = await selfSignedCertificate(sandbox, 'server-other-ca', ['DNS:db-rw']);
      const iniPath = pooler.mapPaths('pgbouncer', '/etc/pgbouncer/run/pgbouncer.ini');
      const port = await freePort();
      const ini = fs
        .readFileSync(iniPath, 'utf8')
        .replace(/^server_tls_ca_file = .*$/m, `server_tls_ca_file = ${other.certFile}`)
        .replace(/^listen_port = \d+$/m, `listen_port = ${port}`);
      const otherIni = sandbox.path('pgbouncer-other-ca.ini');
      fs.writeFileSync(otherIni, ini);
      fs.chmodSync(otherIni, 0o644);
      const distrusting = await PgBouncer.start(sandbox, otherIni, port, 'pgbouncer-other-ca');
      try {
        const r = await viaPooler('SELECT 1', { PGPORT: String(port) });
        expect(r.code).not.toBe(0);
        expect(distrusting.log()).toMatch(/certificate verify failed|TLS handshake error|verify/i);
      } finally {
        await distrusting.stop();
      }
    });
  },
);
