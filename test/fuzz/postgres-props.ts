/**
 * The StatefulPostgres props arbitrary of the fuzzer (`postgres.fuzz.test.ts`). Every prop of
 * `StatefulPostgresProps` has an arbitrary here (the record type requires one per key, so a new
 * prop fails to compile until it is fuzzed). Secrets and ConfigMaps are made in the chart by
 * `buildPostgres`, from names.
 */
import { Chart, Cron, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  BackupRepository,
  DatabaseAccess,
  OnEmptyPrimary,
  PasswordSecret,
  PoolMode,
  PostgresBackupOptions,
  PostgresRestoreSource,
  StatefulPostgres,
  StatefulPostgresProps,
} from '../../src';
import { extraVolumes, FuzzedVolume } from './extra-volumes';
import { predefinedRoles } from '../../src/postgres/predefined-roles';
import { gibibytes, hostileSize, hostileString, int, mebibytes, mostly, podOptions, seconds, text } from './hostile';

/** A password Secret by name (made in the chart). */
interface FuzzedPassword {
  readonly secret: string;
  readonly key?: string;
}

interface FuzzedRepository {
  readonly s3?: {
    readonly bucket: string;
    readonly region: string;
    readonly endpoint?: string;
    readonly path?: string;
    readonly credentials?: string;
  };
  readonly volume?: { readonly size?: Size; readonly storageClassName?: string };
}

type Replace<T, R> = Omit<T, keyof R> & R;

type FuzzedUser = Replace<NonNullable<StatefulPostgresProps['users']>[number], { readonly password: FuzzedPassword }>;

/** The props with Secrets, ConfigMaps and repositories described by data. */
export type FuzzedPostgresProps = Replace<
  StatefulPostgresProps,
  {
    readonly superuserSecret: string;
    readonly replicationPassword?: FuzzedPassword;
    readonly users?: FuzzedUser[];
    readonly pooler?: Replace<NonNullable<StatefulPostgresProps['pooler']>, { readonly authPassword?: FuzzedPassword }>;
    readonly metrics?: Replace<NonNullable<StatefulPostgresProps['metrics']>, { readonly password?: FuzzedPassword }>;
    readonly backup?: Replace<PostgresBackupOptions, { readonly repository: FuzzedRepository; readonly encryptionKey?: FuzzedPassword }>;
    readonly cloneFrom?: Replace<NonNullable<StatefulPostgresProps['cloneFrom']>, { readonly password: FuzzedPassword }>;
    readonly restoreFrom?: Replace<PostgresRestoreSource, { readonly repository: FuzzedRepository; readonly encryptionKey?: FuzzedPassword }>;
    readonly tls?: Replace<NonNullable<StatefulPostgresProps['tls']>, { readonly secret: string }>;
    readonly volumes?: FuzzedVolume[];
  }
>;

type Arbitraries<T> = { readonly [K in keyof Required<T>]: fc.Arbitrary<T[K]> };

/** At least the 10 millicores StatefulPostgres requires, or a hostile CPU. */
const cpu = mostly(
  fc.integer({ min: 10, max: 4000 }).map((m) => kplus.Cpu.millis(m)),
  fc.constantFrom(kplus.Cpu.millis(NaN), kplus.Cpu.millis(0.5), kplus.Cpu.units(1e22), kplus.Cpu.millis(1e20), kplus.Cpu.millis(5)),
);
const rarely = <T>(value: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: value, weight: 1 });
const secretName = text('orders-db-superuser', 'orders-db-app', 'orders-db-backup');
const passwordArb: fc.Arbitrary<FuzzedPassword> = fc.record({ secret: secretName, key: text('password', 'pw') }, { requiredKeys: ['secret'] });
const USERS = ['app', 'reporting', 'etl'];
const DATABASES = ['orders', 'analytics'];
const sqlName = (...names: string[]) => text(...names);
const image = text('postgres:15.6', `ghcr.io/acme/postgres@sha256:${'a'.repeat(64)}`);

