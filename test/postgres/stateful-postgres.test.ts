import { ApiObject, Cron, Duration, JsonPatch, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  BackupRepository,
  DatabaseAccess,
  ExtraVolumeSource,
  OnEmptyPrimary,
  PoolMode,
  S3UriStyle,
  StatefulPostgres,
  StatefulPostgresProps,
} from '../../src';
import { MIN_PATRONI_MAJOR, patroniTooOld, SPILO_IMAGES, SUPPORTED_VERSIONS } from '../../src/postgres/images';
import { confSettings, container, envOf, find, K8sObject, ofKind, superuser, synthDb } from './fixtures';

/**
 * Every prop except the two that exclude others (`highAvailability` replaces the fixed primary,
 * `cloneFrom` replaces restoring from the backup); each has its own test below. A new prop fails
 * to compile here until it is tested.
 */
function everyProp(chart: ReturnType<typeof Testing.chart>): Required<Omit<StatefulPostgresProps, 'highAvailability' | 'cloneFrom'>> {
  const secret = (id: string, name: string) => kplus.Secret.fromSecretName(chart, id, name);
  return {
    name: 'orders',
    version: 16,
    image: 'docker.io/library/postgres:16.6-bookworm',
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    replicas: 3,
    synchronousReplicas: 1,
    storage: Size.gibibytes(20),
    storageClassName: 'fast-ssd',
    memory: Size.gibibytes(4),
    cpu: kplus.Cpu.units(2),
    cpuLimit: kplus.Cpu.units(4),
    maxConnections: 200,
    parameters: { work_mem: '16MB', 'pg_stat_statements.max': '10000' },
    superuserSecret: secret('Su', 'orders-superuser'),
    superuserSecretKey: 'superuser-password',
    replicationPassword: { secret: secret('Repl', 'orders-replication'), key: 'pw' },
    users: [
      {
        name: 'orders_app',
        password: { secret: secret('App', 'orders-app') },
        login: true,
        connectionLimit: 50,
        createDatabases: false,
        grants: [{ database: 'orders', access: DatabaseAccess.READ_WRITE }],
        memberOf: ['pg_read_all_stats'],
      },
      { name: 'orders_owner', password: { secret: secret('Owner', 'orders-owner'), key: 'secret' } },
      {
        name: 'reporting',
        password: { secret: secret('Rep', 'orders-reporting') },
        grants: [{ database: 'orders', access: DatabaseAccess.READ_ONLY }],
      },
    ],
    databases: [{ name: 'orders', owner: 'orders_owner', extensions: ['pgcrypto'] }],
    pooler: {
      replicas: 3,
      poolMode: PoolMode.SESSION,
      maxClientConnections: 500,
      defaultPoolSize: 30,
      maxPreparedStatements: 100,
      authPassword: { secret: secret('Pool', 'orders-pooler') },
      image: 'ghcr.io/cloudnative-pg/pgbouncer:1.23.0',
      cpu: kplus.Cpu.millis(200),
      memory: Size.mebibytes(256),
    },
    metrics: {
      enabled: true,
      password: { secret: secret('Metrics', 'orders-metrics') },
      image: 'quay.io/prometheuscommunity/postgres-exporter:v0.16.0',
      poolerImage: 'quay.io/prometheuscommunity/pgbouncer-exporter:v0.10.2',
      monitoring: { scrapeInterval: Duration.seconds(15), thresholds: { replicationLag: Size.mebibytes(256), connectionsPercent: 90 } },
    },
    backup: {
      repository: BackupRepository.s3({
        bucket: 'acme-backups',
        region: 'eu-west-1',
        endpoint: 'minio.storage.svc:9000',
        path: '/clusters/orders',
        credentials: secret('S3', 'orders-s3'),
        accessKeyIdKey: 'key',
        secretAccessKeyKey: 'secret',
        uriStyle: S3UriStyle.PATH,
        caBundle: kplus.ConfigMap.fromConfigMapName(chart, 'StorageCa', 'storage-ca'),
        caBundleKey: 'ca-bundle.pem',
      }),
      schedule: Cron.weekly(),
      differentialSchedule: Cron.daily(),
      fullRetention: 4,
      encryptionKey: { secret: secret('Cipher', 'orders-cipher') },
      image: 'docker.io/woblerr/pgbackrest:2.54.2',
      kubectlImage: 'registry.k8s.io/kubectl:v1.31.4',
    },
    logicalBackup: { schedule: Cron.daily(), storage: Size.gibibytes(30), storageClassName: 'standard', retentionDays: 14, databases: ['orders'] },
    onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
    restoreFrom: {
      repository: BackupRepository.s3({ bucket: 'acme-backups', region: 'eu-west-1', credentials: secret('S3Ro', 'legacy-s3-read-only') }),
      clusterName: 'legacy-orders',
      stanza: 'main',
      encryptionKey: { secret: secret('LegacyCipher', 'legacy-cipher'), key: 'passphrase' },
    },
    recoveryTargetTime: '2025-01-31 12:00:00+00',
    tls: { secret: secret('Tls', 'orders-tls'), require: true, serverNames: ['orders-rw', 'orders-pooler'], verifyServer: true },
    networkPolicy: true,
    clientNamespaces: ['web'],
    runAsUser: 999,
    runAsGroup: 999,
    terminationGracePeriod: Duration.seconds(300),
    nodeSelector: { 'node.kubernetes.io/pool': 'db' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
    podLabels: { team: 'orders' },
    podAnnotations: { 'example.com/owner': 'orders-team' },
    imagePullSecrets: ['registry-pull'],
    priorityClassName: 'database',
    volumes: [
      {
        name: 'extensions',
        source: ExtraVolumeSource.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, 'Ext', 'pg-ext')),
        mountPath: '/etc/pg-ext',
      },
    ],
  };
}

