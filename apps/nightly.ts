import { App, Chart, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BatchRetry, SerialBatchJob, SerialBatchStep, StatefulPostgres } from '../src';

/**
 * The nightly pipeline: 22 SQL steps that must run strictly one after another, every night at
 * 02:30 Paris time, from one image. Each step is a shell script or a psql call; the steps share
 * data files through the workspace.
 */
export const NIGHTLY_STEPS: SerialBatchStep[] = [
  { name: 'check-source', command: ['sh', '-c', './check-source.sh'], timeout: Duration.minutes(5) },
  { name: 'extract-orders', command: ['sh', '-c', './extract.sh orders'] },
  { name: 'extract-customers', command: ['sh', '-c', './extract.sh customers'] },
  { name: 'extract-products', command: ['sh', '-c', './extract.sh products'] },
  { name: 'extract-payments', command: ['sh', '-c', './extract.sh payments'] },
  { name: 'stage-create', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/stage-create.sql'] },
  { name: 'load-orders', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/load-orders.sql'], timeout: Duration.minutes(30) },
  { name: 'load-customers', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/load-customers.sql'] },
  { name: 'load-products', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/load-products.sql'] },
  {
    name: 'load-payments',
    command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/load-payments.sql'],
    resources: { memory: { request: Size.gibibytes(1), limit: Size.gibibytes(2) } },
  },
  { name: 'dedupe-customers', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/dedupe-customers.sql'] },
  { name: 'merge-orders', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/merge-orders.sql'], timeout: Duration.minutes(45) },
  { name: 'merge-payments', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/merge-payments.sql'] },
  {
    name: 'aggregate-daily',
    command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/aggregate-daily.sql'],
    resources: { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.units(2) } },
  },
  { name: 'aggregate-monthly', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/aggregate-monthly.sql'] },
  { name: 'refresh-views', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-c', 'REFRESH MATERIALIZED VIEW CONCURRENTLY sales_daily'] },
  { name: 'export-finance', command: ['sh', '-c', './export.sh finance > "$SERIAL_BATCH_WORKSPACE/finance.csv"'] },
  { name: 'export-marketing', command: ['sh', '-c', './export.sh marketing > "$SERIAL_BATCH_WORKSPACE/marketing.csv"'] },
  // the one step that leaves the cluster: a flaky network gets three more tries, 30 s, 1 min, 2 min apart
  {
    name: 'publish-exports',
    command: ['sh', '-c', './publish.sh "$SERIAL_BATCH_WORKSPACE"/*.csv'],
    retries: 3,
    retryBackoff: Duration.seconds(30),
  },
  { name: 'report', command: ['./report.sh'], continueOnError: true, timeout: Duration.minutes(10) },
];

/** Cleanup that must happen whatever the night brought: the finally steps. */
export const NIGHTLY_FINALLY_STEPS: SerialBatchStep[] = [
  { name: 'stage-drop', command: ['psql', '-v', 'ON_ERROR_STOP=1', '-f', 'sql/stage-drop.sql'] },
  { name: 'vacuum', command: ['psql', '-c', 'VACUUM (ANALYZE)'], dependsOn: ['stage-drop'], timeout: Duration.minutes(20) },
];

/**
 * Adds the batch example's chart to the app: the warehouse database and the nightly pipeline that
 * loads it, as a CronJob connected to it through `database`.
 */
export function nightlyApp(app: App): void {
  const chart = new Chart(app, 'nightly', { namespace: 'batch', disableResourceNameHashes: true });
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);
  const warehouse = new StatefulPostgres(chart, 'warehouse', {
    version: 15,
    storage: Size.gibibytes(200),
    memory: Size.gibibytes(8),
    cpu: kplus.Cpu.units(2),
    superuserSecret: secret('Superuser', 'warehouse-superuser'),
    users: [{ name: 'etl', password: { secret: secret('EtlPassword', 'warehouse-etl') } }],
    databases: [{ name: 'sales', owner: 'etl' }],
  });
  new SerialBatchJob(chart, 'Nightly', {
    name: 'nightly',
    image: 'ghcr.io/acme/batch:2.3.0',
    steps: NIGHTLY_STEPS,
    finallySteps: NIGHTLY_FINALLY_STEPS,
    // PGHOST, PGUSER, PGPASSWORD (from warehouse-etl)... for psql, and both NetworkPolicies opened
    database: warehouse.connection('sales'),
    config: { CFG_REGION: 'eu', CFG_WAREHOUSE_SCHEMA: 'sales' },
    schedule: Cron.schedule({ minute: '30', hour: '2' }),
    timeZone: 'Europe/Paris',
    defaultStepTimeout: Duration.minutes(15),
    // progress markers on a claim: a failed night can be re-run from its failed step (see the README)
    retry: BatchRetry.resumeFromVolume({ retries: 0, storage: Size.gibibytes(20) }),
    // besides DNS and the warehouse: the partner's SFTP server the exports are published to
    egress: [{ peer: kplus.NetworkPolicyIpBlock.ipv4(chart, 'ExportTarget', '198.51.100.20/32'), ports: [kplus.NetworkPolicyPort.tcp(22)] }],
    partOf: 'warehouse',
  });
}