/** Storage, memory: whole GiB mostly, sometimes hostile, sometimes huge (past what derived settings hold). */
const large = (min: number, max: number) =>
  mostly(gibibytes(min, max), fc.oneof(hostileSize, fc.constantFrom(Size.tebibytes(64), Size.pebibyte(20), Size.mebibytes(512))), 30);

const userArb: fc.Arbitrary<FuzzedUser> = fc.record(
  {
    name: sqlName(...USERS),
    password: passwordArb,
    login: fc.boolean(),
    connectionLimit: mostly(fc.integer({ min: -1, max: 1000 }), fc.constantFrom(-2, 3e9, 2 ** 31, NaN, 0.5)),
    createDatabases: fc.boolean(),
    grants: fc.array(
      fc.record({
        database: sqlName(...DATABASES),
        access: mostly(fc.constantFrom(...Object.values(DatabaseAccess)), fc.constant('all' as DatabaseAccess)),
      }),
      { maxLength: 2 },
    ),
    memberOf: fc.subarray(['pg_read_all_data', 'pg_monitor', 'pg_checkpoint', 'pg_maintain', 'pg_bogus_role', ...USERS], { maxLength: 2 }),
  },
  { requiredKeys: ['name', 'password'] },
);

const repository: fc.Arbitrary<FuzzedRepository> = fc.oneof(
  fc.record({
    s3: fc.record(
      {
        bucket: text('orders-db-backups'),
        region: text('eu-west-1', 'us-east-2'),
        endpoint: text('minio.backup.svc:9000', 'minio.example.com', 'minio.example.com:99999'),
        path: text('/pgbackrest/orders', '/db'),
        credentials: text('orders-db-s3'),
      },
      { requiredKeys: ['bucket', 'region'] },
    ),
  }),
  fc.record({ volume: fc.record({ size: large(1, 200), storageClassName: text('fast-ssd', 'standard') }, { requiredKeys: [] }) }),
);

const cron = mostly(
  fc.constantFrom(Cron.daily(), Cron.hourly(), Cron.schedule({ minute: '30', hour: '2' })),
  fc.constantFrom(Cron.schedule({ minute: '99' }), Cron.schedule({ minute: '*/0' }), Cron.schedule({ hour: '24' })),
  20,
);

