/**
 * A WebAppWithIngress given `database: db.connection(...)` connects to a real PostgreSQL 15 with
 * nothing but what its synthesized pod declares: the primary runs from the StatefulPostgres
 * manifests (TLS with a throw-away certificate for `db-rw`), its users Job creates the role and
 * the database, and `psql` runs inside the web app's container environment (its env with the
 * password from the Secret it references, its CA volume mounted where PGSSLROOTCERT says). The
 * one network rewrite, as in real-cluster.ts: the Service `db-rw:5432` is the primary's loopback
 * port, reached through libpq's `hostaddr`, so the certificate is checked against the real host
 * name `db-rw` (verify-full).
 */
import { Testing } from 'cdk8s';
import { DatabaseAccess, WebAppWithIngress } from '../../../src';
import { expectSuccess, PASSWORDS, SECRETS, startPrimary, synthDbConstruct } from '../postgres/real-cluster';
import { describeWithTools, tool } from '../support/binaries';
import { selfSignedCertificate } from '../support/certificates';
import { objectOf, objectsOf, PodSandbox } from '../support/pod-sandbox';
import { PostgresServer } from '../support/postgres-server';
import { formatResult } from '../support/processes';
import { Sandbox } from '../support/sandbox';

jest.setTimeout(120_000);

describeWithTools(
  'WebAppWithIngress database on a real PostgreSQL 15',
  ['postgres', 'initdb', 'pg_ctl', 'psql', 'pg_isready', 'openssl', 'sh'],
  () => {
    let sandbox: Sandbox;
    let primary: PostgresServer;
    let web: PodSandbox;
    let webManifests: any[];
    let secrets: Record<string, Record<string, string>>;

    /** psql inside the app container; only the Service address is the test's. */
    const psqlInApp = (pod: PodSandbox, sql: string, env: Record<string, string> = {}) =>
      pod.exec('app', [tool('psql'), '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
        env: { PGHOSTADDR: '127.0.0.1', PGPORT: String(primary.port), PGCONNECT_TIMEOUT: '10', ...env },
      });

    beforeAll(async () => {
      sandbox = Sandbox.create('web-database');
      const cert = await selfSignedCertificate(sandbox, 'cert', ['DNS:db-rw', 'IP:127.0.0.1']);
      secrets = { ...SECRETS, 'db-tls': { 'tls.crt': cert.cert, 'tls.key': cert.key, 'ca.crt': cert.cert } };
      const { manifests, db } = synthDbConstruct(({ secret }) => ({
        users: [{ name: 'app', password: { secret: secret('app-secret') }, grants: [{ database: 'orders', access: DatabaseAccess.READ_WRITE }] }],
        databases: [{ name: 'orders', owner: 'app' }],
        tls: { secret: secret('db-tls'), serverNames: ['db-rw'] },
      }));
      const webChart = Testing.chart();
      new WebAppWithIngress(webChart, 'web', {
        image: 'ghcr.io/acme/orders-web:1.4.2',
        host: 'orders.example.com',
        database: db.connection('orders', { viaPooler: false }),
      });
      webManifests = Testing.synth(webChart);

      ({ server: primary } = await startPrimary(sandbox, manifests, { secrets }));
      const usersJob = objectsOf(manifests, 'Job').find((j) => j.metadata.name.startsWith('db-users'))!;
      const job = new PodSandbox(sandbox, { manifests, workload: usersJob, podName: 'db-users', secrets });
      expectSuccess(await job.run(job.podSpec.containers[0].name, { env: { PGHOST: '127.0.0.1', PGPORT: String(primary.port) } }), 'users Job');

      web = new PodSandbox(sandbox, { manifests: webManifests, workload: objectOf(webManifests, 'Deployment', 'web'), podName: 'web-0', secrets });
    });

    afterAll(async () => {
      await sandbox?.dispose();
    });

    test('the app container connects as its user to its database, over TLS verified against db-rw', async () => {
      const r = expectSuccess(
        await psqlInApp(web, "SELECT current_user || ' ' || current_database() || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"),
        'psql in the app container',
      );
      expect(r.stdout.trim()).toBe('app orders true');
      // what made it so: the synthesized env, not the test
      const env = web.containerEnv('app');
      expect(env).toMatchObject({ PGHOST: 'db-rw', PGUSER: 'app', PGDATABASE: 'orders', PGSSLMODE: 'verify-full', PGPASSWORD: PASSWORDS.app });
      expect(env.PGSSLROOTCERT).toMatch(/^\/etc\/postgresql-ca\/db\/ca\.crt$/);
    });

    test('the CA mount is what verifies the server: without it verify-full fails', async () => {
      const r = await psqlInApp(web, 'SELECT 1', { PGSSLROOTCERT: web.hostPath('app', '/tmp') + '/missing-ca.crt' });
      expect(r.code).not.toBe(0);
      expect(formatResult(r)).toMatch(/root certificate file .* does not exist/);
    });

    test('the host name check is real: a name the certificate lacks is refused', async () => {
      const r = await psqlInApp(web, 'SELECT 1', { PGHOST: 'db-ro' });
      expect(r.code).not.toBe(0);
      expect(formatResult(r)).toMatch(/server certificate for "db-rw" (\(and \d+ other names?\) )?does not match host name "db-ro"/);
    });
  },
);
