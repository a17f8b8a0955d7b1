import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { BackupRepository, DatabaseAccess, ExtraVolumeSource, OnEmptyPrimary, StatefulPostgres, StatefulPostgresProps } from '../../src';
import { assertValidManifests } from '../support/k8s-schema';
import { superuser } from './fixtures';

function make(props: Partial<StatefulPostgresProps>, id = 'db'): StatefulPostgres {
  const chart = Testing.chart();
  return new StatefulPostgres(chart, id, { superuserSecret: superuser(chart), ...props });
}

function secret(name: string): kplus.ISecret {
  return kplus.Secret.fromSecretName(Testing.chart(), 'S', name);
}

describe('errors name the construct path, the prop, the rule and the value', () => {
  test.each<[string, Partial<StatefulPostgresProps>, RegExp]>([
    ['replicas < 1', { replicas: 0 }, /^\[test\/db\] replicas must be an integer from 1 to 16, got 0$/],
    ['fractional replicas', { replicas: 1.5 }, /replicas must be an integer from 1 to 16, got 1.5/],
    [
      'synchronous replicas without replicas',
      { synchronousReplicas: 1 },
      /synchronousReplicas must be an integer from 0 to replicas - 1 \(0\), got 1/,
    ],
    ['storage too small', { storage: Size.mebibytes(512) }, /storage must be at least 1Gi and a whole number of MiB, got "512Mi"/],
    ['memory too small', { memory: Size.mebibytes(128) }, /memory must be a memory limit of at least 256Mi.*got "128Mi"/],
    ['memory not whole MiB', { memory: Size.kibibytes(300 * 1024 + 1) }, /memory must be a memory limit/],
    ['unknown version', { version: 12 }, /version must be one of 14, 15, 16, 17, got 12/],
    [
      'a pod label the construct sets',
      { podLabels: { role: 'primary' } },
      /podLabels\["role"\] must be a label the construct or a controller does not set, got "role"/,
    ],
    [
      'a pod annotation the construct sets',
      { podAnnotations: { 'checksum/config': 'x' } },
      /podAnnotations\["checksum\/config"\] must be an annotation the construct does not manage/,
    ],
    [
      'an extra volume on the data mount',
      { volumes: [{ name: 'extra', source: ExtraVolumeSource.fromSecret(secret('x')), mountPath: '/var/lib/postgresql/data' }] },
      /volumes\[0\].mountPath must be a path not mounted already, got "\/var\/lib\/postgresql\/data"/,
    ],
    [
      'an extra volume named like one of the construct',
      { volumes: [{ name: 'tls', source: ExtraVolumeSource.fromSecret(secret('x')), mountPath: '/etc/extra' }] },
      /volumes\[0\].name must be a volume name not used in the pod already, got "tls"/,
    ],
    ['a bad toleration effect', { tolerations: [{ key: 'a', effect: 'NoScheduled' }] }, /tolerations\[0\].effect must be/],
    [
      'a Spilo image with Patroni 3',
      { replicas: 2, highAvailability: { image: 'ghcr.io/zalando/spilo-16:3.3-p3' } },
      /highAvailability.image must be an image with Patroni 4 or newer \(Spilo 4.0 or newer: Spilo 3.3 has Patroni 3.3, which ignores leader_label_value\), got "ghcr.io\/zalando\/spilo-16:3.3-p3"/,
    ],
    [
      'unknown pull policy',
      { imagePullPolicy: 'Sometimes' as kplus.ImagePullPolicy },
      /imagePullPolicy must be one of Always, IfNotPresent, Never, got "Sometimes"/,
    ],
    [
      'unknown parameter',
      { parameters: { shared_bufers: '1GB' } },
      /parameters.shared_bufers must be a PostgreSQL 15 parameter name, got "shared_bufers"/,
    ],
    ['owned parameter', { parameters: { archive_command: 'cp %p /x' } }, /parameters.archive_command must be left to the construct/],
    // PostgreSQL folds names to lower case: a differently cased owned name is the same parameter
    [
      'owned parameter in mixed case',
      { parameters: { Archive_Command: 'cp %p /x' } },
      /parameters.Archive_Command must be left to the construct \(PostgreSQL reads it as archive_command.*got "Archive_Command"/,
    ],
    ['owned parameter in upper case', { parameters: { SSL: 'off' } }, /parameters.SSL must be left to the construct/],
    ['owned listen_addresses by case', { parameters: { Listen_Addresses: '*' } }, /parameters.Listen_Addresses must be left to the construct/],
    ['owned port by case', { parameters: { PORT: '6543' } }, /parameters.PORT must be left to the construct/],
    [
      'one parameter given twice by case',
      { parameters: { work_mem: '4MB', WORK_MEM: '8MB' } },
      /parameters.WORK_MEM must be given once \(PostgreSQL names are case-insensitive: work_mem names it too\)/,
    ],
    ['multi-line parameter', { parameters: { work_mem: '4MB\nfsync = off' } }, /parameters.work_mem must be a single-line string/],
    [
      'parameter of a newer version',
      { parameters: { transaction_timeout: '1min' } },
      /parameters.transaction_timeout must be a PostgreSQL 15 parameter name/,
    ],
    ['bad name', { name: 'Orders_DB' }, /name must be a DNS label of at most 30 characters, got "Orders_DB"/],
    ['long name', { name: 'a'.repeat(31) }, /name must be a DNS label of at most 30 characters/],
    ['unpinned image', { image: 'postgres' }, /image must be pinned with a tag or a digest/],
    ['latest image', { image: 'postgres:latest' }, /image must be pinned with a tag other than latest/],
    ['max connections', { maxConnections: 5 }, /maxConnections must be an integer from 10 to 10000, got 5/],
    [
      'cpu limit below request',
      { cpu: kplus.Cpu.units(4), cpuLimit: kplus.Cpu.units(1) },
      /cpuLimit must be whole millicores, at least the cpu request/,
    ],
    ['grace period', { terminationGracePeriod: Duration.seconds(5) }, /terminationGracePeriod must be at least 30 seconds/],
    ['uid 0', { runAsUser: 0 }, /runAsUser must be a non-zero uid\/gid, got 0/],
    ['database name', { databases: [{ name: 'Orders-DB' }] }, /databases\[0\].name must be a lowercase SQL name.*got "Orders-DB"/],
    ['reserved database', { databases: [{ name: 'template1' }] }, /databases\[0\].name must be not postgres, template0 or template1/],
    ['duplicate database', { databases: [{ name: 'a' }, { name: 'a' }] }, /databases\[1\].name must be unique among databases/],
    ['undeclared owner', { databases: [{ name: 'a', owner: 'nobody' }] }, /databases\[0\].owner must be a declared user, got "nobody"/],
    ['bad extension', { databases: [{ name: 'a', extensions: ['uuid-ossp; DROP'] }] }, /databases\[0\].extensions\[0\] must be an extension name/],
    ['user name with a quote', { users: [{ name: 'x"y', password: { secret: secret('s') } }] }, /users\[0\].name must be a lowercase SQL name/],
    ['reserved user', { users: [{ name: 'replicator', password: { secret: secret('s') } }] }, /users\[0\].name must be not reserved/],
    ['pg_ user', { users: [{ name: 'pg_admin', password: { secret: secret('s') } }] }, /users\[0\].name must be not reserved/],
    [
      'duplicate user',
      {
        users: [
          { name: 'a', password: { secret: secret('s') } },
          { name: 'a', password: { secret: secret('s') } },
        ],
      },
      /users\[1\].name must be unique among users/,
    ],
    [
      'connection limit',
      { users: [{ name: 'a', password: { secret: secret('s') }, connectionLimit: -2 }] },
      /users\[0\].connectionLimit must be an integer from -1 to 2147483647/,
    ],
    [
      'grant on undeclared database',
      { users: [{ name: 'a', password: { secret: secret('s') }, grants: [{ database: 'nope', access: DatabaseAccess.READ_ONLY }] }] },
      /users\[0\].grants\[0\].database must be a declared database, got "nope"/,
    ],
    [
      'member of unknown role',
      { users: [{ name: 'a', password: { secret: secret('s') }, memberOf: ['admins'] }] },
      /users\[0\].memberOf\[0\] must be another declared user/,
    ],
    [
      'bad password key',
      { users: [{ name: 'a', password: { secret: secret('s'), key: 'a/b' } }] },
      /users\[0\].password.key must be a Secret key, got "a\/b"/,
    ],
    ['pooler replicas', { pooler: { replicas: 0 } }, /pooler.replicas must be an integer from 1 to 50, got 0/],
    [
      'pool size above max_connections',
      { pooler: { defaultPoolSize: 100 } },
      /pooler.defaultPoolSize must be an integer from 1 to maxConnections - 1 \(99\), got 100/,
    ],
    ['pooler image', { pooler: { image: 'pgbouncer' } }, /pooler.image must be pinned/],
    ['pooler memory', { pooler: { memory: Size.mebibytes(8) } }, /pooler.memory must be at least 32Mi/],
    [
      'bucket',
      { backup: { repository: BackupRepository.s3({ bucket: 'Bad_Bucket', region: 'eu-west-1' }) } },
      /backup.repository.bucket must be an S3 bucket name/,
    ],
    [
      'endpoint with scheme',
      { backup: { repository: BackupRepository.s3({ bucket: 'ok-b', region: 'eu-west-1', endpoint: 'https://x' }) } },
      /backup.repository.endpoint must be a host name/,
    ],
    [
      'CA bundle key',
      { backup: { repository: BackupRepository.s3({ bucket: 'ok-b', region: 'eu-west-1', caBundleKey: 'ca crt' }) } },
      /backup.repository.caBundleKey must be a ConfigMap key, got "ca crt"/,
    ],
    [
      'repo path',
      { backup: { repository: BackupRepository.s3({ bucket: 'ok-b', region: 'eu-west-1', path: 'relative' }) } },
      /backup.repository.path must be an absolute path/,
    ],
    [
      'volume repo size',
      { backup: { repository: BackupRepository.volume({ size: Size.mebibytes(100) }) } },
      /backup.repository.size must be at least 1Gi/,
    ],
    [
      'retention',
      { backup: { repository: BackupRepository.volume(), fullRetention: 0 } },
      /backup.fullRetention must be an integer of at least 1, got 0/,
    ],
    [
      'restore without backup',
      { onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP },
      /onEmptyPrimary must be RESTORE_FROM_BACKUP only together with backup.repository/,
    ],
    ['clone without source', { onEmptyPrimary: OnEmptyPrimary.CLONE }, /cloneFrom must be set when onEmptyPrimary is CLONE/],
    [
      'source without clone',
      { cloneFrom: { host: 'x', password: { secret: secret('s') } } },
      /cloneFrom must be unset unless onEmptyPrimary is CLONE, got "x"/,
    ],
    [
      'recovery target without restore',
      { recoveryTargetTime: '2025-01-01 00:00:00+00' },
      /recoveryTargetTime must be set only with onEmptyPrimary RESTORE_FROM_BACKUP/,
    ],
    [
      'bad recovery target',
      { backup: { repository: BackupRepository.volume() }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP, recoveryTargetTime: 'yesterday' },
      /recoveryTargetTime must be a time with seconds and a UTC offset, such as 2025-01-31 12:00:00\+00 or 2025-01-31T12:00:00.5Z \(at most 6 fraction digits\), got "yesterday"/,
    ],
    ...['2026-12-02 07:17', '2026-12-02 07:17:56', '2026-12-02 07:17:56.1234567Z', '2026-12-02 07:17:56 UTC', '2026-02-30 07:17:56Z'].map(
      (t): [string, Partial<StatefulPostgresProps>, RegExp] => [
        `recovery target ${t}`,
        { backup: { repository: BackupRepository.volume() }, onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP, recoveryTargetTime: t },
        new RegExp(`recoveryTargetTime must be a time with seconds and a UTC offset.*, got "${t.replace(/[.+]/g, '\\$&')}"`),
      ],
    ),
    [
      'clone source name',
      { onEmptyPrimary: OnEmptyPrimary.CLONE, cloneFrom: { host: 'x', clusterName: 'Old_DB', password: { secret: secret('s') } } },
      /cloneFrom.clusterName must be a DNS label of at most 30 characters, got "Old_DB"/,
    ],
    [
      'restore source without restore',
      { restoreFrom: { repository: BackupRepository.volume(), clusterName: 'other' } },
      /restoreFrom must be set only with onEmptyPrimary RESTORE_FROM_BACKUP, got "other"/,
    ],
    [
      'restore source is the own repository (same S3 path)',
      {
        backup: { repository: BackupRepository.s3({ bucket: 'ok-b', region: 'eu-west-1', path: '/pgbackrest/orders' }) },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: BackupRepository.s3({ bucket: 'ok-b', region: 'eu-west-1' }), clusterName: 'orders' },
      },
      /restoreFrom must be another repository than backup.repository \(a restored cluster must never archive into its source\), got "s3:\/\/s3.eu-west-1.amazonaws.com\/ok-b\/pgbackrest\/orders"/,
    ],
    [
      'restore source is the own volume repository',
      {
        backup: { repository: BackupRepository.volume() },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: BackupRepository.volume(), clusterName: 'db' },
      },
      /restoreFrom must be another repository than backup.repository/,
    ],
    [
      'restore source fields',
      {
        backup: { repository: BackupRepository.volume() },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        restoreFrom: { repository: BackupRepository.s3({ bucket: 'B', region: 'eu-west-1' }), clusterName: 'Orders', stanza: 'a b' },
      },
      /restoreFrom.clusterName must be a DNS label of at most 30 characters, got "Orders"[\s\S]*restoreFrom.stanza must be a pgBackRest stanza name, got "a b"[\s\S]*restoreFrom.repository.bucket must be an S3 bucket name, got "B"/,
    ],
    ['ha with one instance', { highAvailability: {} }, /replicas must be at least 2 with highAvailability/],
    ['ha with image', { replicas: 2, highAvailability: {}, image: 'postgres:15.10' }, /image must be unset with highAvailability/],
    [
      'ha with fail',
      { replicas: 2, highAvailability: {}, onEmptyPrimary: OnEmptyPrimary.FAIL },
      /onEmptyPrimary must be INITIALIZE with highAvailability/,
    ],
    [
      'ha ttl',
      { replicas: 2, highAvailability: { ttl: Duration.seconds(5) } },
      /highAvailability.ttl must be a whole number of seconds from 20 to 600, got "5 seconds"/,
    ],
    ['client namespace', { clientNamespaces: ['Web'] }, /clientNamespaces\[0\] must be a namespace name, got "Web"/],
    ['logical retention', { logicalBackup: { retentionDays: 0 } }, /logicalBackup.retentionDays must be an integer from 1 to 3650, got 0/],
    ['logical database', { logicalBackup: { databases: ['A B'] } }, /logicalBackup.databases\[0\] must be a database name/],
  ])('%s', (_what, props, message) => {
    expect(() => make(props)).toThrow(message);
  });

  test('every problem is listed at once', () => {
    expect(() => make({ replicas: 0, storage: Size.mebibytes(1), maxConnections: 1 })).toThrow(
      /\[test\/db\] 3 invalid props:\n {2}- replicas .*\n {2}- storage .*\n {2}- maxConnections /,
    );
  });

  test('connectionEnv refuses undeclared databases and users, and read-only without replicas', () => {
    const db = make({
      users: [{ name: 'app', password: { secret: secret('s') } }],
      databases: [{ name: 'shop', owner: 'app' }, { name: 'ownerless' }],
    });
    expect(() => db.connectionEnv('nope')).toThrow(/\[test\/db\] connectionEnv\(database\) must be a declared database, got "nope"/);
    expect(() => db.connectionEnv('ownerless')).toThrow(
      /connectionEnv\(options.user\) must be a declared user \(database ownerless has no owner user\)/,
    );
    expect(() => db.connectionEnv('shop', { user: 'postgres' })).toThrow(/connectionEnv\(options.user\) must be a declared user, got "postgres"/);
    expect(() => db.connectionEnv('shop', { readOnly: true })).toThrow(/connectionEnv\(options.readOnly\) must be false with a single instance/);
  });
});

