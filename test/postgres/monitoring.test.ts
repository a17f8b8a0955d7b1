import { Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, StatefulPostgres, StatefulPostgresProps } from '../../src';
import { PropErrors } from '../../src/common/errors';
import { PodMonitor } from '../../src/imports/monitoring-podmonitors-monitoring.coreos.com';
import { PrometheusRule } from '../../src/imports/monitoring-prometheusrules-monitoring.coreos.com';
import {
  ALERT_METRICS,
  MonitoredInstance,
  podMonitorSpec,
  promDuration,
  prometheusRuleSpec,
  ResolvedMonitoring,
  resolveMonitoring,
} from '../../src/postgres/monitoring';
import { PostgresMonitoringOptions } from '../../src/postgres/monitoring-props';
import { container, find, ofKind, superuser, synthDb } from './fixtures';
import { INSTANCE, resolved } from './monitoring-fixtures';

function resolveErrors(options: PostgresMonitoringOptions): string {
  const errors = new PropErrors(Testing.chart());
  resolveMonitoring(errors, 'metrics.monitoring', options);
  try {
    errors.throwIfAny();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

/** The objects in a chart, synthesized (and schema-checked against the pinned CRDs). */
function synth(instance: MonitoredInstance, m: ResolvedMonitoring): any[] {
  const chart = new Chart(Testing.app(), 'test', { namespace: instance.namespace });
  new PodMonitor(chart, 'PodMonitor', { metadata: { name: instance.name }, spec: podMonitorSpec(instance, m) });
  new PrometheusRule(chart, 'PrometheusRule', { metadata: { name: instance.name }, spec: prometheusRuleSpec(instance, m) });
  return Testing.synth(chart);
}

/** Every alert, in the order a replicated instance with a pooler and backups emits them. */
const EVERY_ALERT = [
  'PostgresInstanceDown',
  'PostgresWalArchivingFailing',
  'PostgresConnectionsNearLimit',
  'PostgresLongRunningTransaction',
  'PostgresReplicationLagging',
  'PostgresReplicaNotStreaming',
  'PostgresBackupTooOld',
  'PgBouncerClientsWaiting',
  'PgBouncerDown',
];
const alertNames = (objects: any[]): string[] => objects.find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules.map((r: any) => r.alert);
const rule = (objects: any[], alert: string): any =>
  objects.find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules.find((r: any) => r.alert === alert);

describe('resolveMonitoring', () => {
  test('defaults', () => {
    expect(resolved()).toEqual({
      podMonitor: true,
      scrapeIntervalSeconds: 30,
      alerts: true,
      pendingForSeconds: 300,
      replicationLagBytes: 64 * 1024 * 1024,
      connectionsPercent: 80,
      longTransactionSeconds: 900,
      poolerWaitSeconds: 10,
      backupAgeSeconds: 25 * 3600,
    });
  });

  test('every option', () => {
    const options: Required<PostgresMonitoringOptions> = {
      podMonitor: false,
      scrapeInterval: Duration.seconds(15),
      alerts: false,
      thresholds: {
        pendingFor: Duration.minutes(2),
        replicationLag: Size.gibibytes(1),
        connectionsPercent: 90,
        longTransaction: Duration.hours(1),
        poolerWait: Duration.seconds(3),
        backupAge: Duration.days(8),
      },
    };
    expect(resolved(options)).toEqual({
      podMonitor: false,
      scrapeIntervalSeconds: 15,
      alerts: false,
      pendingForSeconds: 120,
      replicationLagBytes: 1024 ** 3,
      connectionsPercent: 90,
      longTransactionSeconds: 3600,
      poolerWaitSeconds: 3,
      backupAgeSeconds: 8 * 86400,
    });
  });

  test('absent options resolve to nothing', () => {
    expect(resolveMonitoring(new PropErrors(Testing.chart()), 'metrics.monitoring', undefined)).toBeUndefined();
  });

  test.each([
    [
      { scrapeInterval: Duration.millis(1500) },
      /metrics\.monitoring\.scrapeInterval must be a whole number of seconds from 1 to 3600, got "1500 millis"/,
    ],
    [{ scrapeInterval: Duration.hours(2) }, /metrics\.monitoring\.scrapeInterval must be a whole number of seconds from 1 to 3600, got "2 hours"/],
    [{ thresholds: { connectionsPercent: 0 } }, /metrics\.monitoring\.thresholds\.connectionsPercent must be an integer from 1 to 100, got 0/],
    [{ thresholds: { connectionsPercent: 80.5 } }, /connectionsPercent must be an integer from 1 to 100, got 80\.5/],
    [
      { thresholds: { replicationLag: Size.kibibytes(0) } },
      /metrics\.monitoring\.thresholds\.replicationLag must be a whole number of KiB, at least 1Ki, got "0Ki"/,
    ],
    [
      { thresholds: { longTransaction: Duration.seconds(0) } },
      /metrics\.monitoring\.thresholds\.longTransaction must be a whole number of seconds from 1 to 604800, got "0 seconds"/,
    ],
    [
      { thresholds: { poolerWait: Duration.days(2) } },
      /metrics\.monitoring\.thresholds\.poolerWait must be a whole number of seconds from 1 to 86400/,
    ],
    [
      { thresholds: { backupAge: Duration.seconds(30) } },
      /metrics\.monitoring\.thresholds\.backupAge must be a whole number of seconds from 60 to 31622400, got "30 seconds"/,
    ],
    [
      { thresholds: { pendingFor: Duration.days(2) } },
      /metrics\.monitoring\.thresholds\.pendingFor must be a whole number of seconds from 0 to 86400/,
    ],
  ])('rejects %p', (options, message) => {
    expect(resolveErrors(options as PostgresMonitoringOptions)).toMatch(message);
  });

  test('every problem at once', () => {
    const message = resolveErrors({ scrapeInterval: Duration.seconds(0), thresholds: { connectionsPercent: 101, poolerWait: Duration.seconds(0) } });
    expect(message).toMatch(/3 invalid props/);
  });
});

describe('PodMonitor', () => {
  test('scrapes the metrics port of every member and pooler pod, with the instance and component labels', () => {
    const objects = synth(INSTANCE, resolved({ scrapeInterval: Duration.seconds(20) }));
    const monitor = objects.find((o) => o.kind === 'PodMonitor');
    expect(monitor.metadata.namespace).toBe('shop');
    expect(monitor.spec).toEqual({
      selector: {
        matchLabels: { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'orders' },
        matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['primary', 'read', 'member', 'pooler'] }],
      },
      podTargetLabels: ['app.kubernetes.io/instance', 'app.kubernetes.io/component'],
      podMetricsEndpoints: [{ port: 'metrics', path: '/metrics', interval: '20s', scheme: 'http' }],
    });
  });

  test('without a pooler only the members', () => {
    const monitor = synth({ ...INSTANCE, pooler: false }, resolved()).find((o) => o.kind === 'PodMonitor');
    expect(monitor.spec.selector.matchExpressions[0].values).toEqual(['primary', 'read', 'member']);
  });
});

