import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, DatabaseAccess, OnEmptyPrimary, StatefulPostgres } from '../src';

/**
 * The orders database: a primary and two streaming replicas, pgBouncer, nightly pgBackRest
 * backups to S3 with WAL archiving, a daily logical dump, the application's roles and database,
 * and a web app that connects through the pooler with `connectionEnv`.
 *
 * The Secrets it references are created outside this app (e.g. by External Secrets):
 * - `orders-db-superuser`: password, replication-password, metrics-password, pooler-password
 * - `orders-db-app`, `orders-db-reporting`: password
 * - `orders-db-s3`: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
 */
export function ordersApp(app: App): void {
  const chart = new Chart(app, 'orders', { namespace: 'orders' });
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);

  const db = new StatefulPostgres(chart, 'orders-db', {
    version: 15,
    replicas: 3,
    storage: Size.gibibytes(50),
    memory: Size.gibibytes(4),
    cpu: kplus.Cpu.units(1),
    superuserSecret: secret('Superuser', 'orders-db-superuser'),
    users: [
      { name: 'orders_app', password: { secret: secret('AppPassword', 'orders-db-app') }, connectionLimit: 200 },
      {
        name: 'reporting',
        password: { secret: secret('ReportingPassword', 'orders-db-reporting') },
        connectionLimit: 10,
        grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }],
      },
    ],
    databases: [{ name: 'orders', owner: 'orders_app', extensions: ['pgcrypto'] }],
    pooler: { replicas: 2 },
    backup: {
      schedule: Cron.daily(),
      repository: BackupRepository.s3({ bucket: 'acme-backups', region: 'eu-west-1', credentials: secret('S3', 'orders-db-s3') }),
    },
    logicalBackup: { schedule: Cron.schedule({ minute: '30', hour: '3' }), retentionDays: 14 },
    // the database exists: an empty primary volume must never silently become a new database
    onEmptyPrimary: OnEmptyPrimary.FAIL,
  });

  const labels = {
    'app.kubernetes.io/name': 'orders-web',
    'app.kubernetes.io/instance': 'orders-web',
    'app.kubernetes.io/managed-by': 'cdk8s-patterns',
  };
  const web = new kplus.Deployment(chart, 'Web', {
    metadata: { name: 'orders-web', labels },
    replicas: 2,
    select: false,
    automountServiceAccountToken: false,
    securityContext: { user: 10001, group: 10001, ensureNonRoot: true },
    containers: [
      {
        name: 'web',
        image: 'ghcr.io/acme/orders-web:1.4.2',
        portNumber: 8080,
        envVariables: db.connectionEnv('orders'),
        resources: {
          cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.millis(1000) },
          memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
          ephemeralStorage: { request: Size.gibibytes(1), limit: Size.gibibytes(1) },
        },
        securityContext: { user: 10001, group: 10001, ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
        readiness: kplus.Probe.fromHttpGet('/ready', { port: 8080 }),
        liveness: kplus.Probe.fromHttpGet('/healthz', { port: 8080 }),
      },
    ],
  });
  for (const [k, v] of Object.entries(labels)) {
    web.podMetadata.addLabel(k, v);
  }
  // the database's NetworkPolicy admits pods carrying its client label
  web.podMetadata.addLabel(db.clientLabelKey, 'true');
  const selector = { 'app.kubernetes.io/name': 'orders-web', 'app.kubernetes.io/instance': 'orders-web' };
  web.select(kplus.LabelSelector.of({ labels: selector }));
  ApiObject.of(web).addJsonPatch(
    // Pod Security "restricted": cdk8s-plus-27 has no fields for these two
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
    JsonPatch.add('/spec/template/spec/affinity', {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
        ],
      },
    }),
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
    ]),
  );
  new ApiObject(chart, 'WebPdb', {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'orders-web', labels },
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector } },
  });
  // the web app takes traffic on 8080 and talks to the pooler and DNS only
  new ApiObject(chart, 'WebNetworkPolicy', {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'orders-web', labels },
    spec: {
      podSelector: { matchLabels: selector },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
      egress: [
        {
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        {
          to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/instance': 'orders-db', 'app.kubernetes.io/component': 'pooler' } } }],
          ports: [{ protocol: 'TCP', port: 6432 }],
        },
      ],
    },
  });
}
