/**
 * The patterns composed on a real node, across namespaces: a StatefulPostgres in one namespace, a
 * SerialBatchJob and a WebAppWithIngress in another, each wired with `database:` alone. The batch's
 * steps run SQL with psql through the connection's environment (the rows they write are counted),
 * and the web pod reaches PostgreSQL at its `PGHOST`/`PGPORT`: the namespaced Service name
 * resolves from the client's namespace. (The node's bridge network does not enforce
 * NetworkPolicies; test/web/database.test.ts and test/batch/database.test.ts evaluate them.)
 */
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { SerialBatchJob, StatefulPostgres, WebAppWithIngress } from '../../src';
import {
  apply,
  exec,
  getJson,
  image,
  kubectl,
  Namespace,
  podNames,
  waitFor,
  waitForJob,
  waitForRollout,
  waitForStatefulSet,
} from './support/node-cluster';
import { createAppSecret, createSuperuserSecret, SUPERUSER_PASSWORD } from './support/database-secrets';

const ROWS = 42;

/** libpq's SSLRequest: PostgreSQL (or pgBouncer) answers one byte, `S` or `N`, before any auth. */
const SSL_REQUEST = String.raw`\000\000\000\010\004\322\026\057`;

describe('a batch job and a web app connected to a StatefulPostgres in another namespace', () => {
  let dataNs: Namespace;
  let appsNs: Namespace;
  beforeAll(() => {
    dataNs = Namespace.create('data');
    appsNs = Namespace.create('apps');
    createSuperuserSecret(dataNs.name);
    // the user's password Secret: read by the users Job beside the database, and by the clients'
    // `secretKeyRef` in their own namespace (a Secret is only visible in its namespace)
    createAppSecret(dataNs.name);
    createAppSecret(appsNs.name);
  });
  afterAll(async () => {
    await appsNs?.delete();
    await dataNs?.delete();
  });

  test('the steps write and count rows through `database:`, and the web pod reaches PostgreSQL', async () => {
    const app = Testing.app() as App;
    const dbChart = new Chart(app, 'db', { namespace: dataNs.name });
    const db = new StatefulPostgres(dbChart, 'sales-db', {
      superuserSecret: kplus.Secret.fromSecretName(dbChart, 'Superuser', 'db-superuser'),
      image: image('POSTGRES_IMAGE'),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      storage: Size.gibibytes(1),
      metrics: { image: image('EXPORTER_IMAGE') },
      users: [{ name: 'sales_app', password: { secret: kplus.Secret.fromSecretName(dbChart, 'App', 'db-app') } }],
      databases: [{ name: 'sales', owner: 'sales_app' }],
    });
    const appsChart = new Chart(app, 'apps', { namespace: appsNs.name, disableResourceNameHashes: true });
    const batch = new SerialBatchJob(appsChart, 'Load', {
      name: 'load',
      image: image('POSTGRES_IMAGE'),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      defaultStepTimeout: Duration.minutes(5),
      database: db.connection('sales'),
      steps: [
        {
          name: 'load',
          command: ['psql', '-X', '-v', 'ON_ERROR_STOP=1', '-c', `create table facts(id int); insert into facts select generate_series(1, ${ROWS})`],
        },
        { name: 'count', command: ['sh', '-c', 'echo "rows=$(psql -X -v ON_ERROR_STOP=1 -At -c "select count(*) from facts")"'] },
      ],
    });
    const web = new WebAppWithIngress(appsChart, 'Web', {
      image: image('HTTP_IMAGE'),
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      host: 'sales.example.com',
      port: 8080,
      replicas: 1,
      healthCheckPath: '/healthz',
      database: db.connection('sales'),
    });

    // the database first (its NetworkPolicy already admits the clients), then its clients
    const dbLines = apply(dbChart);
    await waitForStatefulSet(dataNs.name, db.primaryStatefulSet.name, 600_000);
    const usersJob = dbLines.map((l) => /^job\.batch\/(\S+)/.exec(l)?.[1]).find((j) => j !== undefined);
    expect(usersJob).toBeDefined();
    await waitForJob(dataNs.name, usersJob!, 300_000);
    apply(appsChart);

    await waitForJob(appsNs.name, batch.name, 300_000);
    const [pod] = podNames(appsNs.name, `job-name=${batch.name}`);
    const countLog = kubectl(['logs', '-n', appsNs.name, pod, '-c', 's02-count']).stdout;
    expect(countLog).toContain(`rows=${ROWS}`);
    // the rows are in the database, owned by the connection's user
    const primary = `${db.primaryStatefulSet.name}-0`;
    const onPrimary = exec(
      dataNs.name,
      primary,
      [
        'sh',
        '-c',
        `PGPASSWORD='${SUPERUSER_PASSWORD}' psql -X -At "host=127.0.0.1 user=postgres dbname=sales" -c "select count(*) || ' ' || tableowner from facts, pg_tables where tablename = 'facts' group by tableowner"`,
      ],
      'postgres',
    ).trim();
    expect(onPrimary).toBe(`${ROWS} sales_app`);

    await waitForRollout(appsNs.name, web.deployment.name);
    const selector = getJson(['deployment', '-n', appsNs.name, web.deployment.name]).spec.selector.matchLabels as Record<string, string>;
    const [webPod] = podNames(
      appsNs.name,
      Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    );
    expect(webPod).toBeDefined();
    const seen = exec(appsNs.name, webPod, ['sh', '-c', 'echo "$PGHOST:$PGPORT"']).trim();
    expect(seen).toBe(`${db.primaryService.name}.${dataNs.name}.svc:5432`);
    await waitFor('PostgreSQL answers the web pod at $PGHOST:$PGPORT', 60_000, () => {
      const r = kubectl(['exec', '-n', appsNs.name, webPod, '--', 'sh', '-c', `printf '${SSL_REQUEST}' | nc -w 5 "$PGHOST" "$PGPORT"`], {
        allowFailure: true,
      });
      return /^[SN]$/.test(r.stdout) ? r.stdout : undefined;
    });
  });
});
