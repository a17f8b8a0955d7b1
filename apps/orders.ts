import { App, Chart, Cron, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, DatabaseAccess, OnEmptyPrimary, StatefulPostgres, WebAppWithIngress } from '../src';

/**
 * The orders database: a primary and two streaming replicas, pgBouncer, nightly pgBackRest
 * backups to S3 with WAL archiving, a daily logical dump, the application's roles and database,
 * and a WebAppWithIngress that connects through the pooler with `database: db.connection('orders')`.
 *
 * The Secrets it references are created outside this app (e.g. by External Secrets):
 * - `orders-db-superuser`: password, replication-password, metrics-password, pooler-password
 * - `orders-db-app`, `orders-db-reporting`: password
 * - `orders-db-s3`: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 */
export function ordersApp(app: App): void {
  const chart = new Chart(app, 'orders', { namespace: 'orders' });
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);

  const db = new StatefulPostgres(chart, 'orders-db', {
    version: 15,
    replicas: 3,
    storage: Size.gibibytes(50),
    memory: Size.gibibytes(4),
    cpu: kplus.Cpu.units(1),
    superuserSecret: secret('Superuser', 'orders-db-superuser'),
    users: [
      { name: 'orders_app', password: { secret: secret('AppPassword', 'orders-db-app') }, connectionLimit: 200 },
      {
        name: 'reporting',
        password: { secret: secret('ReportingPassword', 'orders-db-reporting') },
        connectionLimit: 10,
        grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }],
      },
    ],
    databases: [{ name: 'orders', owner: 'orders_app', extensions: ['pgcrypto'] }],
    pooler: { replicas: 2 },
    backup: {
      schedule: Cron.daily(),
      repository: BackupRepository.s3({ bucket: 'acme-backups', region: 'eu-west-1', credentials: secret('S3', 'orders-db-s3') }),
    },
    logicalBackup: { schedule: Cron.schedule({ minute: '30', hour: '3' }), retentionDays: 14 },
    // the database exists: an empty primary volume must never silently become a new database
    onEmptyPrimary: OnEmptyPrimary.FAIL,
  });

  // the web app: libpq's variables from the connection (the password from the user's Secret),
  // and the NetworkPolicies of both sides opened for exactly this traffic (web -> pooler:6432)
  new WebAppWithIngress(chart, 'Web', {
    name: 'orders-web',
    image: 'ghcr.io/acme/orders-web:1.4.2',
    host: 'orders.example.com',
    healthCheckPath: '/ready',
    livenessCheckPath: '/healthz',
    resources: {
      cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.millis(1000) },
      memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
      ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
    },
    database: db.connection('orders'),
  });
}