describe('StatefulPostgres', () => {
  test('defaults snapshot', () => {
    const { objects } = synthDb();
    expect(objects).toMatchSnapshot();
  });

  test('every prop (fixed primary with replicas, pooler, backups, TLS)', () => {
    const chart = Testing.chart();
    const db = new StatefulPostgres(chart, 'db', everyProp(chart));
    const objects = Testing.synth(chart) as K8sObject[];
    expect(db.name).toBe('orders');
    const primary = find(objects, 'StatefulSet', 'orders-primary');
    const read = find(objects, 'StatefulSet', 'orders-read');
    expect(read.spec.replicas).toBe(2);
    expect(primary.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'fast-ssd',
    });
    const conf = confSettings(db.postgresqlConf);
    expect(conf.shared_buffers).toBe('1GB');
    expect(conf.work_mem).toBe('16MB');
    expect(conf.max_connections).toBe('200');
    expect(conf.synchronous_standby_names).toBe('ANY 1 ("orders_read_0", "orders_read_1")');
    expect(conf['pg_stat_statements.max']).toBe('10000');
    expect(db.pgHbaConf).toMatch(/^hostssl\s+all\s+all\s+0\.0\.0\.0\/0\s+scram-sha-256$/m);
    expect(db.pgHbaConf).toMatch(/^hostnossl\s+all\s+all\s+0\.0\.0\.0\/0\s+reject$/m);
    const pod = primary.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(300);
    expect(container(pod, 'restore').command).toEqual(['/bin/sh', '/etc/postgresql/restore-backup.sh']);
    expect(envOf(container(pod, 'restore')).RECOVERY_TARGET_TIME).toBe('2025-01-31 12:00:00+00:00');
    expect(envOf(container(pod, 'pgbackrest')).PGBACKREST_REPO1_CIPHER_PASS).toEqual({ secretKeyRef: { name: 'orders-cipher', key: 'password' } });
    expect(envOf(container(pod, 'postgres')).TLS_DIR).toBe('/etc/postgresql-secrets/tls');
    const pgbackrest = find(objects, 'ConfigMap', 'orders-pgbackrest').data['pgbackrest.conf'];
    expect(pgbackrest).toContain('repo1-s3-endpoint=minio.storage.svc:9000');
    expect(pgbackrest).toContain('repo1-s3-uri-style=path');
    expect(pgbackrest).toContain('repo1-path=/clusters/orders');
    expect(pgbackrest).toContain('repo1-retention-full=4');
    expect(pgbackrest).toContain('repo1-cipher-type=aes-256-cbc');
    // fast enough for archive-push to keep up with a busy primary
    expect(pgbackrest).toMatch(/^compress-type=lz4$/m);
    // the restore and restore_command read the source, with its own configuration and credentials
    const source = find(objects, 'ConfigMap', 'orders-pgbackrest').data['restore-source.conf'];
    expect(source).toContain('repo1-path=/pgbackrest/legacy-orders');
    expect(source).toContain('repo1-s3-endpoint=s3.eu-west-1.amazonaws.com');
    expect(source).toContain('[main]');
    expect(envOf(container(pod, 'restore'))).toMatchObject({
      PGBACKREST_CONFIG: '/etc/pgbackrest/restore-source.conf',
      PGBACKREST_STANZA: 'main',
      PGBACKREST_REPO1_S3_KEY: { secretKeyRef: { name: 'legacy-s3-read-only', key: 'AWS_ACCESS_KEY_ID' } },
      PGBACKREST_REPO1_CIPHER_PASS: { secretKeyRef: { name: 'legacy-cipher', key: 'passphrase' } },
    });
    expect(envOf(container(pod, 'pgbackrest'))).toMatchObject({
      PGBACKREST_CONFIG: '/etc/pgbackrest/pgbackrest.conf',
      PGBACKREST_STANZA: 'db',
      PGBACKREST_REPO1_STORAGE_CA_FILE: '/etc/pgbackrest-ca/ca.crt',
      PGBACKREST_REPO1_S3_KEY: { secretKeyRef: { name: 'orders-s3', key: 'key' } },
      RESTORE_SOURCE_CONFIG: '/etc/pgbackrest/restore-source.conf',
      RESTORE_SOURCE_STANZA: 'main',
      RESTORE_SOURCE_REPO1_S3_KEY: { secretKeyRef: { name: 'legacy-s3-read-only', key: 'AWS_ACCESS_KEY_ID' } },
      RESTORE_SOURCE_REPO1_CIPHER_PASS: { secretKeyRef: { name: 'legacy-cipher', key: 'passphrase' } },
    });
    expect(pod.volumes).toContainEqual({
      name: 'pgbackrest-ca',
      configMap: { name: 'storage-ca', items: [{ key: 'ca-bundle.pem', path: 'ca.crt' }], defaultMode: 0o444 },
    });
    expect(find(objects, 'CronJob', 'orders-backup-full').spec.schedule).toBe(Cron.weekly().expressionString);
    expect(find(objects, 'CronJob', 'orders-backup-diff').spec.jobTemplate.spec.template.spec.containers[0].command).toContain('--type=diff');
    const dump = find(objects, 'CronJob', 'orders-dump');
    expect(envOf(dump.spec.jobTemplate.spec.template.spec.containers[0])).toMatchObject({ RETENTION_DAYS: '14', DUMP_DATABASES: 'orders' });
    expect(find(objects, 'PersistentVolumeClaim', 'orders-dumps').spec).toMatchObject({
      storageClassName: 'standard',
      resources: { requests: { storage: '30Gi' } },
    });
    const ini = find(objects, 'ConfigMap', 'orders-pooler').data['pgbouncer.ini'];
    expect(ini).toMatch(/^pool_mode = session$/m);
    expect(ini).toMatch(/^max_client_conn = 500$/m);
    expect(ini).toMatch(/^default_pool_size = 30$/m);
    expect(ini).toMatch(/^max_prepared_statements = 100$/m);
    // TLS both ways: clients with the server's certificate, PostgreSQL verified by its name
    expect(ini).toMatch(/^client_tls_sslmode = require$/m);
    expect(ini).toMatch(/^client_tls_cert_file = \/etc\/pgbouncer\/tls\/tls\.crt$/m);
    expect(ini).toMatch(/^client_tls_key_file = \/etc\/pgbouncer\/tls\/tls\.key$/m);
    expect(ini).toMatch(/^server_tls_sslmode = verify-full$/m);
    expect(ini).toMatch(/^server_tls_ca_file = \/etc\/pgbouncer\/tls\/ca\.crt$/m);
    expect(ini).toMatch(/^\* = host=orders-rw port=5432$/m);
    const poolerPod = find(objects, 'Deployment', 'orders-pooler').spec.template.spec;
    expect(container(poolerPod, 'pgbouncer').volumeMounts).toContainEqual({ name: 'tls', mountPath: '/etc/pgbouncer/tls', readOnly: true });
    expect(poolerPod.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'orders-tls', defaultMode: 0o440 } });
    expect(find(objects, 'Deployment', 'orders-pooler').spec.replicas).toBe(3);
    expect(db.usersSql).toContain('CREATE EXTENSION IF NOT EXISTS "pgcrypto";');
    expect(db.usersSql).toContain('GRANT "pg_read_all_stats" TO "orders_app";');
    expect(db.usersSql).toContain('CONNECTION LIMIT 50');
    const np = find(objects, 'NetworkPolicy', 'orders');
    expect(JSON.stringify(np.spec.ingress)).toContain('"kubernetes.io/metadata.name":"web"');
    // pgBackRest reaches the own S3 endpoint on its own port, and the restore source (AWS S3) on 443
    expect(np.spec.egress).toContainEqual({
      ports: [
        { protocol: 'TCP', port: 443 },
        { protocol: 'TCP', port: 9000 },
      ],
    });
    expect(db.connectionEnv('orders', { user: 'orders_app' }).PGHOST.value).toBe('orders-pooler');
    // the shared pod options on every pod; the extra volume in the members' postgres container only
    const templates = objects.flatMap(podTemplates);
    expect(templates.length).toBe(7); // primary, replicas, pooler, users Job, full and diff backups, dump
    for (const t of templates) {
      expect(t.metadata.labels.team).toBe('orders');
      expect(t.metadata.annotations['example.com/owner']).toBe('orders-team');
      expect(t.spec).toMatchObject({
        nodeSelector: { 'node.kubernetes.io/pool': 'db' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
        imagePullSecrets: [{ name: 'registry-pull' }],
        priorityClassName: 'database',
      });
      const member = ['StatefulSet'].includes(t.kind);
      expect(t.spec.volumes.some((v: any) => v.name === 'extensions')).toBe(member);
      for (const c of [...(t.spec.initContainers ?? []), ...t.spec.containers]) {
        expect((c.volumeMounts ?? []).some((m: any) => m.name === 'extensions')).toBe(member && c.name === 'postgres');
      }
    }
    expect(container(pod, 'postgres').volumeMounts).toContainEqual({ name: 'extensions', mountPath: '/etc/pg-ext', readOnly: true });
    const containers = objects.flatMap(podSpecs).flatMap((p) => [...(p.initContainers ?? []), ...p.containers]);
    expect(containers.length).toBeGreaterThanOrEqual(10);
    expect(new Set(containers.map((c) => c.imagePullPolicy))).toEqual(new Set(['IfNotPresent']));
  });

  test('every prop of high availability (Patroni)', () => {
    const { objects, db } = synthDb({
      replicas: 3,
      synchronousReplicas: 1,
      highAvailability: { image: 'ghcr.io/zalando/spilo-17:4.0-p2', ttl: Duration.seconds(45), runAsUser: 101, runAsGroup: 103 },
      tls: { secret: kplus.Secret.fromSecretName(Testing.chart(), 'T', 'db-tls') },
    });
    const sts = find(objects, 'StatefulSet', 'db');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.serviceAccountName).toBe('db-patroni');
    expect(sts.spec.template.spec.automountServiceAccountToken).toBe(true);
    const env = envOf(container(sts.spec.template.spec, 'postgres'));
    expect(env.PATRONI_KUBERNETES_NAMESPACE).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(env.PATRONI_SUPERUSER_PASSWORD).toEqual({ secretKeyRef: { name: 'db-superuser', key: 'password' } });
    const patroni = JSON.parse(find(objects, 'ConfigMap', 'db-config').data['patroni.yml'].replace(/^#.*\n/, ''));
    expect(patroni.kubernetes.use_endpoints).toBe(false);
    // a scope of its own: Patroni's `<scope>-config` ConfigMap must not be the construct's `db-config`
    expect(patroni.scope).toBe('db-patroni');
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).not.toContain(`${patroni.scope}-config`);
    // Patroni counts as members only the pods with its scope label
    expect(patroni.kubernetes.scope_label).toBe('cluster-name');
    expect(sts.spec.template.metadata.labels['cluster-name']).toBe('db-patroni');
    expect(patroni.kubernetes.leader_label_value).toBe('primary');
    expect(patroni.bootstrap.dcs.ttl).toBe(45);
    expect(patroni.bootstrap.dcs.synchronous_mode).toBe(true);
    expect(patroni.bootstrap.dcs.postgresql.parameters.shared_buffers).toBe('256MB');
    expect(patroni.postgresql.parameters).toMatchObject({ ssl: 'on', ssl_key_file: '/etc/postgresql-secrets/tls/tls.key' });
    expect(patroni.postgresql.pg_hba).toContain('hostnossl  all          all              0.0.0.0/0       reject');
    const role = find(objects, 'Role', 'db-patroni');
    expect(role.rules.map((r: any) => r.resources[0])).toEqual(['configmaps', 'pods', 'endpoints']);
    expect(db.primaryService.name).toBe('db-rw');
    expect(find(objects, 'Service', 'db-rw').spec.selector.role).toBe('primary');
    expect(find(objects, 'Service', 'db-ro').spec.selector.role).toBe('replica');
    expect(find(objects, 'Service', 'db-rw').metadata.annotations?.['ignore-check.kube-linter.io/dangling-service']).toMatch(/Patroni/);
  });
});

