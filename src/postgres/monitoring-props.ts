import { Duration, Size } from 'cdk8s';

/**
 * What the Prometheus Operator gets from an instance: a PodMonitor scraping postgres_exporter on
 * every member and the pooler's pgBouncer exporter, and a PrometheusRule with the alerts people
 * page on. Needs the Prometheus Operator's CRDs (`monitoring.coreos.com/v1`) in the cluster.
 */
export interface PostgresMonitoringOptions {
  /**
   * Whether a `PodMonitor` scrapes the `metrics` port of every member and pooler pod.
   * @default true
   */
  readonly podMonitor?: boolean;
  /**
   * How often Prometheus scrapes each exporter.
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Whether a `PrometheusRule` carries the alerts (instance down, replication lag, replica not
   * streaming, WAL archiving failing, backup too old, connections near `max_connections`,
   * long-running transaction, pgBouncer client waits).
   * @default true
   */
  readonly alerts?: boolean;
  /**
   * The thresholds of the alerts.
   * @default - the defaults of each threshold
   */
  readonly thresholds?: PostgresAlertThresholds;
}

/** When the alerts of an instance fire. */
export interface PostgresAlertThresholds {
  /**
   * How long a condition must hold before most alerts fire (Prometheus `for`); instance down and
   * replica not streaming use it too.
   * @default Duration.minutes(5)
   */
  readonly pendingFor?: Duration;
  /**
   * A replica further behind the primary than this much WAL (`pg_stat_replication`, seen on the
   * primary) raises `PostgresReplicationLagging`.
   * @default Size.mebibytes(64)
   */
  readonly replicationLag?: Size;
  /**
   * Percentage of `max_connections` in use (`pg_stat_activity`) that raises
   * `PostgresConnectionsNearLimit`, from 1 to 100.
   * @default 80
   */
  readonly connectionsPercent?: number;
  /**
   * A transaction open longer than this raises `PostgresLongRunningTransaction`.
   * @default Duration.minutes(15)
   */
  readonly longTransaction?: Duration;
  /**
   * A pgBouncer client waiting longer than this for a server connection raises
   * `PgBouncerClientsWaiting`.
   * @default Duration.seconds(10)
   */
  readonly poolerWait?: Duration;
  /**
   * No successful backup CronJob run for this long raises `PostgresBackupTooOld`. Needs
   * kube-state-metrics, whose `kube_cronjob_status_last_successful_time` it reads; set it to at
   * least the longest interval of the backup schedules.
   * @default - 25 hours, one daily schedule and an hour to run
   */
  readonly backupAge?: Duration;
}
