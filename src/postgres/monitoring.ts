/**
 * Prometheus Operator monitoring of a StatefulPostgres, as pure functions of the resolved
 * settings: the PodMonitor scraping postgres_exporter and the pooler's pgBouncer exporter, and the
 * PrometheusRule with the alerts.
 *
 * The alert expressions read only metric names both exporters publish under their pinned images
 * (postgres_exporter's default collectors and builtin queries, pgbouncer_exporter's `SHOW POOLS`
 * gauges) and, for the backup age, kube-state-metrics' CronJob status.
 */
import { Duration, Size } from 'cdk8s';
import { PodMonitorSpec, PodMonitorSpecPodMetricsEndpointsScheme } from '../imports/monitoring-podmonitors-monitoring.coreos.com';
import {
  PrometheusRuleSpec,
  PrometheusRuleSpecGroupsRules,
  PrometheusRuleSpecGroupsRulesExpr,
} from '../imports/monitoring-prometheusrules-monitoring.coreos.com';
import { checkWholeSeconds } from '../common/duration-checks';
import { PropErrors } from '../common/errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME } from '../common/labels';
import { sizeInKibibytes } from '../common/quantities';
import { PostgresMonitoringOptions } from './monitoring-props';

/** Every default of the monitoring options, once. */
export const MONITORING_DEFAULTS = {
  scrapeInterval: Duration.seconds(30),
  pendingFor: Duration.minutes(5),
  replicationLag: Size.mebibytes(64),
  connectionsPercent: 80,
  longTransaction: Duration.minutes(15),
  poolerWait: Duration.seconds(10),
  backupAge: Duration.hours(25),
};

/** What the monitors and alerts need to know of the instance. */
export interface MonitoredInstance {
  /** The instance name (`app.kubernetes.io/instance`). */
  readonly name: string;
  /** The chart's namespace; undefined: wherever the manifests are applied. */
  readonly namespace?: string;
  /** The `app.kubernetes.io/name` of its pods. */
  readonly appName: string;
  /** The `app.kubernetes.io/component` values of its member pods. */
  readonly memberComponents: readonly string[];
  /** Members in all: the primary and its replicas. */
  readonly members: number;
  /** Whether a pgBouncer pooler (component `pooler`) runs. */
  readonly pooler: boolean;
  /** The names of the backup CronJobs (pgBackRest and logical); none: no backup alert. */
  readonly backupCronJobs: readonly string[];
}

/** The monitoring options, checked and defaulted. */
export interface ResolvedMonitoring {
  readonly podMonitor: boolean;
  readonly scrapeIntervalSeconds: number;
  readonly alerts: boolean;
  readonly pendingForSeconds: number;
  readonly replicationLagBytes: number;
  readonly connectionsPercent: number;
  readonly longTransactionSeconds: number;
  readonly poolerWaitSeconds: number;
  readonly backupAgeSeconds: number;
}

const DAY = 86_400;

/**
 * Checks and defaults `metrics.monitoring`, recording every problem on `errors` (prop paths under
 * `prefix`). Returns undefined when the options are absent.
 */
export function resolveMonitoring(
  errors: PropErrors,
  prefix: string,
  options: PostgresMonitoringOptions | undefined,
): ResolvedMonitoring | undefined {
  if (options === undefined) {
    return undefined;
  }
  const d = MONITORING_DEFAULTS;
  const t = options.thresholds ?? {};
  const seconds = (prop: string, value: Duration | undefined, fallback: Duration, min: number, max: number): number =>
    checkWholeSeconds(errors, `${prefix}.${prop}`, value ?? fallback, min, max) ?? 0;
  const lag = t.replicationLag ?? d.replicationLag;
  const lagKib = sizeInKibibytes(lag);
  errors.check(
    lagKib !== undefined && Number.isInteger(lagKib) && lagKib >= 1,
    `${prefix}.thresholds.replicationLag`,
    'a whole number of KiB, at least 1Ki',
    lag.asString(),
  );
  const percent = t.connectionsPercent ?? d.connectionsPercent;
  errors.check(
    Number.isInteger(percent) && percent >= 1 && percent <= 100,
    `${prefix}.thresholds.connectionsPercent`,
    'an integer from 1 to 100',
    percent,
  );
  return {
    podMonitor: options.podMonitor ?? true,
    scrapeIntervalSeconds: seconds('scrapeInterval', options.scrapeInterval, d.scrapeInterval, 1, 3600),
    alerts: options.alerts ?? true,
    pendingForSeconds: seconds('thresholds.pendingFor', t.pendingFor, d.pendingFor, 0, DAY),
    replicationLagBytes: (lagKib ?? 0) * 1024,
    connectionsPercent: percent,
    longTransactionSeconds: seconds('thresholds.longTransaction', t.longTransaction, d.longTransaction, 1, 7 * DAY),
    poolerWaitSeconds: seconds('thresholds.poolerWait', t.poolerWait, d.poolerWait, 1, DAY),
    backupAgeSeconds: seconds('thresholds.backupAge', t.backupAge, d.backupAge, 60, 366 * DAY),
  };
}

