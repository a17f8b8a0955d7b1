import { Testing } from 'cdk8s';
import { PropErrors } from '../../src/common/errors';
import { MonitoredInstance, ResolvedMonitoring, resolveMonitoring } from '../../src/postgres/monitoring';
import { PostgresMonitoringOptions } from '../../src/postgres/monitoring-props';

/** A replicated instance with a pooler and two backup CronJobs, in namespace `shop`. */
export const INSTANCE: MonitoredInstance = {
  name: 'orders',
  namespace: 'shop',
  appName: 'postgresql',
  memberComponents: ['primary', 'read', 'member'],
  members: 3,
  pooler: true,
  backupCronJobs: ['orders-backup-full', 'orders-backup-diff'],
};

/** The options resolved; throws on a problem. */
export function resolved(options: PostgresMonitoringOptions = {}): ResolvedMonitoring {
  const errors = new PropErrors(Testing.chart());
  const m = resolveMonitoring(errors, 'metrics.monitoring', options);
  errors.throwIfAny();
  return m!;
}