describe('property: random props give valid manifests or our error, never a crash', () => {
  const arbProps = fc.record(
    {
      replicas: fc.integer({ min: -1, max: 5 }),
      synchronousReplicas: fc.integer({ min: -1, max: 4 }),
      memoryMiB: fc.integer({ min: 64, max: 65536 }),
      storageGiB: fc.integer({ min: 0, max: 2000 }),
      cpuMillis: fc.integer({ min: 1, max: 16000 }),
      maxConnections: fc.integer({ min: 1, max: 20000 }),
      version: fc.constantFrom(13, 14, 15, 16, 17),
      pooler: fc.boolean(),
      poolSize: fc.integer({ min: 0, max: 300 }),
      backup: fc.constantFrom('none', 'volume', 's3'),
      ha: fc.boolean(),
      parameter: fc.constantFrom('work_mem', 'shared_buffers', 'bogus_param', 'port', 'pg_stat_statements.track', 'TimeZone'),
      dbName: fc.stringMatching(/^[a-zA-Z_][a-z0-9_-]{0,8}$/),
      metrics: fc.boolean(),
      onEmpty: fc.constantFrom(OnEmptyPrimary.INITIALIZE, OnEmptyPrimary.FAIL, OnEmptyPrimary.RESTORE_FROM_BACKUP),
    },
    { requiredKeys: [] },
  );

  test('synthesizes schema-valid objects or throws a prop error', () => {
    fc.assert(
      fc.property(arbProps, (p) => {
        const chart = Testing.chart();
        const props: StatefulPostgresProps = {
          superuserSecret: superuser(chart),
          replicas: p.replicas,
          synchronousReplicas: p.synchronousReplicas,
          memory: p.memoryMiB !== undefined ? Size.mebibytes(p.memoryMiB) : undefined,
          storage: p.storageGiB !== undefined ? Size.gibibytes(p.storageGiB) : undefined,
          cpu: p.cpuMillis !== undefined ? kplus.Cpu.millis(p.cpuMillis) : undefined,
          maxConnections: p.maxConnections,
          version: p.version,
          pooler: p.pooler ? { defaultPoolSize: p.poolSize } : undefined,
          backup:
            p.backup === 'volume'
              ? { repository: BackupRepository.volume() }
              : p.backup === 's3'
                ? { repository: BackupRepository.s3({ bucket: 'bucket-1', region: 'eu-west-1' }) }
                : undefined,
          highAvailability: p.ha ? {} : undefined,
          parameters: p.parameter ? { [p.parameter]: '8MB' } : undefined,
          databases: p.dbName ? [{ name: p.dbName }] : undefined,
          metrics: p.metrics === undefined ? undefined : { enabled: p.metrics },
          onEmptyPrimary: p.onEmpty,
        };
        let db: StatefulPostgres;
        try {
          db = new StatefulPostgres(chart, 'db', props);
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).message).toMatch(/^\[test\/db\] (\d+ invalid props:\n {2}- )?[a-zA-Z_.[\]0-9]+ must be /);
          return;
        }
        const objects = Testing.synth(chart);
        assertValidManifests(objects, 'property');
        // shared_buffers is always a quarter of the memory limit unless overridden
        const shared = /^shared_buffers = '(\d+)(MB|GB)'/m.exec(db.postgresqlConf);
        if (p.parameter !== 'shared_buffers' && !p.ha) {
          expect(shared).not.toBeNull();
          expect(Number(shared![1]) * (shared![2] === 'GB' ? 1024 : 1)).toBe(Math.floor((p.memoryMiB ?? 1024) / 4));
        }
      }),
      { numRuns: 60 },
    );
  });
});
