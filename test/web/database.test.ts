import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { StatefulPostgres, StatefulPostgresProps, WebAppWithIngress, WebAppWithIngressProps } from '../../src';
import { connectionAllowed, PodEndpoint } from '../support/selectors';
import { all, container, MINIMAL, only } from './support';

const CANARY = { image: 'ghcr.io/acme/shop:1.5.0' };

function newDb(chart: Chart, props: Partial<StatefulPostgresProps> = {}): StatefulPostgres {
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);
  return new StatefulPostgres(chart, 'orders-db', {
    superuserSecret: secret('Su', 'orders-db-superuser'),
    users: [
      { name: 'orders_app', password: { secret: secret('App', 'orders-db-app') } },
      { name: 'reporting', password: { secret: secret('Reporting', 'orders-db-reporting'), key: 'pw' } },
    ],
    databases: [{ name: 'orders', owner: 'orders_app' }],
    ...props,
  });
}

function envOf(objects: any[], deployment = 'web'): Record<string, unknown> {
  return Object.fromEntries((container(only(objects, 'Deployment', deployment)).env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));
}

/** The pod template labels of a workload, as a NetworkPolicy sees the pods. */
function pod(objects: any[], kind: string, name: string, namespace: string): PodEndpoint {
  return { namespace, labels: only(objects, kind, name).spec.template.metadata.labels };
}

describe('one chart, one namespace', () => {
  function synth(dbProps: Partial<StatefulPostgresProps> = {}, web: Partial<WebAppWithIngressProps> = {}, connectionOptions = {}) {
    const chart = new Chart(Testing.app(), 'orders', { namespace: 'orders' });
    const db = newDb(chart, dbProps);
    const app = new WebAppWithIngress(chart, 'web', { ...MINIMAL, database: db.connection('orders', connectionOptions), ...web });
    return { app, db, objects: Testing.synth(chart) };
  }

  test("the container gets libpq's variables, the password only as a secretKeyRef", () => {
    const { objects } = synth({ pooler: {} });
    expect(envOf(objects)).toEqual({
      PGHOST: 'orders-db-pooler',
      PGPORT: '5432',
      PGDATABASE: 'orders',
      PGUSER: 'orders_app',
      PGPASSWORD: { secretKeyRef: { name: 'orders-db-app', key: 'password' } },
      PGSSLMODE: 'prefer',
    });
    const web = JSON.stringify(only(objects, 'Deployment', 'web'));
    expect(web).not.toMatch(/"value":"[^"]*password/i);
    expect(web).not.toMatch(/orders-db-superuser/);
  });

  test('secretEnv and database variables side by side', () => {
    const chart = new Chart(Testing.app(), 'orders', { namespace: 'orders' });
    const db = newDb(chart);
    new WebAppWithIngress(chart, 'web', {
      ...MINIMAL,
      database: db.connection('orders'),
      secretEnv: { API_KEY: { secret: kplus.Secret.fromSecretName(chart, 'Api', 'api'), key: 'key' } },
    });
    expect(Object.keys(envOf(Testing.synth(chart)))).toEqual(['API_KEY', 'PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGSSLMODE']);
  });

  test('through the pooler: the web pods reach the pooler on 6432, and nothing else reaches it from the app', () => {
    const { objects } = synth({ pooler: {} }, { canary: CANARY });
    const policies = all(objects, 'NetworkPolicy');
    const web = pod(objects, 'Deployment', 'web', 'orders');
    const canary = pod(objects, 'Deployment', 'web-canary', 'orders');
    const pooler = pod(objects, 'Deployment', 'orders-db-pooler', 'orders');
    const member = pod(objects, 'StatefulSet', 'orders-db-primary', 'orders');
    expect(connectionAllowed(policies, web, pooler, 6432)).toBe(true);
    expect(connectionAllowed(policies, canary, pooler, 6432)).toBe(true);
    // not around the pooler, not on another port
    expect(connectionAllowed(policies, web, member, 5432)).toBe(false);
    expect(connectionAllowed(policies, web, pooler, 5432)).toBe(false);
    // another app in the namespace is not let in
    expect(connectionAllowed(policies, { namespace: 'orders', labels: { 'app.kubernetes.io/name': 'other' } }, pooler, 6432)).toBe(false);
  });

  test("without the app's NetworkPolicy the database side still admits the app's pods", () => {
    const { objects } = synth({ pooler: {} }, { networkPolicy: { enabled: false } });
    const policies = all(objects, 'NetworkPolicy');
    expect(policies.map((p: any) => p.metadata.name)).not.toContain('web');
    const web = pod(objects, 'Deployment', 'web', 'orders');
    expect(connectionAllowed(policies, web, pod(objects, 'Deployment', 'orders-db-pooler', 'orders'), 6432)).toBe(true);
  });

  test('directly: the web pods reach the members on 5432', () => {
    const { objects } = synth({}, {}, { viaPooler: false });
    const policies = all(objects, 'NetworkPolicy');
    expect(envOf(objects).PGHOST).toBe('orders-db-rw');
    const web = pod(objects, 'Deployment', 'web', 'orders');
    expect(connectionAllowed(policies, web, pod(objects, 'StatefulSet', 'orders-db-primary', 'orders'), 5432)).toBe(true);
  });

  test('with TLS: the CA mounted read-only and verify-full against a name in the certificate', () => {
    const chart = new Chart(Testing.app(), 'orders', { namespace: 'orders' });
    const db = newDb(chart, { tls: { secret: kplus.Secret.fromSecretName(chart, 'Tls', 'orders-db-tls'), serverNames: ['orders-db-rw'] } });
    new WebAppWithIngress(chart, 'web', { ...MINIMAL, database: db.connection('orders', { viaPooler: false }) });
    const objects = Testing.synth(chart);
    const env = envOf(objects);
    expect(env.PGSSLMODE).toBe('verify-full');
    const c = container(only(objects, 'Deployment', 'web'));
    const mount = c.volumeMounts.find((m: any) => m.name === 'orders-db-ca');
    expect(mount).toEqual({ name: 'orders-db-ca', mountPath: '/etc/postgresql-ca/orders-db', readOnly: true });
    expect(env.PGSSLROOTCERT).toBe('/etc/postgresql-ca/orders-db/ca.crt');
    const volume = only(objects, 'Deployment', 'web').spec.template.spec.volumes.find((v: any) => v.name === 'orders-db-ca');
    // only the CA, never the key
    expect(volume.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
  });
});

