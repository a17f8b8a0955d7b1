/**
 * SerialBatchJob with a StatefulPostgres connection: the steps' libpq environment, the CA file
 * with TLS, and NetworkPolicies on both sides that allow exactly the batch pods' traffic to the
 * database, proved by evaluating the synthesized policies' selectors.
 */
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Obj, warehouse } from './helpers';
import { connectionAllowed, PodEndpoint } from '../support/selectors';
import { SerialBatchJob, SerialBatchJobProps } from '../../src';

const IMAGE = 'ghcr.io/acme/batch:2.3.0';

/** Whether the synthesized policies let `from` open a TCP connection to `to` on `port`, judging both ends. */
function allows(objects: Obj[], from: PodEndpoint, to: PodEndpoint, port: number): boolean {
  return connectionAllowed(
    objects.filter((o) => o.kind === 'NetworkPolicy'),
    from,
    to,
    port,
  );
}

function podOf(objects: Obj[], kind: string, name: string, namespace: string): PodEndpoint {
  const workload = objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const template = kind === 'CronJob' ? workload.spec.jobTemplate.spec.template : workload.spec.template;
  return { labels: template.metadata.labels, namespace };
}

function batch(chart: Chart, props: Partial<SerialBatchJobProps>): SerialBatchJob {
  return new SerialBatchJob(chart, 'nightly', {
    image: IMAGE,
    steps: [
      { name: 'load', command: ['psql', '-f', 'load.sql'] },
      { name: 'publish', command: ['./publish.sh'] },
    ],
    ...props,
  });
}

/** The pod spec of the batch's Job (the database has Jobs of its own). */
function podSpecOf(objects: Obj[]): Obj {
  return objects.find((o) => o.kind === 'Job' && o.metadata.name === 'nightly')!.spec.template.spec;
}

function envOf(container: Obj): Record<string, Obj> {
  return Object.fromEntries((container.env ?? []).map((e: Obj) => [e.name, e]));
}