const fields: Arbitraries<FuzzedPostgresProps> = {
  name: text('orders-db', 'analytics'),
  version: mostly(fc.constantFrom(14, 15, 16, 17), fc.constantFrom(12, 18, NaN)),
  image,
  imagePullPolicy: mostly(fc.constantFrom(...Object.values(kplus.ImagePullPolicy)), fc.constant('Daily' as kplus.ImagePullPolicy)),
  replicas: int(1, 4),
  synchronousReplicas: rarely(int(0, 2)),
  highAvailability: rarely(
    fc.record(
      { image: rarely(image), ttl: seconds(20, 600), runAsUser: rarely(int(1, 70000)), runAsGroup: rarely(int(1, 70000)) },
      { requiredKeys: [] },
    ),
  ),
  storage: large(1, 500),
  storageClassName: text('fast-ssd', 'standard', 'ebs.csi.aws.com'),
  memory: large(1, 64),
  cpu,
  cpuLimit: rarely(cpu),
  maxConnections: int(10, 500),
  parameters: fc.dictionary(
    mostly(
      fc.constantFrom('work_mem', 'log_min_duration_statement', 'random_page_cost'),
      fc.oneof(fc.constantFrom('Archive_Command', 'SSL', 'no_such_setting'), hostileString),
    ),
    mostly(fc.constantFrom('64MB', '250ms', '1.1'), hostileString),
    { maxKeys: 2 },
  ),
  superuserSecret: secretName,
  superuserSecretKey: text('password'),
  replicationPassword: passwordArb,
  users: mostly(fc.uniqueArray(userArb, { selector: (u) => u.name, maxLength: 3 }), fc.array(userArb, { maxLength: 3 }), 20),
  databases: fc.uniqueArray(
    fc.record(
      { name: sqlName(...DATABASES), owner: rarely(sqlName(...USERS)), extensions: fc.subarray(['pgcrypto', 'pg_trgm', 'hstore']) },
      { requiredKeys: ['name'] },
    ),
    { selector: (d) => d.name, maxLength: 2 },
  ),
  pooler: rarely(
    fc.record(
      {
        replicas: int(1, 5),
        poolMode: fc.constantFrom(...Object.values(PoolMode)),
        maxClientConnections: int(1, 5000),
        defaultPoolSize: int(1, 9),
        maxPreparedStatements: int(0, 500),
        authPassword: passwordArb,
        image: rarely(text('ghcr.io/acme/pgbouncer:1.22.1')),
        cpu,
        memory: mebibytes(32, 1024),
      },
      { requiredKeys: [] },
    ),
  ),
  metrics: fc.record(
    { enabled: fc.boolean(), password: passwordArb, image: rarely(text('quay.io/prometheuscommunity/postgres-exporter:v0.15.0')) },
    { requiredKeys: [] },
  ),
  backup: rarely(
    fc.record(
      {
        repository,
        schedule: cron,
        differentialSchedule: cron,
        fullRetention: int(1, 30),
        encryptionKey: passwordArb,
        image: rarely(text('ghcr.io/acme/pgbackrest:2.51')),
        kubectlImage: rarely(text('bitnami/kubectl:1.29.3')),
      },
      { requiredKeys: ['repository'] },
    ),
  ),
  logicalBackup: rarely(
    fc.record(
      {
        schedule: cron,
        storage: large(1, 100),
        storageClassName: text('standard', 'Fast SSD'),
        retentionDays: int(1, 3650),
        databases: fc.subarray(DATABASES),
      },
      { requiredKeys: [] },
    ),
  ),
  onEmptyPrimary: rarely(fc.constantFrom(...Object.values(OnEmptyPrimary))),
  cloneFrom: rarely(
    fc.record(
      {
        host: text('orders-db-rw.shop.svc', 'db.example.com'),
        port: int(1, 65535),
        user: rarely(sqlName('replicator')),
        password: passwordArb,
        clusterName: rarely(text('orders-db')),
      },
      { requiredKeys: ['host', 'password'] },
    ),
  ),
  restoreFrom: rarely(
    fc.record(
      { repository, clusterName: text('orders-db-old'), stanza: rarely(text('db')), encryptionKey: rarely(passwordArb) },
      { requiredKeys: ['repository', 'clusterName'] },
    ),
  ),
  recoveryTargetTime: rarely(
    mostly(
      fc.constantFrom('2025-01-31 12:00:00+00', '2025-06-30T23:59:59.5Z'),
      fc.oneof(fc.constantFrom('2025-13-45 25:61:61', 'yesterday'), hostileString),
    ),
  ),
  tls: rarely(
    fc.record(
      {
        secret: text('orders-db-tls'),
        require: fc.boolean(),
        serverNames: fc.subarray(['orders-db-rw', 'orders-db-pooler.shop.svc']),
        verifyServer: fc.boolean(),
      },
      { requiredKeys: ['secret'] },
    ),
  ),
  networkPolicy: fc.boolean(),
  clientNamespaces: fc.array(text('shop', 'batch'), { maxLength: 2 }),
  runAsUser: rarely(int(1, 70000)),
  runAsGroup: rarely(int(1, 70000)),
  terminationGracePeriod: seconds(30, 600),
  ...podOptions(text('orders-db', 'system-cluster-critical')),
  volumes: fc.uniqueArray(
    fc.record(
      {
        name: text('certs', 'scripts'),
        kind: fc.constantFrom<FuzzedVolume['kind']>('secret', 'configMap'),
        objectName: text('orders-db-certs'),
        mountPath: text('/etc/extra-certs', '/opt/scripts'),
        readOnly: fc.boolean(),
      },
      { requiredKeys: ['name', 'kind', 'objectName', 'mountPath'] },
    ),
    { maxLength: 1 },
  ),
};