test('across charts and namespaces: namespaceSelectors on both sides, exactly for the two namespaces', () => {
  const app = new App();
  const dbChart = new Chart(app, 'db', { namespace: 'data' });
  const webChart = new Chart(app, 'web', { namespace: 'shop' });
  const db = newDb(dbChart, { pooler: {} });
  new WebAppWithIngress(webChart, 'web', { ...MINIMAL, database: db.connection('orders') });
  const dbObjects = Testing.synth(dbChart);
  const webObjects = Testing.synth(webChart);
  const policies = [...all(dbObjects, 'NetworkPolicy'), ...all(webObjects, 'NetworkPolicy')];
  const web = pod(webObjects, 'Deployment', 'web', 'shop');
  const pooler = pod(dbObjects, 'Deployment', 'orders-db-pooler', 'data');
  expect(connectionAllowed(policies, web, pooler, 6432)).toBe(true);
  // the same labels in a third namespace are not let in, nor out
  expect(connectionAllowed(policies, { ...web, namespace: 'elsewhere' }, pooler, 6432)).toBe(false);
  expect(connectionAllowed(policies, web, { ...pooler, namespace: 'elsewhere' }, 6432)).toBe(false);
  const egress = only(webObjects, 'NetworkPolicy', 'web').spec.egress;
  expect(egress).toContainEqual({
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } },
        podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'pooler' }) },
      },
    ],
    ports: [{ port: 6432, protocol: 'TCP' }],
  });
});

test('across namespaces, PGHOST names the Service with its namespace; in the same namespace its short name', () => {
  const app = new App();
  const db = newDb(new Chart(app, 'db', { namespace: 'data' }), { pooler: {} });
  const webChart = new Chart(app, 'web', { namespace: 'shop' });
  new WebAppWithIngress(webChart, 'web', { ...MINIMAL, database: db.connection('orders') });
  expect(envOf(Testing.synth(webChart)).PGHOST).toBe('orders-db-pooler.data.svc');
  const sameChart = new Chart(app, 'same', { namespace: 'data' });
  new WebAppWithIngress(sameChart, 'web', { ...MINIMAL, database: db.connection('orders') });
  expect(envOf(Testing.synth(sameChart)).PGHOST).toBe('orders-db-pooler');
});

