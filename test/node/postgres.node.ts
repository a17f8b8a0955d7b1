/**
 * StatefulPostgres in real pods on the local PostgreSQL image (official layout, uid 999): the
 * default single instance, then a primary with a streaming replica, the users Job and pgBouncer
 * serving a query. The volumes are static local PersistentVolumes, so kubelet applies `fsGroup`
 * to them as it does to cloud disks.
 */
import { App, Chart, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres, StatefulPostgresProps } from '../../src';
import {
  apply,
  exec,
  getJson,
  image,
  kubectl,
  Namespace,
  startClientPod,
  waitFor,
  waitForJob,
  waitForRollout,
  waitForStatefulSet,
} from './support/node-cluster';
import { APP_PASSWORD, createAppSecret, createSuperuserSecret, SUPERUSER_PASSWORD } from './support/database-secrets';

function createSecrets(ns: string): void {
  createSuperuserSecret(ns);
  createAppSecret(ns);
}

function database(ns: string, id: string, props: (chart: Chart) => Partial<StatefulPostgresProps>): StatefulPostgres {
  const chart = new Chart(Testing.app() as App, id, { namespace: ns });
  return new StatefulPostgres(chart, id, {
    superuserSecret: kplus.Secret.fromSecretName(chart, 'Superuser', 'db-superuser'),
    image: image('POSTGRES_IMAGE'),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    storage: Size.gibibytes(1),
    // no local image of the pinned pgBouncer exporter can be built here (its module is not served,
    // and Debian's pgBouncer exporter is another program): the pooler runs without it
    metrics: { image: image('EXPORTER_IMAGE'), poolerExporter: false },
    ...props(chart),
  });
}

/** psql in a pod, as the superuser over TCP (the password comes from the test, not the manifest). */
function psql(ns: string, pod: string, container: string, sql: string, conn = 'host=127.0.0.1 user=postgres dbname=postgres'): string {
  return exec(ns, pod, ['sh', '-c', `PGPASSWORD='${SUPERUSER_PASSWORD}' psql -X -v ON_ERROR_STOP=1 -At "${conn}" -c "${sql}"`], container).trim();
}

describe('StatefulPostgres on a real node', () => {
  let ns: Namespace;
  beforeAll(() => {
    ns = Namespace.create('pg');
    createSecrets(ns.name);
  });
  afterAll(async () => {
    await ns?.delete();
  });

  test('the default single instance starts on a fresh volume and answers queries', async () => {
    const db = database(ns.name, 'single', () => ({}));
    apply(Chart.of(db));
    const sts = db.primaryStatefulSet.name;
    await waitForStatefulSet(ns.name, sts, 600_000);
    expect(psql(ns.name, `${sts}-0`, 'postgres', 'select version()')).toMatch(/^PostgreSQL 15\./);
    // the data directory belongs to the image's postgres account, on a volume kubelet gave fsGroup 999
    expect(
      exec(ns.name, `${sts}-0`, ['sh', '-c', 'id -u; stat -c %g "$PGDATA" 2>/dev/null || stat -c %g /var/lib/postgresql/data'], 'postgres').split(
        '\n',
      )[0],
    ).toBe('999');
  });

  test('a primary with a streaming replica replicates a write, and pgBouncer serves a query', async () => {
    const db = database(ns.name, 'orders', (chart) => ({
      replicas: 2,
      users: [{ name: 'orders_app', password: { secret: kplus.Secret.fromSecretName(chart, 'App', 'db-app') } }],
      databases: [{ name: 'orders', owner: 'orders_app' }],
      pooler: { replicas: 1, image: image('PGBOUNCER_IMAGE') },
    }));
    const objects = apply(Chart.of(db));
    const primary = db.primaryStatefulSet.name;
    const replica = db.replicaStatefulSet!.name;
    await waitForStatefulSet(ns.name, primary, 600_000);
    await waitForStatefulSet(ns.name, replica, 600_000);
    const usersJob = objects.map((l) => /^job\.batch\/(\S+)/.exec(l)?.[1]).find((j) => j !== undefined);
    if (usersJob) {
      await waitForJob(ns.name, usersJob, 300_000);
    }
    psql(
      ns.name,
      `${primary}-0`,
      'postgres',
      'create table replicated(v text); insert into replicated values (1)',
      'host=127.0.0.1 user=postgres dbname=orders',
    );
    await waitFor('the write replicated to the replica', 60_000, () => {
      const r = kubectl(
        [
          'exec',
          '-n',
          ns.name,
          `${replica}-0`,
          '-c',
          'postgres',
          '--',
          'sh',
          '-c',
          `PGPASSWORD='${SUPERUSER_PASSWORD}' psql -X -At "host=127.0.0.1 user=postgres dbname=orders" -c "select count(*) from replicated"`,
        ],
        {
          allowFailure: true,
        },
      );
      return r.stdout.trim() === '1' ? true : undefined;
    });
    expect(psql(ns.name, `${replica}-0`, 'postgres', 'select pg_is_in_recovery()')).toBe('t');

    await waitForRollout(ns.name, `${db.name}-pooler`, 300_000);
    const client = await startClientPod(ns.name, 'psql', image('POSTGRES_IMAGE'), 999);
    const pooler = getJson(['service', '-n', ns.name, db.poolerService!.name]);
    const port = pooler.spec.ports[0].port;
    const host = `${db.poolerService!.name}.${ns.name}.svc.cluster.local`;
    const answer = exec(ns.name, client, [
      'sh',
      '-c',
      `PGPASSWORD='${APP_PASSWORD}' psql -X -v ON_ERROR_STOP=1 -At "host=${host} port=${port} user=orders_app dbname=orders" -c "select current_user || '@' || current_database()"`,
    ]);
    expect(answer.trim()).toBe('orders_app@orders');
  });
});