/**
 * The props made consistent across fields (grants, owners and memberships name declared objects,
 * the bootstrap props match onEmptyPrimary, highAvailability has its replicas and no image), so
 * that most runs reach synthesis; the hostile values inside single props stay.
 */
function coherent(p: FuzzedPostgresProps): FuzzedPostgresProps {
  const users = new Set((p.users ?? []).map((u) => u.name));
  const databases = new Set((p.databases ?? []).map((d) => d.name));
  const roles = new Set([...users, ...predefinedRoles(p.version ?? 15)]);
  const mode = p.cloneFrom
    ? OnEmptyPrimary.CLONE
    : p.restoreFrom && p.backup
      ? OnEmptyPrimary.RESTORE_FROM_BACKUP
      : p.onEmptyPrimary === OnEmptyPrimary.FAIL
        ? OnEmptyPrimary.FAIL
        : undefined;
  const ha = p.highAvailability !== undefined && mode === undefined;
  return {
    ...p,
    users: p.users?.map((u) => ({
      ...u,
      grants: u.grants?.filter((g) => databases.has(g.database)),
      memberOf: u.memberOf?.filter((m) => m !== u.name && roles.has(m)),
    })),
    databases: p.databases?.map((d) => ({ ...d, owner: d.owner !== undefined && users.has(d.owner) ? d.owner : undefined })),
    onEmptyPrimary: mode,
    restoreFrom: mode === OnEmptyPrimary.RESTORE_FROM_BACKUP ? p.restoreFrom : undefined,
    recoveryTargetTime: mode === OnEmptyPrimary.RESTORE_FROM_BACKUP ? p.recoveryTargetTime : undefined,
    highAvailability: ha ? p.highAvailability : undefined,
    image: ha ? undefined : p.image,
    replicas: ha ? Math.max(2, p.replicas ?? 2) : p.replicas,
    cpuLimit: undefined,
  };
}

/** Random StatefulPostgres props, mostly valid, with every hostile class mixed in. */
export const postgresProps: fc.Arbitrary<FuzzedPostgresProps> = fc
  .tuple(fc.record(fields, { requiredKeys: ['superuserSecret'] }), fc.nat(9))
  .map(([p, dice]) => (dice === 0 ? p : coherent(p)));

/** Constructs a StatefulPostgres from fuzzed props, making the Secrets and ConfigMaps in the chart. */
export function buildPostgres(chart: Chart, id: string, p: FuzzedPostgresProps): void {
  let n = 0;
  const secret = (name: string) => kplus.Secret.fromSecretName(chart, `Secret${n++}`, name);
  const pw = (x: FuzzedPassword | undefined): PasswordSecret | undefined => (x === undefined ? undefined : { secret: secret(x.secret), key: x.key });
  const repo = (r: FuzzedRepository): BackupRepository =>
    r.s3 !== undefined
      ? BackupRepository.s3({ ...r.s3, credentials: r.s3.credentials !== undefined ? secret(r.s3.credentials) : undefined })
      : BackupRepository.volume(r.volume);
  new StatefulPostgres(chart, id, {
    ...p,
    superuserSecret: secret(p.superuserSecret),
    replicationPassword: pw(p.replicationPassword),
    users: p.users?.map((u) => ({ ...u, password: pw(u.password)! })),
    pooler: p.pooler && { ...p.pooler, authPassword: pw(p.pooler.authPassword) },
    metrics: p.metrics && { ...p.metrics, password: pw(p.metrics.password) },
    backup: p.backup && { ...p.backup, repository: repo(p.backup.repository), encryptionKey: pw(p.backup.encryptionKey) },
    cloneFrom: p.cloneFrom && { ...p.cloneFrom, password: pw(p.cloneFrom.password)! },
    restoreFrom: p.restoreFrom && { ...p.restoreFrom, repository: repo(p.restoreFrom.repository), encryptionKey: pw(p.restoreFrom.encryptionKey) },
    tls: p.tls && { ...p.tls, secret: secret(p.tls.secret) },
    volumes: extraVolumes(chart, p.volumes),
  });
}