/** The pod templates of a workload with the workload's kind; none for other kinds. */
function podTemplates(o: K8sObject): any[] {
  if (o.kind === 'CronJob') {
    return [{ kind: o.kind, ...o.spec.jobTemplate.spec.template }];
  }
  return ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) ? [{ kind: o.kind, ...o.spec.template }] : [];
}

/** The pod specs of a workload (Deployment, StatefulSet, Job, CronJob); none for other kinds. */
function podSpecs(o: K8sObject): any[] {
  if (o.kind === 'CronJob') {
    return [o.spec.jobTemplate.spec.template.spec];
  }
  return ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) ? [o.spec.template.spec] : [];
}

describe('backup repository egress', () => {
  test('AWS S3 on 443, an S3-compatible endpoint on its port, a volume repository on none', () => {
    const egressPorts = (repository: BackupRepository): number[] =>
      find(synthDb({ backup: { repository } }).objects, 'NetworkPolicy', 'db')
        .spec.egress.filter((e: any) => e.to === undefined)
        .flatMap((e: any) => e.ports.map((p: any) => p.port));
    const chart = Testing.chart();
    const credentials = kplus.Secret.fromSecretName(chart, 'S3', 's3');
    expect(egressPorts(BackupRepository.s3({ bucket: 'bucket', region: 'eu-west-1', credentials }))).toEqual([53, 53, 443]);
    expect(egressPorts(BackupRepository.s3({ bucket: 'bucket', region: 'eu-west-1', endpoint: 'minio.storage:9000' }))).toEqual([53, 53, 9000]);
    expect(egressPorts(BackupRepository.volume())).toEqual([53, 53]);
  });
});