test('across namespaces with TLS: verify-full only when the certificate names the Service with its namespace', () => {
  const app = new App();
  const dbWithNames = (name: string, serverNames: string[]) => {
    const chart = new Chart(app, name, { namespace: 'data' });
    return newDb(chart, { name, pooler: {}, tls: { secret: kplus.Secret.fromSecretName(chart, 'Tls', `${name}-tls`), serverNames } });
  };
  const shortOnly = dbWithNames('short-db', ['short-db-pooler']);
  const namespaced = dbWithNames('named-db', ['named-db-pooler', 'named-db-pooler.data.svc']);
  const webChart = new Chart(app, 'web', { namespace: 'shop' });
  new WebAppWithIngress(webChart, 'web', {
    ...MINIMAL,
    database: shortOnly.connection('orders'),
    databases: { NAMED_: namespaced.connection('orders') },
  });
  expect(envOf(Testing.synth(webChart))).toMatchObject({
    PGHOST: 'short-db-pooler.data.svc',
    PGSSLMODE: 'verify-ca',
    NAMED_PGHOST: 'named-db-pooler.data.svc',
    NAMED_PGSSLMODE: 'verify-full',
  });
});

test('databases: prefixed variables per database, one CA volume per instance', () => {
  const chart = new Chart(Testing.app(), 'orders', { namespace: 'orders' });
  const db = newDb(chart, { replicas: 2, tls: { secret: kplus.Secret.fromSecretName(chart, 'Tls', 'orders-db-tls') } });
  new WebAppWithIngress(chart, 'web', {
    ...MINIMAL,
    database: db.connection('orders'),
    databases: { REPORTING_: db.connection('orders', { user: 'reporting', readOnly: true }) },
  });
  const objects = Testing.synth(chart);
  const env = envOf(objects);
  expect(env).toMatchObject({
    PGUSER: 'orders_app',
    REPORTING_PGUSER: 'reporting',
    REPORTING_PGHOST: 'orders-db-ro',
    REPORTING_PGPASSWORD: { secretKeyRef: { name: 'orders-db-reporting', key: 'pw' } },
  });
  const spec = only(objects, 'Deployment', 'web').spec.template.spec;
  expect(spec.volumes.filter((v: any) => v.name === 'orders-db-ca')).toHaveLength(1);
  expect(spec.containers[0].volumeMounts.filter((m: any) => m.name === 'orders-db-ca')).toHaveLength(1);
});

describe('errors', () => {
  const build = (props: (chart: Chart, db: StatefulPostgres) => Partial<WebAppWithIngressProps>) => {
    const chart = new Chart(Testing.app(), 'orders', { namespace: 'orders' });
    const db = newDb(chart);
    return () => new WebAppWithIngress(chart, 'web', { ...MINIMAL, ...props(chart, db) });
  };

  test('the reserved-name guard stays for config: PG* only comes from a connection', () => {
    expect(build((_c, db) => ({ database: db.connection('orders'), config: { PGHOST: 'x' } }))).toThrow(
      /config\["PGHOST"\] must be keyed by a name that is not reserved \(libpq reads PG\* variables\)/,
    );
  });

  test('config or secretEnv naming a prefixed database variable', () => {
    expect(build((_c, db) => ({ databases: { ORDERS_: db.connection('orders') }, config: { ORDERS_PGHOST: 'x' } }))).toThrow(
      /config\["ORDERS_PGHOST"\] must be keyed by a name the databases do not set \(duplicate variable\)/,
    );
    expect(
      build((chart, db) => ({
        databases: { ORDERS_: db.connection('orders') },
        secretEnv: { ORDERS_PGDATABASE: { secret: kplus.Secret.fromSecretName(chart, 'S', 's'), key: 'k' } },
      })),
    ).toThrow(/secretEnv\["ORDERS_PGDATABASE"\] must be keyed by a name the databases do not set/);
  });

  test('a bad prefix, or something else than a connection', () => {
    expect(build((_c, db) => ({ databases: { orders: db.connection('orders') } }))).toThrow(
      /databases\["orders"\] must be keyed by an env prefix of capitals, digits and "_" ending in "_" \(such as ORDERS_\)/,
    );
    expect(build(() => ({ database: { host: 'x' } as any }))).toThrow(/database must be a PostgresConnection from StatefulPostgres.connection\(\)/);
  });
});
