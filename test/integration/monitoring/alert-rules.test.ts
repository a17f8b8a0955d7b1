/**
 * The alert rules of StatefulPostgres, run by the real promtool (built from the pinned Prometheus
 * module): `promtool check rules` on every rule group we emit, and `promtool test rules` unit tests
 * that evaluate each alert expression on input series, in Prometheus's own rule engine: each alert
 * fires when it should (with the labels a router needs) and stays silent when it should not
 * (below its threshold, before its `for`, another instance's series).
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Size } from 'cdk8s';
import { stringify } from 'yaml';
import { MonitoredInstance, prometheusRuleSpec, ResolvedMonitoring } from '../../../src/postgres/monitoring';
import { INSTANCE, resolved } from '../../postgres/monitoring-fixtures';
import { describeWithPromtool } from './promtool';

jest.setTimeout(60_000);

interface CommandResult {
  readonly code: number;
  readonly output: string;
}

function promtoolRun(promtool: string, args: string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(promtool, args, { cwd, encoding: 'utf8', timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** The rule file of an instance: spec.groups of the PrometheusRule as Prometheus reads it. */
function ruleFile(instance: MonitoredInstance, m: ResolvedMonitoring, withAnnotations = true): string {
  const spec = JSON.parse(JSON.stringify(prometheusRuleSpec(instance, m)));
  for (const group of spec.groups) {
    for (const rule of group.rules) {
      rule.expr = rule.expr.value ?? rule.expr;
      if (!withAnnotations) {
        delete rule.annotations;
      }
    }
  }
  return stringify({ groups: spec.groups });
}

const MEMBER = (pod: string, component = 'member', instance = 'orders') =>
  `app_kubernetes_io_instance="${instance}", app_kubernetes_io_component="${component}", namespace="shop", pod="${pod}"`;
const POOLER = (pod: string) => MEMBER(pod, 'pooler');
const labels = (pod: string, component = 'member') => ({
  app_kubernetes_io_instance: 'orders',
  app_kubernetes_io_component: component,
  namespace: 'shop',
  pod,
});

/**
 * One `promtool test rules` test group per alert behaviour. Annotations are left out of the rule
 * file the unit tests load (promtool would compare their rendered text); `check rules` validates
 * them, templates included, on the full file.
 */