describe('image pull policy', () => {
  const everyContainer = (objects: K8sObject[]): any[] => objects.flatMap(podSpecs).flatMap((p) => [...(p.initContainers ?? []), ...p.containers]);
  const busy = {
    replicas: 2,
    users: [{ name: 'app', password: { secret: secret('App', 'app') } }],
    databases: [{ name: 'app', owner: 'app' }],
    pooler: {},
    backup: { repository: BackupRepository.volume() },
    logicalBackup: {},
  };

  function secret(id: string, name: string): kplus.ISecret {
    return kplus.Secret.fromSecretName(Testing.chart(), id, name);
  }

  test('tags are pulled Always by default, and kube-score is not told otherwise', () => {
    const { objects } = synthDb(busy);
    const containers = everyContainer(objects);
    // postgres, bootstrap, replica bootstrap, exporter x2, agent, users, pooler init, pgbouncer, backup, dump
    expect(containers.length).toBeGreaterThanOrEqual(10);
    expect(new Set(containers.map((c) => c.imagePullPolicy))).toEqual(new Set(['Always']));
    for (const o of objects.filter((x) => podSpecs(x).length > 0)) {
      expect(o.metadata.annotations?.['kube-score/ignore'] ?? '').not.toContain('container-image-pull-policy');
    }
  });

  test('a digest-pinned image is pulled IfNotPresent, the tagged ones beside it Always', () => {
    const digest = 'docker.io/library/postgres@sha256:' + 'a'.repeat(64);
    const { objects } = synthDb({ ...busy, image: digest });
    const containers = everyContainer(objects);
    for (const c of containers) {
      expect([c.image, c.imagePullPolicy]).toEqual([c.image, c.image === digest ? 'IfNotPresent' : 'Always']);
    }
    expect(containers.filter((c) => c.image === digest).length).toBeGreaterThanOrEqual(4);
    expect(find(objects, 'StatefulSet', 'db-primary').metadata.annotations?.['kube-score/ignore']).toContain('container-image-pull-policy');
    // the pooler's init container runs the instance image too
    expect(find(objects, 'Deployment', 'db-pooler').metadata.annotations?.['kube-score/ignore']).toBe(
      'pod-probes-identical,container-image-pull-policy',
    );
  });

  test('the prop applies to every container, with Patroni too', () => {
    const { objects } = synthDb({ ...busy, replicas: 3, highAvailability: {}, imagePullPolicy: kplus.ImagePullPolicy.NEVER });
    const containers = everyContainer(objects);
    expect(containers.length).toBeGreaterThanOrEqual(8);
    expect(new Set(containers.map((c) => c.imagePullPolicy))).toEqual(new Set(['Never']));
  });
});

describe('topology', () => {
  test('a single instance has no read-only Service and no replica StatefulSet', () => {
    const { objects, db } = synthDb();
    expect(db.replicaService).toBeUndefined();
    expect(db.replicaStatefulSet).toBeUndefined();
    expect(ofKind(objects, 'StatefulSet').map((s) => s.metadata.name)).toEqual(['db-primary']);
    expect(
      ofKind(objects, 'Service')
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(['db-hl', 'db-rw']);
  });

  test('replicas stream from the read-write Service through an idempotent bootstrap init container', () => {
    const { objects } = synthDb({ replicas: 3 });
    const read = find(objects, 'StatefulSet', 'db-read');
    expect(read.spec.replicas).toBe(2);
    const init = container(read.spec.template.spec, 'bootstrap');
    expect(init.command).toEqual(['/bin/sh', '/etc/postgresql/bootstrap-replica.sh']);
    expect(envOf(init)).toMatchObject({ PRIMARY_HOST: 'db-rw', PRIMARY_PORT: '5432', REPLICATION_USER: 'replicator' });
    expect(find(objects, 'Service', 'db-ro').spec.selector).toEqual({
      'app.kubernetes.io/name': 'postgresql',
      'app.kubernetes.io/instance': 'db',
      'app.kubernetes.io/component': 'read',
    });
  });

  test('the headless Service publishes not-ready members so replicas can clone during startup', () => {
    const { objects } = synthDb({ replicas: 2 });
    const hl = find(objects, 'Service', 'db-hl');
    expect(hl.spec.clusterIP).toBe('None');
    expect(hl.spec.publishNotReadyAddresses).toBe(true);
    expect(find(objects, 'StatefulSet', 'db-read').spec.serviceName).toBe('db-hl');
  });

  test('synchronous replication waits for ANY n named replicas', () => {
    const { db } = synthDb({ replicas: 4, synchronousReplicas: 2 });
    expect(confSettings(db.postgresqlConf).synchronous_standby_names).toBe('ANY 2 ("db_read_0", "db_read_1", "db_read_2")');
  });
});

describe('security', () => {
  test('every container is restricted and PGDATA is a subdirectory of the volume', () => {
    const { objects } = synthDb({ replicas: 2, pooler: {}, backup: { repository: BackupRepository.volume() }, logicalBackup: {} });
    for (const o of objects.filter((x) => ['StatefulSet', 'Deployment', 'Job', 'CronJob'].includes(x.kind))) {
      const pod = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
        fsGroupChangePolicy: 'OnRootMismatch',
      });
      expect(pod.enableServiceLinks).toBe(false);
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(Object.keys(c.resources.limits).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
      }
    }
    const pod = find(objects, 'StatefulSet', 'db-primary').spec.template.spec;
    expect(envOf(container(pod, 'postgres')).PGDATA).toBe('/var/lib/postgresql/data/pg15');
    expect(container(pod, 'postgres').volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
  });

  test('/dev/shm is memory-backed and sized to a quarter of the memory limit (at least 256Mi)', () => {
    const big = synthDb({ memory: Size.gibibytes(8) }).objects;
    const vols = find(big, 'StatefulSet', 'db-primary').spec.template.spec.volumes;
    expect(vols.find((v: any) => v.name === 'shm')).toEqual({ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '2Gi' } });
    const small = synthDb().objects;
    expect(find(small, 'StatefulSet', 'db-primary').spec.template.spec.volumes.find((v: any) => v.name === 'shm').emptyDir.sizeLimit).toBe('256Mi');
  });

  test('the official image uid is kept and annotated for kube-score, with the reason', () => {
    const { objects } = synthDb();
    const sts = find(objects, 'StatefulSet', 'db-primary');
    expect(sts.spec.template.spec.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    expect(sts.metadata.annotations?.['kube-score/ignore']).toBe('container-security-context-user-group-id');
    const custom = synthDb({ runAsUser: 10001, runAsGroup: 10001, image: 'registry.example.com/postgres:15.10-custom' }).objects;
    expect(find(custom, 'StatefulSet', 'db-primary').metadata.annotations ?? {}).not.toHaveProperty('kube-score/ignore');
  });

  test('no password or key material is ever in the manifests', () => {
    const { chart } = synthDb();
    const everything = Testing.synth(chart);
    const { objects } = synthDb({
      replicas: 3,
      pooler: {},
      backup: { repository: BackupRepository.s3({ bucket: 'b-1', region: 'eu-west-1', credentials: kplus.Secret.fromSecretName(chart, 'S', 's3') }) },
      users: [{ name: 'app', password: { secret: kplus.Secret.fromSecretName(chart, 'A', 'app') } }],
      databases: [{ name: 'app', owner: 'app' }],
      tls: { secret: kplus.Secret.fromSecretName(chart, 'T', 'tls') },
    });
    const text = JSON.stringify([...everything, ...objects]);
    expect(ofKind(objects, 'Secret')).toEqual([]);
    expect(text).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
    expect(text).not.toMatch(/SCRAM-SHA-256\$/);
    expect(text).not.toMatch(/PASSWORD\s+'[^']/i);
    for (const o of objects) {
      // variables named like secrets may only hold paths (*_FILE, *_DIR) or come from secretKeyRef
      const env = JSON.stringify(o).match(/"name":"(?![A-Z_]*(FILE|DIR)")[A-Z_]*(PASSWORD|SECRET|KEY|PASS)[A-Z_]*","value":"[^"]*"/g);
      expect(env).toBeNull();
    }
  });
});