/** The labels the PodMonitor copies from the pods onto every series, as Prometheus names them. */
const INSTANCE_LABEL = 'app_kubernetes_io_instance';
const COMPONENT_LABEL = 'app_kubernetes_io_component';

/**
 * Scrapes the `metrics` port of every member (postgres_exporter) and, with a pooler, of every
 * pooler pod (pgbouncer_exporter), copying the instance and component labels onto the series the
 * alerts select by.
 */
export function podMonitorSpec(instance: MonitoredInstance, m: ResolvedMonitoring): PodMonitorSpec {
  const components = [...instance.memberComponents, ...(instance.pooler ? ['pooler'] : [])];
  return {
    selector: {
      matchLabels: { [LABEL_NAME]: instance.appName, [LABEL_INSTANCE]: instance.name },
      matchExpressions: [{ key: LABEL_COMPONENT, operator: 'In', values: components }],
    },
    podTargetLabels: [LABEL_INSTANCE, LABEL_COMPONENT],
    podMetricsEndpoints: [
      {
        port: 'metrics',
        path: '/metrics',
        interval: `${m.scrapeIntervalSeconds}s`,
        scheme: PodMonitorSpecPodMetricsEndpointsScheme.HTTP,
      },
    ],
  };
}

/** `{instance="…", namespace="…", extra}`: the series of this instance only. */
function selector(instance: MonitoredInstance, extra: string[] = []): string {
  const matchers = [`${INSTANCE_LABEL}="${instance.name}"`];
  if (instance.namespace !== undefined) {
    matchers.push(`namespace="${instance.namespace}"`);
  }
  return `{${[...matchers, ...extra].join(', ')}}`;
}

/** A whole number of seconds as a Prometheus duration (`300s` is `5m`). */
export function promDuration(seconds: number): string {
  if (seconds === 0) {
    return '0s';
  }
  for (const [unit, size] of [
    ['d', DAY],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds % size === 0) {
      return `${seconds / size}${unit}`;
    }
  }
  return `${seconds}s`;
}

/** Every metric name an alert expression reads, by the exporter that publishes it. */
export const ALERT_METRICS = {
  postgresExporter: [
    'pg_up',
    'pg_stat_replication_pg_wal_lsn_diff',
    'pg_stat_archiver_failed_count',
    'pg_stat_activity_count',
    'pg_settings_max_connections',
    'pg_stat_activity_max_tx_duration',
  ],
  poolerExporter: ['pgbouncer_up', 'pgbouncer_pools_client_maxwait_seconds', 'pgbouncer_pools_client_waiting_connections'],
  kubeStateMetrics: ['kube_cronjob_status_last_successful_time'],
  prometheus: ['up'],
};

interface Alert {
  readonly alert: string;
  readonly expr: string;
  readonly for?: number;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly description: string;
}