describe('PrometheusRule', () => {
  test('every alert of a replicated instance with a pooler and backups', () => {
    const objects = synth(INSTANCE, resolved());
    expect(alertNames(objects)).toEqual(EVERY_ALERT);
    for (const r of objects.find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary).toEqual(expect.any(String));
      expect(r.annotations.description).toEqual(expect.any(String));
    }
  });

  test('a single instance has no replication alerts; no pooler, no pgBouncer alerts; no backup, no backup alert', () => {
    const objects = synth({ ...INSTANCE, members: 1, pooler: false, backupCronJobs: [] }, resolved());
    expect(alertNames(objects)).toEqual([
      'PostgresInstanceDown',
      'PostgresWalArchivingFailing',
      'PostgresConnectionsNearLimit',
      'PostgresLongRunningTransaction',
    ]);
  });

  test('thresholds reach the expressions', () => {
    const objects = synth(
      INSTANCE,
      resolved({
        thresholds: {
          pendingFor: Duration.minutes(10),
          replicationLag: Size.mebibytes(16),
          connectionsPercent: 95,
          longTransaction: Duration.hours(2),
          poolerWait: Duration.seconds(30),
          backupAge: Duration.days(8),
        },
      }),
    );
    expect(rule(objects, 'PostgresReplicationLagging').expr).toMatch(/> 16777216$/);
    expect(rule(objects, 'PostgresReplicationLagging').for).toBe('10m');
    expect(rule(objects, 'PostgresConnectionsNearLimit').expr).toMatch(/> 95$/);
    expect(rule(objects, 'PostgresLongRunningTransaction').expr).toMatch(/> 7200$/);
    expect(rule(objects, 'PgBouncerClientsWaiting').expr).toMatch(/> 30$/);
    expect(rule(objects, 'PostgresBackupTooOld').expr).toMatch(/cronjob=~"orders-backup-full\|orders-backup-diff"}\) > 691200$/);
    expect(rule(objects, 'PostgresReplicaNotStreaming').expr).toMatch(/< 2 and/);
  });

  test('every expression selects this instance only, and its namespace when the chart has one', () => {
    for (const r of synth(INSTANCE, resolved()).find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules) {
      expect(r.expr).toMatch(/namespace="shop"/);
      if (r.alert !== 'PostgresBackupTooOld') {
        expect(r.expr).toMatch(/app_kubernetes_io_instance="orders"/);
      }
    }
    for (const r of synth({ ...INSTANCE, namespace: undefined }, resolved()).find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules) {
      expect(r.expr).not.toMatch(/namespace=/);
    }
  });

  test('the expressions read only the metric names ALERT_METRICS lists', () => {
    const known = new Set(Object.values(ALERT_METRICS).flat());
    const functions = new Set([
      'increase',
      'sum',
      'max',
      'count',
      'by',
      'on',
      'vector',
      'time',
      'or',
      'and',
      'namespace',
      'pod',
      'database',
      'application_name',
      'cronjob',
    ]);
    for (const r of synth(INSTANCE, resolved()).find((o) => o.kind === 'PrometheusRule').spec.groups[0].rules) {
      const names =
        (r.expr as string)
          .replace(/\{[^}]*\}/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .match(/[a-z_][a-z0-9_]*/g) ?? [];
      for (const n of names.filter((x) => !functions.has(x))) {
        expect(known).toContain(n);
      }
    }
  });
});