describe('database', () => {
  test('every step gets the libpq variables, the password from the user Secret, without allowReservedEnv', () => {
    const chart = Testing.chart();
    const db = warehouse(chart);
    batch(chart, { database: db.connection('sales') });
    const objects = Testing.synth(chart);
    for (const step of podSpecOf(objects).initContainers) {
      const env = envOf(step);
      expect(env.PGHOST.value).toBe('warehouse-rw');
      expect(env.PGPORT.value).toBe('5432');
      expect(env.PGDATABASE.value).toBe('sales');
      expect(env.PGUSER.value).toBe('etl');
      expect(env.PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'warehouse-etl', key: 'password' });
      expect(env.PGSSLMODE.value).toBe('prefer');
      expect(env.PGSSLROOTCERT).toBeUndefined();
    }
    // never a password value in the manifest
    expect(JSON.stringify(objects)).not.toMatch(/"PGPASSWORD","value"/);
    // the summary needs no database
    expect(envOf(podSpecOf(objects).containers[0]).PGHOST).toBeUndefined();
  });

  test('with TLS: the CA mounted as a file in every step and PGSSLROOTCERT naming it', () => {
    const chart = Testing.chart();
    const db = warehouse(chart, { tls: { secret: kplus.Secret.fromSecretName(chart, 'Tls', 'warehouse-tls'), serverNames: ['warehouse-rw'] } });
    batch(chart, {
      database: db.connection('sales'),
      databases: { ARCHIVE_: db.connection('archive', { user: 'archiver' }) },
    });
    const pod = podSpecOf(Testing.synth(chart));
    // one CA volume although two connections name it
    expect(pod.volumes.filter((v: Obj) => v.secret?.secretName === 'warehouse-tls')).toEqual([
      { name: 'warehouse-ca', secret: { secretName: 'warehouse-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } },
    ]);
    for (const step of pod.initContainers) {
      const env = envOf(step);
      expect(env.PGSSLMODE.value).toBe('verify-full');
      expect(env.PGSSLROOTCERT.value).toBe('/etc/postgresql-ca/warehouse/ca.crt');
      expect(env.ARCHIVE_PGDATABASE.value).toBe('archive');
      expect(env.ARCHIVE_PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'warehouse-archiver', key: 'password' });
      expect(step.volumeMounts).toContainEqual({ name: 'warehouse-ca', mountPath: '/etc/postgresql-ca/warehouse', readOnly: true });
    }
  });

  test('the policies on both sides let the batch pod reach the database on its port, and nothing else in', () => {
    const chart = Testing.chart();
    const db = warehouse(chart, { pooler: {} });
    batch(chart, { database: db.connection('sales') });
    const objects = Testing.synth(chart);
    const ns = 'default';
    const job = podOf(objects, 'Job', 'nightly', ns);
    const pooler = podOf(objects, 'Deployment', 'warehouse-pooler', ns);
    const primary = podOf(objects, 'StatefulSet', 'warehouse-primary', ns);
    expect(allows(objects, job, pooler, 6432)).toBe(true);
    // through the pooler only: not the primary directly, not another port
    expect(allows(objects, job, primary, 5432)).toBe(false);
    expect(allows(objects, job, pooler, 5432)).toBe(false);
    // a pod that is not the batch's does not get in
    expect(allows(objects, { labels: { app: 'other' }, namespace: ns }, pooler, 6432)).toBe(false);
    // nothing reaches the batch pod
    expect(allows(objects, pooler, job, 8080)).toBe(false);
    // and without a database the batch may reach the pooler only because its egress is open
    const np = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'nightly')!;
    expect(np.spec.egress.map((r: Obj) => r.ports)).toEqual([
      [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
      [{ port: 6432, protocol: 'TCP' }],
    ]);
  });

  test('across namespaces: the batch in one chart, the database in another, selectors name the namespaces', () => {
    const app = new App();
    const dbChart = new Chart(app, 'db', { namespace: 'data' });
    const batchChart = new Chart(app, 'batch', { namespace: 'batch' });
    const db = warehouse(dbChart);
    batch(batchChart, { database: db.connection('sales', { viaPooler: false }) });
    const objects = [...Testing.synth(dbChart), ...Testing.synth(batchChart)];
    const job = podOf(objects, 'Job', 'nightly', 'batch');
    const primary = podOf(objects, 'StatefulSet', 'warehouse-primary', 'data');
    expect(allows(objects, job, primary, 5432)).toBe(true);
    // the same pod labels in a third namespace do not get in
    expect(allows(objects, { ...job, namespace: 'elsewhere' }, primary, 5432)).toBe(false);
    expect(podSpecOf(Testing.synth(batchChart)).initContainers[0].env.find((e: Obj) => e.name === 'PGHOST').value).toBe('warehouse-rw.data.svc');
  });

  test('across namespaces with TLS: the namespaced name, verify-full only when the certificate holds it', () => {
    const envOfStep = (serverNames: string[]) => {
      const app = new App();
      const dbChart = new Chart(app, `db-${serverNames.length}`, { namespace: `data${serverNames.length}` });
      const tls = { secret: kplus.Secret.fromSecretName(dbChart, 'Tls', 'warehouse-tls'), serverNames };
      const db = warehouse(dbChart, { tls });
      const batchChart = new Chart(app, `batch-${serverNames.length}`, { namespace: 'batch' });
      batch(batchChart, { database: db.connection('sales', { viaPooler: false }) });
      const env: Obj[] = podSpecOf(Testing.synth(batchChart)).initContainers[0].env;
      return Object.fromEntries(env.filter((e) => /^PG(HOST|SSLMODE)$/.test(e.name)).map((e) => [e.name, e.value]));
    };
    // the short name in the certificate does not resolve from the job's namespace
    expect(envOfStep(['warehouse-rw'])).toEqual({ PGHOST: 'warehouse-rw.data1.svc', PGSSLMODE: 'verify-ca' });
    expect(envOfStep(['warehouse-rw', 'warehouse-rw.data2.svc'])).toEqual({ PGHOST: 'warehouse-rw.data2.svc', PGSSLMODE: 'verify-full' });
  });

  test("the user's egress rules come on top of DNS and the database", () => {
    const chart = Testing.chart();
    const db = warehouse(chart);
    batch(chart, {
      database: db.connection('sales'),
      egress: [{ peer: kplus.NetworkPolicyIpBlock.ipv4(chart, 'Sftp', '192.0.2.10/32'), ports: [kplus.NetworkPolicyPort.tcp(22)] }],
    });
    const np = Testing.synth(chart).find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'nightly')!;
    expect(np.spec.egress.map((r: Obj) => r.ports.map((p: Obj) => p.port))).toEqual([[53, 53], [5432], [22]]);
  });

  test('errors: a name set by the database and by config, a bad prefix, not a connection', () => {
    const chart = Testing.chart();
    const db = warehouse(chart);
    expect(() => batch(chart, { database: db.connection('sales'), config: { PGHOST: 'elsewhere' }, allowReservedEnv: ['PGHOST'] })).toThrow(
      /PGHOST is set in database and config/,
    );
    const c = db.connection('archive');
    expect(() => batch(Testing.chart(), { databases: { archive: c } })).toThrow(
      /databases\["archive"\] must be keyed by an env prefix of capitals, digits and "_" ending in "_" \(such as ORDERS_\), got "archive"/,
    );
    expect(() => batch(Testing.chart(), { databases: { SERIAL_BATCH_X_: c } })).toThrow(
      /databases\["SERIAL_BATCH_X_"\] must be keyed by a prefix other than SERIAL_BATCH_/,
    );
    expect(() => batch(Testing.chart(), { database: {} as any })).toThrow(
      /database must be a PostgresConnection from StatefulPostgres.connection\(\)/,
    );
  });
});