/** The alerts of an instance, in the order they are emitted. */
export function alertRules(instance: MonitoredInstance, m: ResolvedMonitoring): PrometheusRuleSpecGroupsRules[] {
  const sel = (extra: string[] = []): string => selector(instance, extra);
  const members = sel([`${COMPONENT_LABEL}!="pooler"`]);
  const alerts: Alert[] = [
    {
      alert: 'PostgresInstanceDown',
      expr: `pg_up${members} == 0 or up${members} == 0`,
      for: m.pendingForSeconds,
      severity: 'critical',
      summary: `PostgreSQL member {{ $labels.pod }} of ${instance.name} is down`,
      description: 'postgres_exporter cannot reach PostgreSQL, or Prometheus cannot scrape the member.',
    },
    {
      alert: 'PostgresWalArchivingFailing',
      expr: `increase(pg_stat_archiver_failed_count${members}[10m]) > 0`,
      severity: 'critical',
      summary: `WAL archiving of ${instance.name} fails on {{ $labels.pod }}`,
      description: 'archive_command failed in the last 10 minutes: WAL piles up in pg_wal and point-in-time recovery falls behind.',
    },
    {
      alert: 'PostgresConnectionsNearLimit',
      expr:
        `sum by (namespace, pod) (pg_stat_activity_count${members}) * 100` +
        ` / on (namespace, pod) max by (namespace, pod) (pg_settings_max_connections${members}) > ${m.connectionsPercent}`,
      for: m.pendingForSeconds,
      severity: 'warning',
      summary: `{{ $labels.pod }} of ${instance.name} uses {{ $value | humanize }}% of max_connections`,
      description: `More than ${m.connectionsPercent}% of max_connections are in use; new connections fail at 100%.`,
    },
    {
      alert: 'PostgresLongRunningTransaction',
      expr: `max by (namespace, pod) (pg_stat_activity_max_tx_duration${members}) > ${m.longTransactionSeconds}`,
      severity: 'warning',
      summary: `A transaction on {{ $labels.pod }} of ${instance.name} has been open for {{ $value | humanizeDuration }}`,
      description: `A transaction open longer than ${promDuration(m.longTransactionSeconds)} holds back vacuum and can block DDL.`,
    },
  ];
  if (instance.members > 1) {
    const standbys = instance.members - 1;
    alerts.push(
      {
        alert: 'PostgresReplicationLagging',
        expr: `max by (namespace, pod, application_name) (pg_stat_replication_pg_wal_lsn_diff${members}) > ${m.replicationLagBytes}`,
        for: m.pendingForSeconds,
        severity: 'warning',
        summary: `Replica {{ $labels.application_name }} of ${instance.name} is {{ $value | humanize1024 }}B behind`,
        description: `A replica is more than ${m.replicationLagBytes} bytes of WAL behind the primary {{ $labels.pod }}: reads from it are stale and a failover to it loses or waits for that WAL.`,
      },
      {
        alert: 'PostgresReplicaNotStreaming',
        expr:
          `(count(pg_stat_replication_pg_wal_lsn_diff${sel([`${COMPONENT_LABEL}!="pooler"`, 'state="streaming"'])}) or on () vector(0))` +
          ` < ${standbys} and on () count(pg_up${members} == 1) > 0`,
        for: m.pendingForSeconds,
        severity: 'warning',
        summary: `{{ $value }} of ${standbys} replicas of ${instance.name} stream from the primary`,
        description: 'A replica is down, re-syncing or cannot connect: it falls behind and is no failover target.',
      },
    );
  }
  if (instance.backupCronJobs.length > 0) {
    const jobs = instance.backupCronJobs.join('|');
    const ns = instance.namespace !== undefined ? `namespace="${instance.namespace}", ` : '';
    alerts.push({
      alert: 'PostgresBackupTooOld',
      expr: `time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${ns}cronjob=~"${jobs}"}) > ${m.backupAgeSeconds}`,
      severity: 'warning',
      summary: `CronJob {{ $labels.cronjob }} of ${instance.name} last succeeded {{ $value | humanizeDuration }} ago`,
      description: `No backup of this schedule succeeded for ${promDuration(m.backupAgeSeconds)} (kube-state-metrics' CronJob status).`,
    });
  }
  if (instance.pooler) {
    const pooler = sel([`${COMPONENT_LABEL}="pooler"`]);
    alerts.push({
      alert: 'PgBouncerClientsWaiting',
      expr: `max by (namespace, pod, database) (pgbouncer_pools_client_maxwait_seconds${pooler}) > ${m.poolerWaitSeconds}`,
      for: Math.min(m.pendingForSeconds, 120),
      severity: 'warning',
      summary: `Clients of {{ $labels.database }} wait {{ $value | humanizeDuration }} for a server connection in {{ $labels.pod }}`,
      description: `The oldest client waiting for a server connection waited longer than ${promDuration(m.poolerWaitSeconds)}: the pool is too small or the server too slow.`,
    });
    alerts.push({
      alert: 'PgBouncerDown',
      expr: `pgbouncer_up${pooler} == 0 or up${pooler} == 0`,
      for: m.pendingForSeconds,
      severity: 'critical',
      summary: `pgBouncer {{ $labels.pod }} of ${instance.name} is down`,
      description: 'The pgBouncer exporter cannot reach pgBouncer, or Prometheus cannot scrape the pooler pod.',
    });
  }
  return alerts.map((a) => ({
    alert: a.alert,
    expr: PrometheusRuleSpecGroupsRulesExpr.fromString(a.expr),
    ...(a.for ? { for: promDuration(a.for) } : {}),
    labels: { severity: a.severity },
    annotations: { summary: a.summary, description: a.description },
  }));
}

/** One rule group named after the instance. */
export function prometheusRuleSpec(instance: MonitoredInstance, m: ResolvedMonitoring): PrometheusRuleSpec {
  return { groups: [{ name: `${instance.name}.postgresql`, rules: alertRules(instance, m) }] };
}
