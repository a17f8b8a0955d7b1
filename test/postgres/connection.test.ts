import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { PostgresConnection, StatefulPostgres, StatefulPostgresProps } from '../../src';
import { assertValidManifests } from '../support/k8s-schema';
import { K8sObject, ofKind } from './fixtures';

const APP_POD = { 'app.kubernetes.io/name': 'shop-web', 'app.kubernetes.io/instance': 'shop' };

function withDb(props: Partial<StatefulPostgresProps> = {}, namespace?: string): { chart: Chart; db: StatefulPostgres } {
  const chart = namespace === undefined ? Testing.chart() : new Chart(Testing.app(), 'db-chart', { namespace });
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);
  const db = new StatefulPostgres(chart, 'db', {
    superuserSecret: secret('Su', 'db-superuser'),
    users: [
      { name: 'shop', password: { secret: secret('Shop', 'shop-password') } },
      { name: 'reader', password: { secret: secret('Reader', 'reader-password'), key: 'pw' } },
    ],
    databases: [{ name: 'shop', owner: 'shop' }],
    ...props,
  });
  return { chart, db };
}

function envMap(env: kplus.k8s.EnvVar[]): Record<string, unknown> {
  return Object.fromEntries(env.map((e) => [e.name, e.value ?? e.valueFrom]));
}

// ---- a small NetworkPolicy evaluator: does a policy set let `from` reach `to` on `port`? ----

interface Pod {
  readonly labels: Record<string, string>;
  readonly namespace: string;
}

function selects(selector: any, labels: Record<string, string>): boolean {
  if (selector === undefined) {
    return false;
  }
  const ml = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const me = (selector.matchExpressions ?? []).every((e: any) => e.operator === 'In' && e.values.includes(labels[e.key]));
  return ml && me;
}

function peerMatches(peer: any, pod: Pod, policyNamespace: string): boolean {
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace })
    : pod.namespace === policyNamespace;
  const podOk = peer.podSelector ? selects(peer.podSelector, pod.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: any[] | undefined, port: number): boolean {
  return ports === undefined || ports.some((p) => p.port === port);
}

/** Whether `to`'s ingress policies admit `from` on `port` (`policies` are the objects applied in `to`'s namespace). */
function ingressAllows(policies: K8sObject[], from: Pod, to: Pod, port: number): boolean {
  const applying = policies.filter(
    (p) => ((p.metadata as { namespace?: string }).namespace ?? to.namespace) === to.namespace && selects(p.spec.podSelector, to.labels),
  );
  if (applying.length === 0) {
    return true;
  }
  return applying.some((p) =>
    (p.spec.ingress ?? []).some((r: any) => portMatches(r.ports, port) && (r.from ?? []).some((peer: any) => peerMatches(peer, from, to.namespace))),
  );
}

/** Whether an egress rule built from `_egressPeer()` admits `to` on `port` from a client in `clientNamespace`. */
function egressRuleAllows(
  peer: { podLabels: Record<string, string>; namespace?: string; port: number },
  clientNamespace: string,
  to: Pod,
  port: number,
): boolean {
  const nsOk = (peer.namespace ?? clientNamespace) === to.namespace;
  return nsOk && Object.entries(peer.podLabels).every(([k, v]) => to.labels[k] === v) && peer.port === port;
}

function podsOf(objects: K8sObject[], kind: string, name: string, namespace: string): Pod {
  const w = objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  return { labels: w.spec.template.metadata.labels, namespace };
}