describe('configuration', () => {
  test('shared_buffers is a quarter and effective_cache_size three quarters of the memory limit', () => {
    const { db } = synthDb({ memory: Size.gibibytes(4), cpu: kplus.Cpu.units(4) });
    const conf = confSettings(db.postgresqlConf);
    expect(conf.shared_buffers).toBe('1GB');
    expect(conf.effective_cache_size).toBe('3GB');
    expect(conf.maintenance_work_mem).toBe('256MB');
    expect(conf.wal_buffers).toBe('16MB');
    expect(conf.max_worker_processes).toBe('8');
    expect(conf.max_parallel_workers_per_gather).toBe('2');
  });

  test('every parameter appears once, so PostgreSQL never reports a shadowed setting', () => {
    const { db } = synthDb({ parameters: { random_page_cost: '4', jit: 'on', work_mem: '8MB' } });
    const names = db.postgresqlConf
      .split('\n')
      .map((l) => /^([a-z_][a-z0-9_.]*)\s*=/.exec(l)?.[1])
      .filter((x) => x);
    expect(new Set(names).size).toBe(names.length);
    expect(confSettings(db.postgresqlConf)).toMatchObject({ random_page_cost: '4', jit: 'on', work_mem: '8MB' });
  });

  test('a mixed-case parameter replaces the derived setting instead of shadowing it', () => {
    // PostgreSQL folds names: `Work_Mem` after `work_mem` in one file would be a second, silent setting
    const { db } = synthDb({ parameters: { Work_Mem: '12MB' } });
    expect(db.postgresqlConf).not.toMatch(/Work_Mem/);
    expect(db.postgresqlConf.match(/^work_mem = /gm)).toHaveLength(1);
    expect(confSettings(db.postgresqlConf).work_mem).toBe('12MB');
  });

  test('values are quoted so a quote in a value cannot end the setting', () => {
    const { db } = synthDb({ parameters: { application_name: "it's" } });
    expect(db.postgresqlConf).toContain("application_name = 'it''s'");
  });

  test('pg_hba.conf uses scram-sha-256 and never trust', () => {
    const { db } = synthDb();
    expect(db.pgHbaConf).not.toMatch(/trust|peer|md5|password\s*$/m);
    expect(db.pgHbaConf).toMatch(/^host\s+replication\s+replicator\s+0\.0\.0\.0\/0\s+scram-sha-256$/m);
    expect(confSettings(db.postgresqlConf).password_encryption).toBe('scram-sha-256');
  });

  test('a config change rolls the pods through the checksum annotation', () => {
    const a = find(synthDb().objects, 'StatefulSet', 'db-primary').spec.template.metadata.annotations['checksum/config'];
    const b = find(synthDb({ parameters: { work_mem: '8MB' } }).objects, 'StatefulSet', 'db-primary').spec.template.metadata.annotations[
      'checksum/config'
    ];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  test('without backups archive_command succeeds immediately so WAL never piles up', () => {
    expect(confSettings(synthDb().db.postgresqlConf).archive_command).toBe('/bin/true');
    const withBackup = synthDb({ backup: { repository: BackupRepository.volume() } }).db;
    expect(confSettings(withBackup.postgresqlConf).archive_command).toBe('/bin/sh "$PG_SCRIPTS_DIR/pgbackrest-archive.sh" push "%p" "%f"');
  });
});

describe('health', () => {
  test('startup and liveness tolerate crash recovery; readiness needs writes accepted on the primary, reads on replicas', () => {
    const { objects } = synthDb({ replicas: 2 });
    const pod = find(objects, 'StatefulSet', 'db-primary').spec.template.spec;
    const pg = container(pod, 'postgres');
    expect(pg.startupProbe.exec.command[2]).toMatch(
      /pg_isready -q -h \/var\/run\/postgresql -p 5432; rc=\$\?; \[ "\$rc" -eq 0 \] \|\| \[ "\$rc" -eq 1 \]/,
    );
    expect(pg.startupProbe.failureThreshold * pg.startupProbe.periodSeconds).toBeGreaterThanOrEqual(3600);
    expect(pg.livenessProbe.exec.command).toEqual(pg.startupProbe.exec.command);
    expect(pg.readinessProbe.exec.command).toEqual([
      '/bin/sh',
      '-c',
      `pg_isready -q -h /var/run/postgresql -p 5432 && LC_ALL=C pg_controldata "$PGDATA" | grep -q '^Database cluster state: *in production$'`,
    ]);
    const read = container(find(objects, 'StatefulSet', 'db-read').spec.template.spec, 'postgres');
    expect(read.readinessProbe.exec.command).toEqual(['/bin/sh', '-c', 'pg_isready -q -h /var/run/postgresql -p 5432']);
    expect(pod.terminationGracePeriodSeconds).toBe(120);
  });

  test('the exporter listens on 9187 and the pods are annotated for Prometheus', () => {
    const sts = find(synthDb().objects, 'StatefulSet', 'db-primary');
    expect(container(sts.spec.template.spec, 'metrics').ports).toEqual([{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
    expect(sts.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9187' });
    const off = find(synthDb({ metrics: { enabled: false } }).objects, 'StatefulSet', 'db-primary');
    expect(off.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['postgres']);
  });
});

describe('placement and policy', () => {
  test('one PDB over all members that never blocks draining a single instance', () => {
    const pdb = find(synthDb().objects, 'PodDisruptionBudget', 'db');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(pdb.spec.minAvailable).toBeUndefined();
  });

  test('members prefer different nodes and spread across zones', () => {
    const pod = find(synthDb({ replicas: 3 }).objects, 'StatefulSet', 'db-read').spec.template.spec;
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' });
  });

  test('the NetworkPolicy admits labelled clients, members, the pooler and metrics scraping, and allows DNS out', () => {
    const { objects, db } = synthDb({ replicas: 2, pooler: {} });
    const np = find(objects, 'NetworkPolicy', 'db');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const from5432 = np.spec.ingress.find((r: any) => r.ports[0].port === 5432).from;
    expect(from5432).toContainEqual({ podSelector: { matchLabels: { 'db-client': 'true' } } });
    expect(JSON.stringify(from5432)).toContain('"pooler"');
    expect(np.spec.ingress.find((r: any) => r.ports[0].port === 9187)).toBeDefined();
    expect(np.spec.egress[0]).toEqual({
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    });
    expect(db.clientLabelKey).toBe('db-client');
    expect(find(objects, 'NetworkPolicy', 'db-pooler').spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 6432 }]);
  });

  test('networkPolicy false emits none', () => {
    expect(ofKind(synthDb({ networkPolicy: false }).objects, 'NetworkPolicy')).toEqual([]);
  });
});

describe('pooler', () => {
  test('pgBouncer authenticates through auth_query and a restricted SECURITY DEFINER function', () => {
    const { objects, db } = synthDb({ pooler: {} });
    const ini = find(objects, 'ConfigMap', 'db-pooler').data['pgbouncer.ini'];
    expect(ini).toMatch(/^auth_type = scram-sha-256$/m);
    expect(ini).toMatch(/^auth_user = pgbouncer_auth$/m);
    expect(ini).toMatch(/^auth_query = SELECT username, password FROM pgbouncer.get_auth\(\$1\)$/m);
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^max_prepared_statements = 200$/m);
    expect(ini).toMatch(/^\* = host=db-rw port=5432$/m);
    expect(db.usersSql).toMatch(/SECURITY DEFINER\s+SET search_path = pg_catalog, pg_temp/);
    expect(db.usersSql).toContain('NOT a.rolsuper');
    expect(db.usersSql).toContain('REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;');
    expect(find(objects, 'Service', 'db-pooler').spec.ports).toEqual([{ name: 'postgresql', port: 5432, targetPort: 6432 }]);
    expect(find(objects, 'PodDisruptionBudget', 'db-pooler').spec.maxUnavailable).toBe(1);
  });
});

describe('users and databases', () => {
  test('the Job reads every password from a mounted Secret file and its name changes with the spec', () => {
    const make = (limit: number) =>
      synthDb({
        users: [
          { name: 'app', password: { secret: kplus.Secret.fromSecretName(Testing.chart(), 'X', 'app-secret'), key: 'pw' }, connectionLimit: limit },
        ],
        databases: [{ name: 'shop', owner: 'app' }],
      });
    const { objects, db } = make(10);
    const job = ofKind(objects, 'Job')[0];
    expect(job.metadata.name).toMatch(/^db-users-[0-9a-f]{8}$/);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    const vols = job.spec.template.spec.volumes;
    expect(vols).toContainEqual({
      name: expect.stringMatching(/^password-/),
      secret: { secretName: 'app-secret', items: [{ key: 'pw', path: 'password' }], defaultMode: 0o440 },
    });
    expect(db.usersSql).toContain('\\set password `cat "$USER_CREDENTIALS_DIR/app/password"`');
    expect(db.usersSql).toContain(
      `ALTER ROLE "app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 10 PASSWORD :'password';`,
    );
    expect(db.usersSql).toContain(`SELECT 'CREATE DATABASE "shop" OWNER "app"'`);
    expect(ofKind(make(11).objects, 'Job')[0].metadata.name).not.toBe(job.metadata.name);
  });

  test('connectionEnv hands a workload libpq variables with the password as a secretKeyRef', () => {
    const chart = Testing.chart();
    const db = new StatefulPostgres(chart, 'db', {
      superuserSecret: superuser(chart),
      replicas: 2,
      users: [{ name: 'app', password: { secret: kplus.Secret.fromSecretName(chart, 'A', 'app-secret') } }],
      databases: [{ name: 'shop', owner: 'app' }],
    });
    // a hand-written workload, made Pod Security "restricted" as the cluster suite enforces
    const dep = new kplus.Deployment(chart, 'Web', {
      containers: [{ image: 'nginx:1.27', envVariables: db.connectionEnv('shop'), securityContext: { allowPrivilegeEscalation: false } }],
    });
    ApiObject.of(dep).addJsonPatch(
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
      JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
    );
    const objects = Testing.synth(chart) as K8sObject[];
    const env = envOf(ofKind(objects, 'Deployment')[0].spec.template.spec.containers[0]);
    expect(env).toEqual({
      PGHOST: 'db-rw',
      PGPORT: '5432',
      PGDATABASE: 'shop',
      PGUSER: 'app',
      PGPASSWORD: { secretKeyRef: { name: 'app-secret', key: 'password' } },
      PGSSLMODE: 'prefer',
    });
    expect(db.connectionEnv('shop', { readOnly: true }).PGHOST.value).toBe('db-ro');
  });
});

describe('backups', () => {
  test('a volume repository gets its own PVC, mounted by the pgBackRest agent next to the primary', () => {
    const { objects } = synthDb({ backup: { repository: BackupRepository.volume({ size: Size.gibibytes(40) }) } });
    expect(find(objects, 'PersistentVolumeClaim', 'db-pgbackrest-repo').spec.resources.requests.storage).toBe('40Gi');
    const pod = find(objects, 'StatefulSet', 'db-primary').spec.template.spec;
    const agent = container(pod, 'pgbackrest');
    expect(agent.command).toEqual(['/bin/sh', '/etc/postgresql/pgbackrest-agent.sh']);
    expect(agent.volumeMounts).toContainEqual({ name: 'pgbackrest-repo', mountPath: '/var/lib/pgbackrest' });
    expect(envOf(agent).PGBACKREST_REPO1_PATH).toBe('/var/lib/pgbackrest');
    const conf = find(objects, 'ConfigMap', 'db-pgbackrest').data['pgbackrest.conf'];
    expect(conf).toContain('repo1-type=posix');
  });

  test('the backup CronJob starts a backup in the agent of the primary with least-privilege RBAC', () => {
    const { objects } = synthDb({ backup: { repository: BackupRepository.volume() } });
    const cj = find(objects, 'CronJob', 'db-backup-full');
    expect(cj.spec).toMatchObject({ schedule: '0 0 * * *', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600 });
    expect(cj.spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
    expect(cj.spec.jobTemplate.spec.template.spec.containers[0].command).toEqual([
      'kubectl',
      'exec',
      'svc/db-rw',
      '-c',
      'pgbackrest',
      '--',
      'pgbackrest',
      '--stanza=db',
      '--type=full',
      'backup',
    ]);
    const role = find(objects, 'Role', 'db-backup');
    expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
    // kubectl exec svc/... watches for a running pod while the primary is away
    expect(role.rules).toContainEqual({ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] });
  });

  test('the backup Role and RoleBinding carry their Polaris pods/exec exemption with the reason', () => {
    const { objects } = synthDb({ replicas: 2, highAvailability: {}, backup: { repository: BackupRepository.volume() } });
    const reason = expect.stringMatching(/kubectl exec/);
    expect(find(objects, 'Role', 'db-backup').metadata.annotations).toEqual({
      'polaris.fairwinds.com/rolePodExecAttach-exempt': 'true',
      'postgresql.cdk8s-patterns.io/pods-exec-reason': reason,
    });
    expect(find(objects, 'RoleBinding', 'db-backup').metadata.annotations).toEqual({
      'polaris.fairwinds.com/rolebindingRolePodExecAttach-exempt': 'true',
      'postgresql.cdk8s-patterns.io/pods-exec-reason': reason,
    });
    // Patroni's Role has no exec, so no exemption
    expect(find(objects, 'Role', 'db-patroni').metadata.annotations).toBeUndefined();
    expect(find(objects, 'RoleBinding', 'db-patroni').metadata.annotations).toBeUndefined();
  });

  test('S3 credentials reach pgBackRest only as secretKeyRefs', () => {
    const chart = Testing.chart();
    new StatefulPostgres(chart, 'db', {
      superuserSecret: superuser(chart),
      backup: {
        repository: BackupRepository.s3({ bucket: 'acme', region: 'eu-west-1', credentials: kplus.Secret.fromSecretName(chart, 'S3', 'aws') }),
      },
    });
    const objects = Testing.synth(chart) as K8sObject[];
    const env = envOf(container(find(objects, 'StatefulSet', 'db-primary').spec.template.spec, 'pgbackrest'));
    expect(env.PGBACKREST_REPO1_S3_KEY).toEqual({ secretKeyRef: { name: 'aws', key: 'AWS_ACCESS_KEY_ID' } });
    expect(env.PGBACKREST_REPO1_S3_KEY_SECRET).toEqual({ secretKeyRef: { name: 'aws', key: 'AWS_SECRET_ACCESS_KEY' } });
    const conf = find(objects, 'ConfigMap', 'db-pgbackrest').data['pgbackrest.conf'];
    expect(conf).toContain('repo1-s3-endpoint=s3.eu-west-1.amazonaws.com');
    expect(conf).toContain('repo1-path=/pgbackrest/db');
    expect(conf).toContain('repo1-s3-key-type=shared');
  });

  test('an S3 endpoint behind a private CA is verified with the caBundle ConfigMap in every pgBackRest container', () => {
    const chart = Testing.chart();
    new StatefulPostgres(chart, 'db', {
      superuserSecret: superuser(chart),
      backup: {
        repository: BackupRepository.s3({
          bucket: 'acme',
          region: 'us-east-1',
          endpoint: 'minio.storage.svc:9000',
          uriStyle: S3UriStyle.PATH,
          caBundle: kplus.ConfigMap.fromConfigMapName(chart, 'Ca', 'minio-ca'),
        }),
      },
      onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
    });
    const objects = Testing.synth(chart) as K8sObject[];
    const pod = find(objects, 'StatefulSet', 'db-primary').spec.template.spec;
    for (const name of ['pgbackrest', 'restore']) {
      const c = container(pod, name);
      expect(envOf(c).PGBACKREST_REPO1_STORAGE_CA_FILE).toBe('/etc/pgbackrest-ca/ca.crt');
      expect(c.volumeMounts).toContainEqual({ name: 'pgbackrest-ca', mountPath: '/etc/pgbackrest-ca', readOnly: true });
    }
    expect(pod.volumes).toContainEqual({
      name: 'pgbackrest-ca',
      configMap: { name: 'minio-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
    });
    const conf = find(objects, 'ConfigMap', 'db-pgbackrest').data['pgbackrest.conf'];
    expect(conf).toContain('repo1-s3-endpoint=minio.storage.svc:9000');
    // verification stays on: no option turns it off
    expect(conf).not.toMatch(/verify-tls/);
    // without a bundle nothing is mounted and the image's CAs apply
    const plain = Testing.chart();
    new StatefulPostgres(plain, 'db', {
      superuserSecret: superuser(plain),
      backup: { repository: BackupRepository.s3({ bucket: 'acme', region: 'eu-west-1' }) },
    });
    const plainPod = find(Testing.synth(plain) as K8sObject[], 'StatefulSet', 'db-primary').spec.template.spec;
    expect(envOf(container(plainPod, 'pgbackrest'))).not.toHaveProperty('PGBACKREST_REPO1_STORAGE_CA_FILE');
    expect(plainPod.volumes.map((v: any) => v.name)).not.toContain('pgbackrest-ca');
  });

  test("the S3 egress rule opens the endpoints' ports: 443 by default, the named port otherwise, the restore source's too", () => {
    const egressPorts = (props: Partial<StatefulPostgresProps>): number[] => {
      const np = find(synthDb(props).objects, 'NetworkPolicy', props.name ?? 'db');
      // the rule without a destination that is neither DNS nor the PostgreSQL port
      return np.spec.egress
        .filter((r: any) => r.to === undefined)
        .flatMap((r: any) => r.ports.map((p: any) => p.port))
        .filter((p: number) => p !== 53 && p !== 5432);
    };
    expect(egressPorts({ backup: { repository: BackupRepository.s3({ bucket: 'acme', region: 'eu-west-1' }) } })).toEqual([443]);
    const minio = BackupRepository.s3({ bucket: 'acme', region: 'eu-west-1', endpoint: 'minio.storage.svc:9000' });
    expect(egressPorts({ backup: { repository: minio } })).toEqual([9000]);
    expect(
      egressPorts({
        name: 'copy',
        backup: { repository: minio },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: BackupRepository.s3({ bucket: 'old', region: 'eu-west-1' }), clusterName: 'db' },
      }),
    ).toEqual([443, 9000]);
  });

  test('restoreFrom a volume repository mounts the source claim read-only, next to the own repository', () => {
    const chart = Testing.chart();
    new StatefulPostgres(chart, 'db', {
      name: 'copy',
      superuserSecret: superuser(chart),
      backup: { repository: BackupRepository.volume() },
      onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
      restoreFrom: { repository: BackupRepository.volume(), clusterName: 'orders' },
    });
    const objects = Testing.synth(chart) as K8sObject[];
    const pod = find(objects, 'StatefulSet', 'copy-primary').spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'pgbackrest-repo', persistentVolumeClaim: { claimName: 'copy-pgbackrest-repo' } });
    expect(pod.volumes).toContainEqual({
      name: 'pgbackrest-repo-source',
      persistentVolumeClaim: { claimName: 'orders-pgbackrest-repo', readOnly: true },
    });
    const sourceMount = { name: 'pgbackrest-repo-source', mountPath: '/var/lib/pgbackrest-source', readOnly: true };
    expect(container(pod, 'restore').volumeMounts).toContainEqual(sourceMount);
    expect(container(pod, 'restore').volumeMounts.map((m: any) => m.name)).not.toContain('pgbackrest-repo');
    expect(envOf(container(pod, 'restore')).PGBACKREST_REPO1_PATH).toBe('/var/lib/pgbackrest-source');
    expect(container(pod, 'pgbackrest').volumeMounts).toContainEqual(sourceMount);
    expect(envOf(container(pod, 'pgbackrest'))).toMatchObject({
      PGBACKREST_REPO1_PATH: '/var/lib/pgbackrest',
      RESTORE_SOURCE_REPO1_PATH: '/var/lib/pgbackrest-source',
    });
    const cm = find(objects, 'ConfigMap', 'copy-pgbackrest').data;
    expect(cm['pgbackrest.conf']).toMatch(/^repo1-path=\/var\/lib\/pgbackrest$/m);
    expect(cm['restore-source.conf']).toMatch(/^repo1-path=\/var\/lib\/pgbackrest-source$/m);
    // the replicas never restore: no source there
    const read = synthDb({ replicas: 2, backup: { repository: BackupRepository.volume() } }).objects;
    expect(find(read, 'StatefulSet', 'db-read').spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('pgbackrest-repo-source');
  });

  test('onEmptyPrimary reaches the primary bootstrap; clone mounts the source password', () => {
    const fail = find(synthDb({ onEmptyPrimary: OnEmptyPrimary.FAIL }).objects, 'StatefulSet', 'db-primary');
    expect(envOf(container(fail.spec.template.spec, 'bootstrap')).ON_EMPTY_PRIMARY).toBe('fail');
    const chart = Testing.chart();
    new StatefulPostgres(chart, 'db', {
      superuserSecret: superuser(chart),
      onEmptyPrimary: OnEmptyPrimary.CLONE,
      cloneFrom: { host: 'old-db-rw.legacy.svc', password: { secret: kplus.Secret.fromSecretName(chart, 'C', 'old-repl') } },
    });
    const pod = find(Testing.synth(chart) as K8sObject[], 'StatefulSet', 'db-primary').spec.template.spec;
    expect(envOf(container(pod, 'bootstrap'))).toMatchObject({
      ON_EMPTY_PRIMARY: 'clone',
      CLONE_HOST: 'old-db-rw.legacy.svc',
      CLONE_USER: 'replicator',
    });
    expect(pod.volumes).toContainEqual({
      name: 'clone-password',
      secret: { secretName: 'old-repl', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 },
    });
  });

  test('a clone is a client of its source: the source name comes from its -rw host or from clusterName', () => {
    const labelsOf = (cloneFrom: { host: string; clusterName?: string }) => {
      const chart = Testing.chart();
      new StatefulPostgres(chart, 'db', {
        superuserSecret: superuser(chart),
        onEmptyPrimary: OnEmptyPrimary.CLONE,
        cloneFrom: { ...cloneFrom, password: { secret: kplus.Secret.fromSecretName(chart, 'C', 'old-repl') } },
      });
      return find(Testing.synth(chart) as K8sObject[], 'StatefulSet', 'db-primary').spec.template.metadata.labels;
    };
    expect(labelsOf({ host: 'old-db-rw.legacy.svc' })['old-db-client']).toBe('true');
    expect(labelsOf({ host: 'orders-rw' })['orders-client']).toBe('true');
    expect(labelsOf({ host: 'pg.example.com', clusterName: 'legacy' })['legacy-client']).toBe('true');
    expect(Object.keys(labelsOf({ host: 'pg.example.com' })).filter((k) => k.endsWith('-client'))).toEqual([]);
  });

  test('a single instance has the replicator role, to be cloned, once replicationPassword is set', () => {
    const plain = synthDb();
    expect(plain.db.usersSql ?? '').not.toContain('replicator');
    const chart = Testing.chart();
    const db = new StatefulPostgres(chart, 'db', {
      superuserSecret: superuser(chart),
      replicationPassword: { secret: kplus.Secret.fromSecretName(chart, 'R', 'db-replication') },
    });
    const pod = find(Testing.synth(chart) as K8sObject[], 'StatefulSet', 'db-primary').spec.template.spec;
    expect(envOf(container(pod, 'bootstrap')).REPLICATION_CREDENTIALS_FILE).toBe('/etc/postgresql-secrets/replication/password');
    expect(db.usersSql).toMatch(/"replicator"/);
  });
});

describe('networkPolicy: false', () => {
  test('every workload tells kube-score the missing NetworkPolicy is deliberate, keeping its other ignores', () => {
    const { objects } = synthDb({ networkPolicy: false, replicas: 2, pooler: {} });
    expect(ofKind(objects, 'NetworkPolicy')).toEqual([]);
    const workloads = objects.filter((o) => ['StatefulSet', 'Deployment', 'Job', 'CronJob'].includes(o.kind));
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    for (const w of workloads) {
      expect(String(w.metadata.annotations?.['kube-score/ignore']).split(',')).toContain('pod-networkpolicy');
    }
    // the primary keeps its uid reason next to the new one
    expect(find(objects, 'StatefulSet', 'db-primary').metadata.annotations?.['kube-score/ignore']).toBe(
      'container-security-context-user-group-id,pod-networkpolicy',
    );
  });

  test('with the default policies nothing is ignored for them', () => {
    const { objects } = synthDb();
    for (const w of objects.filter((o) => ['StatefulSet', 'Job'].includes(o.kind))) {
      expect(String(w.metadata.annotations?.['kube-score/ignore'] ?? '')).not.toContain('pod-networkpolicy');
    }
  });
});

describe('Patroni version', () => {
  test.each(SUPPORTED_VERSIONS)('the default high-availability image of version %d carries Patroni 4 or newer', (version) => {
    const image = SPILO_IMAGES[version];
    const tag = /\/spilo-\d+:(\d+)\.\d+/.exec(image);
    expect(tag).not.toBeNull();
    expect(Number(tag![1])).toBeGreaterThanOrEqual(MIN_PATRONI_MAJOR);
    expect(patroniTooOld(image)).toBeUndefined();
    const { objects } = synthDb({ version, replicas: 2, highAvailability: {} });
    expect(container(find(objects, 'StatefulSet', 'db').spec.template.spec, 'postgres').image).toBe(image);
  });

  test('images whose Patroni cannot be told from the reference are taken as they are', () => {
    expect(patroniTooOld('registry.example.com/acme/patroni:2024.1')).toBeUndefined();
    expect(patroniTooOld('ghcr.io/zalando/spilo-15:3.0-p1')).toMatch(/Patroni 4 or newer/);
  });
});