test('promDuration', () => {
  expect([0, 30, 60, 90, 300, 3600, 5400, 86400, 90000].map(promDuration)).toEqual(['0s', '30s', '1m', '90s', '5m', '1h', '90m', '1d', '25h']);
});

describe('StatefulPostgres metrics.monitoring', () => {
  test('absent: no PodMonitor, no PrometheusRule, only the annotations', () => {
    const { objects, db } = synthDb({ pooler: {} });
    expect(ofKind(objects, 'PodMonitor')).toEqual([]);
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(db.podMonitor).toBeUndefined();
    expect(db.prometheusRule).toBeUndefined();
  });

  test('{}: a PodMonitor of the members and the pooler, and the rules of this instance', () => {
    const chart = new Chart(Testing.app(), 'shop', { namespace: 'shop' });
    const db = new StatefulPostgres(chart, 'orders', {
      superuserSecret: superuser(chart),
      replicas: 3,
      pooler: {},
      backup: { repository: BackupRepository.volume(), differentialSchedule: Cron.daily() },
      logicalBackup: {},
      metrics: { monitoring: {} },
    });
    const objects = Testing.synth(chart) as any[];
    expect(db.podMonitor).toBeDefined();
    expect(db.prometheusRule).toBeDefined();
    const monitor = find(objects, 'PodMonitor', 'orders');
    expect(monitor.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/managed-by': 'cdk8s-patterns' });
    // the monitor selects every member pod and every pooler pod, and each exposes a port named metrics
    const selects = (labels: Record<string, string>) =>
      Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => labels[k] === v) &&
      monitor.spec.selector.matchExpressions.every((e: any) => e.values.includes(labels[e.key]));
    const workloads = [...ofKind(objects, 'StatefulSet'), ...ofKind(objects, 'Deployment')];
    expect(workloads.length).toBe(3);
    for (const w of workloads) {
      expect(selects(w.spec.template.metadata.labels)).toBe(true);
      expect(w.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name))).toContain('metrics');
    }
    const rules = find(objects, 'PrometheusRule', 'orders').spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual(EVERY_ALERT);
    // the backup alert watches the CronJobs the construct made
    const cronJobs = ofKind(objects, 'CronJob').map((c) => c.metadata.name);
    expect(cronJobs.sort()).toEqual(['orders-backup-diff', 'orders-backup-full', 'orders-dump']);
    const backup = rules.find((r: any) => r.alert === 'PostgresBackupTooOld').expr;
    for (const name of cronJobs) {
      expect(backup).toContain(name);
    }
    expect(backup).toContain('namespace="shop"');
  });

  test('podMonitor and alerts can each be left out', () => {
    expect(ofKind(synthDb({ metrics: { monitoring: { podMonitor: false } } }).objects, 'PodMonitor')).toEqual([]);
    const { objects } = synthDb({ metrics: { monitoring: { alerts: false } } });
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(ofKind(objects, 'PodMonitor')).toHaveLength(1);
  });

  test('metrics disabled: no monitoring objects and no pooler exporter, even when asked for', () => {
    const { objects } = synthDb({ pooler: {}, metrics: { enabled: false, monitoring: {} } });
    expect(ofKind(objects, 'PodMonitor')).toEqual([]);
    expect(ofKind(objects, 'PrometheusRule')).toEqual([]);
    expect(find(objects, 'Deployment', 'db-pooler').spec.template.spec.containers.map((c: any) => c.name)).toEqual(['pgbouncer']);
    expect(find(objects, 'ConfigMap', 'db-pooler').data['pgbouncer.ini']).toMatch(/^stats_users = $/m);
  });

  test('errors are reported with their prop path', () => {
    expect(() => synthDb({ metrics: { monitoring: { thresholds: { connectionsPercent: 0 } } } })).toThrow(
      /\[test\/db\] metrics\.monitoring\.thresholds\.connectionsPercent must be an integer from 1 to 100, got 0/,
    );
    expect(() => synthDb({ pooler: {}, metrics: { poolerImage: 'quay.io/prometheuscommunity/pgbouncer-exporter' } })).toThrow(
      /metrics\.poolerImage must be .*, got "quay.io\/prometheuscommunity\/pgbouncer-exporter"/,
    );
  });
});