function unitTests(): unknown[] {
  return [
    {
      name: 'instance down: fires after pendingFor, not before, not for another instance',
      interval: '1m',
      input_series: [
        { series: `pg_up{${MEMBER('orders-0')}}`, values: '1 1 0x10' },
        { series: `pg_up{${MEMBER('orders-1')}}`, values: '1x12' },
        { series: `pg_up{${MEMBER('other-0', 'member', 'other')}}`, values: '0x12' },
      ],
      alert_rule_test: [
        { eval_time: '6m', alertname: 'PostgresInstanceDown', exp_alerts: [] },
        { eval_time: '8m', alertname: 'PostgresInstanceDown', exp_alerts: [{ exp_labels: { ...labels('orders-0'), severity: 'critical' } }] },
      ],
    },
    {
      name: 'instance down: a member Prometheus cannot scrape',
      interval: '1m',
      input_series: [{ series: `up{${MEMBER('orders-2')}, job="shop/orders"}`, values: '0x10' }],
      alert_rule_test: [
        {
          eval_time: '6m',
          alertname: 'PostgresInstanceDown',
          exp_alerts: [{ exp_labels: { ...labels('orders-2'), job: 'shop/orders', severity: 'critical' } }],
        },
      ],
    },
    {
      name: 'WAL archiving: fires while archive_command fails, resolves 10 minutes after',
      interval: '1m',
      input_series: [
        { series: `pg_stat_archiver_failed_count{${MEMBER('orders-0')}}`, values: '0 0 0 1 2 2x20' },
        { series: `pg_stat_archiver_failed_count{${MEMBER('orders-1')}}`, values: '7x25' },
      ],
      alert_rule_test: [
        { eval_time: '2m', alertname: 'PostgresWalArchivingFailing', exp_alerts: [] },
        { eval_time: '5m', alertname: 'PostgresWalArchivingFailing', exp_alerts: [{ exp_labels: { ...labels('orders-0'), severity: 'critical' } }] },
        { eval_time: '20m', alertname: 'PostgresWalArchivingFailing', exp_alerts: [] },
      ],
    },
    {
      name: 'connections: over 80% of max_connections on one member only',
      interval: '1m',
      input_series: [
        { series: `pg_stat_activity_count{${MEMBER('orders-0')}, datname="app", state="active"}`, values: '60x10' },
        { series: `pg_stat_activity_count{${MEMBER('orders-0')}, datname="app", state="idle"}`, values: '25x10' },
        { series: `pg_settings_max_connections{${MEMBER('orders-0')}}`, values: '100x10' },
        { series: `pg_stat_activity_count{${MEMBER('orders-1')}, datname="app", state="active"}`, values: '80x10' },
        { series: `pg_settings_max_connections{${MEMBER('orders-1')}}`, values: '100x10' },
      ],
      alert_rule_test: [
        { eval_time: '4m', alertname: 'PostgresConnectionsNearLimit', exp_alerts: [] },
        {
          eval_time: '6m',
          alertname: 'PostgresConnectionsNearLimit',
          exp_alerts: [{ exp_labels: { namespace: 'shop', pod: 'orders-0', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'long transaction: over 15 minutes, not at 14',
      interval: '1m',
      input_series: [
        { series: `pg_stat_activity_max_tx_duration{${MEMBER('orders-0')}, datname="app", state="idle in transaction"}`, values: '840 960' },
        { series: `pg_stat_activity_max_tx_duration{${MEMBER('orders-1')}, datname="app", state="active"}`, values: '10 10' },
      ],
      alert_rule_test: [
        { eval_time: '0m', alertname: 'PostgresLongRunningTransaction', exp_alerts: [] },
        {
          eval_time: '1m',
          alertname: 'PostgresLongRunningTransaction',
          exp_alerts: [{ exp_labels: { namespace: 'shop', pod: 'orders-0', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'replication lag: a replica 100 MB behind, not one 1 MB behind',
      interval: '1m',
      input_series: [
        {
          series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-1", state="streaming"}`,
          values: '100000000x10',
        },
        {
          series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-2", state="streaming"}`,
          values: '1000000x10',
        },
      ],
      alert_rule_test: [
        { eval_time: '4m', alertname: 'PostgresReplicationLagging', exp_alerts: [] },
        {
          eval_time: '6m',
          alertname: 'PostgresReplicationLagging',
          exp_alerts: [{ exp_labels: { namespace: 'shop', pod: 'orders-0', application_name: 'orders-1', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'replica not streaming: one of two replicas streams',
      interval: '1m',
      input_series: [
        { series: `pg_up{${MEMBER('orders-0')}}`, values: '1x10' },
        { series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-1", state="streaming"}`, values: '0x10' },
        { series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-2", state="catchup"}`, values: '0x10' },
      ],
      alert_rule_test: [
        { eval_time: '4m', alertname: 'PostgresReplicaNotStreaming', exp_alerts: [] },
        { eval_time: '6m', alertname: 'PostgresReplicaNotStreaming', exp_alerts: [{ exp_labels: { severity: 'warning' } }] },
      ],
    },
    {
      name: 'replica not streaming: no replica streams at all',
      interval: '1m',
      input_series: [{ series: `pg_up{${MEMBER('orders-0')}}`, values: '1x10' }],
      alert_rule_test: [{ eval_time: '6m', alertname: 'PostgresReplicaNotStreaming', exp_alerts: [{ exp_labels: { severity: 'warning' } }] }],
    },
    {
      name: 'replica not streaming: silent when both stream',
      interval: '1m',
      input_series: [
        { series: `pg_up{${MEMBER('orders-0')}}`, values: '1x10' },
        { series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-1", state="streaming"}`, values: '0x10' },
        { series: `pg_stat_replication_pg_wal_lsn_diff{${MEMBER('orders-0')}, application_name="orders-2", state="streaming"}`, values: '0x10' },
      ],
      alert_rule_test: [{ eval_time: '8m', alertname: 'PostgresReplicaNotStreaming', exp_alerts: [] }],
    },
    {
      name: 'backup too old: the last success 25 hours ago fires, other CronJobs do not',
      interval: '1h',
      input_series: [
        { series: 'kube_cronjob_status_last_successful_time{namespace="shop", cronjob="orders-backup-full"}', values: '0x30' },
        { series: 'kube_cronjob_status_last_successful_time{namespace="shop", cronjob="orders-backup-diff"}', values: '0+3600x30' },
        { series: 'kube_cronjob_status_last_successful_time{namespace="shop", cronjob="other-backup-full"}', values: '0x30' },
        { series: 'kube_cronjob_status_last_successful_time{namespace="elsewhere", cronjob="orders-backup-full"}', values: '0x30' },
      ],
      alert_rule_test: [
        { eval_time: '24h', alertname: 'PostgresBackupTooOld', exp_alerts: [] },
        {
          eval_time: '26h',
          alertname: 'PostgresBackupTooOld',
          exp_alerts: [{ exp_labels: { namespace: 'shop', cronjob: 'orders-backup-full', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'pgBouncer waits: the oldest client waits 20 s for 2 minutes; 5 s elsewhere is fine',
      interval: '1m',
      input_series: [
        { series: `pgbouncer_pools_client_maxwait_seconds{${POOLER('orders-pooler-a')}, database="app", user="app"}`, values: '0 20x10' },
        { series: `pgbouncer_pools_client_maxwait_seconds{${POOLER('orders-pooler-b')}, database="app", user="app"}`, values: '5x10' },
        { series: `pgbouncer_pools_client_maxwait_seconds{${MEMBER('orders-0')}, database="app", user="app"}`, values: '50x10' },
      ],
      alert_rule_test: [
        { eval_time: '2m', alertname: 'PgBouncerClientsWaiting', exp_alerts: [] },
        {
          eval_time: '4m',
          alertname: 'PgBouncerClientsWaiting',
          exp_alerts: [{ exp_labels: { namespace: 'shop', pod: 'orders-pooler-a', database: 'app', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'pgBouncer down',
      interval: '1m',
      input_series: [
        { series: `pgbouncer_up{${POOLER('orders-pooler-a')}}`, values: '0x10' },
        { series: `pgbouncer_up{${POOLER('orders-pooler-b')}}`, values: '1x10' },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'PgBouncerDown', exp_alerts: [] },
        {
          eval_time: '6m',
          alertname: 'PgBouncerDown',
          exp_alerts: [{ exp_labels: { ...labels('orders-pooler-a', 'pooler'), severity: 'critical' } }],
        },
      ],
    },
  ];
}

describeWithPromtool('StatefulPostgres alert rules in promtool', (promtool) => {
  let work: string;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk8s-patterns-promtool-'));
  });
  afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
  });

  const variants: Array<[string, MonitoredInstance, ResolvedMonitoring]> = [
    ['every alert', INSTANCE, resolved()],
    [
      'a single member without pooler or backups, no namespace',
      { ...INSTANCE, namespace: undefined, members: 1, pooler: false, backupCronJobs: [] },
      resolved(),
    ],
    [
      'every threshold set',
      INSTANCE,
      resolved({
        scrapeInterval: Duration.seconds(10),
        thresholds: {
          pendingFor: Duration.seconds(0),
          replicationLag: Size.gibibytes(2),
          connectionsPercent: 100,
          longTransaction: Duration.seconds(90),
          poolerWait: Duration.seconds(1),
          backupAge: Duration.days(8),
        },
      }),
    ],
  ];

  test.each(variants)('promtool check rules: %s', async (name, instance, m) => {
    const file = path.join(work, `${name.replace(/\W+/g, '-')}.yaml`);
    fs.writeFileSync(file, ruleFile(instance, m));
    const result = await promtoolRun(promtool(), ['check', 'rules', file], work);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.code).toBe(0);
  });

  test('promtool check rules rejects a broken expression (the check can fail)', async () => {
    const file = path.join(work, 'broken.yaml');
    fs.writeFileSync(file, stringify({ groups: [{ name: 'x', rules: [{ alert: 'Broken', expr: 'sum by (pod (pg_up)' }] }] }));
    const result = await promtoolRun(promtool(), ['check', 'rules', file], work);
    expect(result.code).not.toBe(0);
  });

  test('promtool test rules: every alert fires when it should and stays silent when it should not', async () => {
    fs.writeFileSync(path.join(work, 'rules.yaml'), ruleFile(INSTANCE, resolved(), false));
    const tests = unitTests();
    fs.writeFileSync(path.join(work, 'tests.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }));
    const result = await promtoolRun(promtool(), ['test', 'rules', 'tests.yaml'], work);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.code).toBe(0);
    // every alert of the rule file has a test that makes it fire
    const fired = new Set(
      (tests as any[]).flatMap((t) => t.alert_rule_test.filter((a: any) => a.exp_alerts.length > 0).map((a: any) => a.alertname)),
    );
    const alerts = prometheusRuleSpec(INSTANCE, resolved()).groups![0].rules!.map((r) => r.alert);
    expect([...fired].sort()).toEqual([...alerts].sort());
  });

  test('promtool test rules fails when an expected alert does not fire (the test can fail)', async () => {
    fs.writeFileSync(path.join(work, 'rules.yaml'), ruleFile(INSTANCE, resolved(), false));
    const wrong = {
      name: 'a healthy member expected down',
      interval: '1m',
      input_series: [{ series: `pg_up{${MEMBER('orders-0')}}`, values: '1x10' }],
      alert_rule_test: [
        { eval_time: '8m', alertname: 'PostgresInstanceDown', exp_alerts: [{ exp_labels: { ...labels('orders-0'), severity: 'critical' } }] },
      ],
    };
    fs.writeFileSync(path.join(work, 'wrong.yaml'), stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests: [wrong] }));
    const result = await promtoolRun(promtool(), ['test', 'rules', 'wrong.yaml'], work);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/PostgresInstanceDown/);
  });
});