describe('db.connection()', () => {
  test('hands a workload the libpq env, with the password as a secretKeyRef to the user Secret', () => {
    const { db } = withDb();
    const c = db.connection('shop');
    expect(envMap(c._env('', undefined))).toEqual({
      PGHOST: 'db-rw',
      PGPORT: '5432',
      PGDATABASE: 'shop',
      PGUSER: 'shop',
      PGPASSWORD: { secretKeyRef: { name: 'shop-password', key: 'password' } },
      PGSSLMODE: 'prefer',
    });
    expect([c.host, c.port, c.user, c.database, c.sslMode, c.readOnly, c.viaPooler]).toEqual(['db-rw', 5432, 'shop', 'shop', 'prefer', false, false]);
    expect(c._volumes()).toEqual([]);
    expect(c._mounts()).toEqual([]);
    expect(c._usesTls).toBe(false);
    expect(c._egressPeer()).toEqual({
      podLabels: { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'db', 'app.kubernetes.io/component': 'primary' },
      namespace: undefined,
      port: 5432,
    });
  });

  test('a prefix names a second database', () => {
    const { db } = withDb();
    expect(Object.keys(envMap(db.connection('shop', { user: 'reader' })._env('REPORTS_', undefined)))).toEqual([
      'REPORTS_PGHOST',
      'REPORTS_PGPORT',
      'REPORTS_PGDATABASE',
      'REPORTS_PGUSER',
      'REPORTS_PGPASSWORD',
      'REPORTS_PGSSLMODE',
    ]);
  });

  test('through the pooler: the pooler Service, and the pooler pods on their pod port 6432', () => {
    const { db } = withDb({ pooler: {} });
    const c = db.connection('shop');
    expect([c.host, c.port, c.viaPooler]).toEqual(['db-pooler', 5432, true]);
    expect(c._egressPeer()).toMatchObject({ podLabels: { 'app.kubernetes.io/component': 'pooler' }, port: 6432 });
    const direct = db.connection('shop', { viaPooler: false });
    expect([direct.host, direct._egressPeer().port]).toEqual(['db-rw', 5432]);
  });

  test('read-only: the replicas, never through the pooler; with Patroni every member', () => {
    const { db } = withDb({ replicas: 3, pooler: {} });
    const ro = db.connection('shop', { readOnly: true, user: 'reader' });
    expect([ro.host, ro.viaPooler]).toEqual(['db-ro', false]);
    expect(envMap(ro._env('', undefined)).PGPASSWORD).toEqual({ secretKeyRef: { name: 'reader-password', key: 'pw' } });
    expect(ro._egressPeer().podLabels['app.kubernetes.io/component']).toBe('read');
    const ha = withDb({ replicas: 3, highAvailability: {} }).db;
    expect(ha.connection('shop', { readOnly: true })._egressPeer().podLabels['app.kubernetes.io/component']).toBe('member');
    expect(ha.connection('shop')._egressPeer().podLabels['app.kubernetes.io/component']).toBe('member');
  });

  test('with TLS: the CA of the Secret as a file, verify-ca; verify-full on a name of the certificate', () => {
    const chart = Testing.chart();
    const tls = { secret: kplus.Secret.fromSecretName(chart, 'Tls', 'db-tls') };
    const plain = withDb({ tls }).db.connection('shop');
    expect(plain.sslMode).toBe('verify-ca');
    expect(envMap(plain._env('', undefined))).toMatchObject({
      PGHOST: 'db-rw',
      PGSSLMODE: 'verify-ca',
      PGSSLROOTCERT: '/etc/postgresql-ca/db/ca.crt',
    });
    expect(plain._volumes()).toEqual([
      { name: 'db-ca', secret: { secretName: 'db-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } },
    ]);
    expect(plain._mounts()).toEqual([{ name: 'db-ca', mountPath: '/etc/postgresql-ca/db', readOnly: true }]);

    const { db } = withDb({ tls: { ...tls, serverNames: ['db-rw', 'db-pooler.shop.svc'] }, pooler: {} });
    const direct = db.connection('shop', { viaPooler: false });
    expect([direct.host, direct.sslMode]).toEqual(['db-rw', 'verify-full']);
    const pooled = db.connection('shop');
    expect([pooled.host, pooled.sslMode]).toEqual(['db-pooler.shop.svc', 'verify-full']);

    const unverified = withDb({ tls: { ...tls, verifyServer: false } }).db.connection('shop');
    expect([unverified.sslMode, unverified._volumes(), unverified._usesTls]).toEqual(['require', [], true]);
  });

  test('from another namespace: the Service named with its namespace, verify-full only on a certificate name for it', () => {
    const host = (c: PostgresConnection, ns: string | undefined) => [envMap(c._env('', ns)).PGHOST, envMap(c._env('', ns)).PGSSLMODE];
    const plain = withDb({ pooler: {} }, 'data').db.connection('shop');
    expect(host(plain, 'data')).toEqual(['db-pooler', 'prefer']);
    expect(host(plain, 'shop')).toEqual(['db-pooler.data.svc', 'prefer']);
    // a client chart without a namespace may be applied anywhere: the namespaced name works everywhere
    expect(host(plain, undefined)).toEqual(['db-pooler.data.svc', 'prefer']);
    // a database chart without a namespace: where it lands is unknown, the short name is all there is
    expect(host(withDb({ pooler: {} }).db.connection('shop'), 'shop')).toEqual(['db-pooler', 'prefer']);

    const tls = { secret: kplus.Secret.fromSecretName(Testing.chart(), 'Tls', 'db-tls') };
    // the short name in the certificate does not resolve from another namespace
    const short = withDb({ tls: { ...tls, serverNames: ['db-pooler', 'db-pooler.other.svc'] }, pooler: {} }, 'data').db.connection('shop');
    expect(host(short, 'data')).toEqual(['db-pooler', 'verify-full']);
    expect(host(short, 'shop')).toEqual(['db-pooler.data.svc', 'verify-ca']);
    for (const name of ['db-pooler.data', 'db-pooler.data.svc', 'db-pooler.data.svc.cluster.local']) {
      const named = withDb({ tls: { ...tls, serverNames: [name] }, pooler: {} }, 'data').db.connection('shop');
      expect(host(named, 'shop')).toEqual([name, 'verify-full']);
      expect(host(named, 'data')).toEqual([name, 'verify-full']);
    }
    // the public fields describe the connection from the database's own namespace
    expect([short.host, short.sslMode]).toEqual(['db-pooler', 'verify-full']);
  });

  test('connectionEnv is the same env without files: TLS required, not verified', () => {
    const { db } = withDb({ tls: { secret: kplus.Secret.fromSecretName(Testing.chart(), 'T', 'db-tls'), serverNames: ['db-rw'] } });
    const env = db.connectionEnv('shop');
    expect(Object.keys(env)).toEqual(['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGSSLMODE']);
    expect(env.PGSSLMODE.value).toBe('require');
    expect(env.PGHOST.value).toBe('db-rw');
  });

  test('errors name connection() and the option', () => {
    const { db } = withDb();
    expect(() => db.connection('nope')).toThrow(/\[test\/db\] connection\(database\) must be a declared database, got "nope"/);
    expect(() => db.connection('shop', { user: 'postgres' })).toThrow(/connection\(options.user\) must be a declared user, got "postgres"/);
    expect(() => db.connection('shop', { readOnly: true })).toThrow(/connection\(options.readOnly\) must be false with a single instance/);
  });

  describe('NetworkPolicies of both sides allow exactly the connection', () => {
    test('same namespace, through the pooler', () => {
      const { chart, db } = withDb({ pooler: {} }, 'shop');
      const c = db.connection('shop');
      c._allowFrom(APP_POD);
      const objects = Testing.synth(chart) as K8sObject[];
      assertValidManifests(objects);
      const policies = ofKind(objects, 'NetworkPolicy');
      const app: Pod = { labels: APP_POD, namespace: 'shop' };
      const pooler = podsOf(objects, 'Deployment', 'db-pooler', 'shop');
      const primary = podsOf(objects, 'StatefulSet', 'db-primary', 'shop');
      expect(ingressAllows(policies, app, pooler, 6432)).toBe(true);
      expect(egressRuleAllows(c._egressPeer(), 'shop', pooler, 6432)).toBe(true);
      // only that: not the primary directly, not another port, not another app, not another namespace
      expect(ingressAllows(policies, app, primary, 5432)).toBe(false);
      expect(ingressAllows(policies, app, pooler, 5432)).toBe(false);
      expect(ingressAllows(policies, { labels: { 'app.kubernetes.io/name': 'other' }, namespace: 'shop' }, pooler, 6432)).toBe(false);
      expect(ingressAllows(policies, { labels: APP_POD, namespace: 'elsewhere' }, pooler, 6432)).toBe(false);
      expect(egressRuleAllows(c._egressPeer(), 'shop', primary, 5432)).toBe(false);
      // the pooler still reaches the primary
      expect(ingressAllows(policies, pooler, primary, 5432)).toBe(true);
    });

    test('across namespaces, directly to the primary', () => {
      const { chart, db } = withDb({}, 'data');
      const c = db.connection('shop');
      c._allowFrom(APP_POD, 'web');
      const objects = Testing.synth(chart) as K8sObject[];
      const policies = ofKind(objects, 'NetworkPolicy');
      const primary = podsOf(objects, 'StatefulSet', 'db-primary', 'data');
      expect(c._egressPeer().namespace).toBe('data');
      expect(ingressAllows(policies, { labels: APP_POD, namespace: 'web' }, primary, 5432)).toBe(true);
      expect(egressRuleAllows(c._egressPeer(), 'web', primary, 5432)).toBe(true);
      expect(ingressAllows(policies, { labels: APP_POD, namespace: 'data' }, primary, 5432)).toBe(false);
      expect(ingressAllows(policies, { labels: APP_POD, namespace: 'other' }, primary, 5432)).toBe(false);
    });

    test('without NetworkPolicies nothing is added', () => {
      const { chart, db } = withDb({ networkPolicy: false });
      db.connection('shop')._allowFrom(APP_POD);
      expect(ofKind(Testing.synth(chart) as K8sObject[], 'NetworkPolicy')).toEqual([]);
    });
  });

  test('two charts in one app: the connection crosses them', () => {
    const app = new App({ outdir: Testing.app().outdir });
    const data = new Chart(app, 'data', { namespace: 'data' });
    const db = new StatefulPostgres(data, 'db', {
      superuserSecret: kplus.Secret.fromSecretName(data, 'Su', 'db-superuser'),
      users: [{ name: 'shop', password: { secret: kplus.Secret.fromSecretName(data, 'P', 'shop-password') } }],
      databases: [{ name: 'shop', owner: 'shop' }],
    });
    const web = new Chart(app, 'web', { namespace: 'web' });
    const c = db.connection('shop');
    c._allowFrom(APP_POD, web.namespace);
    const objects = Testing.synth(data) as K8sObject[];
    const member = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'db')!;
    expect(member.spec.ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: APP_POD }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } } }],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
  });
});