describe('pgBouncer exporter sidecar', () => {
  const pooler = (props: Partial<StatefulPostgresProps> = {}) => {
    const { objects } = synthDb({ pooler: {}, ...props });
    return { deployment: find(objects, 'Deployment', 'db-pooler'), objects };
  };

  test('logs in over loopback as the auth role, a stats_users member, with a secretKeyRef password', () => {
    const { deployment, objects } = pooler();
    const c = container(deployment.spec.template.spec, 'metrics');
    expect(c.image).toBe('quay.io/prometheuscommunity/pgbouncer-exporter:v0.10.2');
    expect(c.args).toContain('--pgBouncer.connectionString=postgres://pgbouncer_auth@127.0.0.1:6432/pgbouncer?sslmode=disable');
    expect(c.env).toEqual([{ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'db-superuser', key: 'pooler-password' } } }]);
    expect(find(objects, 'ConfigMap', 'db-pooler').data['pgbouncer.ini']).toMatch(/^stats_users = pgbouncer_auth$/m);
    expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9127' });
  });

  test('restricted, with resources and probes on its metrics port', () => {
    const c = container(pooler().deployment.spec.template.spec, 'metrics');
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9127, protocol: 'TCP' }]);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources.requests).toMatchObject({ cpu: '10m' });
    expect(c.resources.limits).toMatchObject({ cpu: '100m' });
    expect(c.livenessProbe.tcpSocket.port).toBe('metrics');
    expect(c.readinessProbe.httpGet.port).toBe('metrics');
  });

  test('the pooler NetworkPolicy admits scrapes of the exporter port', () => {
    const policy = find(pooler().objects, 'NetworkPolicy', 'db-pooler');
    expect(policy.spec.ingress).toContainEqual({ from: [{ namespaceSelector: {} }], ports: [{ port: 9127, protocol: 'TCP' }] });
  });

  test('poolerExporter false: no sidecar, no stats_users, no scrape port; the monitor and alerts leave the pooler out', () => {
    const { deployment, objects } = pooler({ metrics: { poolerExporter: false, monitoring: {} } });
    expect(deployment.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['pgbouncer']);
    expect(deployment.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(find(objects, 'ConfigMap', 'db-pooler').data['pgbouncer.ini']).toMatch(/^stats_users = $/m);
    expect(JSON.stringify(find(objects, 'NetworkPolicy', 'db-pooler').spec.ingress)).not.toContain('9127');
    expect(find(objects, 'PodMonitor', 'db').spec.selector.matchExpressions[0].values).not.toContain('pooler');
    const alerts = find(objects, 'PrometheusRule', 'db').spec.groups[0].rules.map((r: any) => r.alert);
    expect(alerts).not.toContain('PgBouncerClientsWaiting');
    expect(alerts).not.toContain('PgBouncerDown');
    // the image is not checked when it is not used
    expect(() => pooler({ metrics: { poolerExporter: false, poolerImage: 'unpinned' } })).not.toThrow();
  });

  test('with TLS required by pgBouncer, the exporter uses TLS on loopback too', () => {
    const { deployment } = pooler({ tls: { secret: kplus.Secret.fromSecretName(Testing.chart(), 'Tls', 'db-tls') } });
    expect(container(deployment.spec.template.spec, 'metrics').args[0]).toMatch(/sslmode=require$/);
  });

  test('the image prop', () => {
    const c = container(
      pooler({ metrics: { poolerImage: 'quay.io/prometheuscommunity/pgbouncer-exporter:v0.11.0' } }).deployment.spec.template.spec,
      'metrics',
    );
    expect(c.image).toBe('quay.io/prometheuscommunity/pgbouncer-exporter:v0.11.0');
  });
});
