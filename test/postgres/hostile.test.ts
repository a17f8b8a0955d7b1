/**
 * Hostile input (issue 13) for StatefulPostgres: every class a user can pass through the typed API
 * is refused when the construct is built, with the construct path, the prop, the rule and the
 * value; never an object the API server refuses, a setting PostgreSQL refuses at start, a GRANT
 * that fails in the users job, or an error from cdk8s without our context.
 */
import { Chart, Cron, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { BackupRepository, OnEmptyPrimary, StatefulPostgres, StatefulPostgresProps } from '../../src';
import { predefinedRoles } from '../../src/postgres/predefined-roles';
import { superuser } from './fixtures';
import { thrownMessage } from '../support/thrown';

type PropsIn = (chart: Chart) => Partial<StatefulPostgresProps>;

function build(props: PropsIn): { chart: Chart; db: StatefulPostgres } {
  const chart = Testing.chart();
  const db = new StatefulPostgres(chart, 'db', { superuserSecret: superuser(chart), ...props(chart) });
  return { chart, db };
}

/** The message the constructor throws (or '' when it accepts the props). */
function errorOf(props: PropsIn): string {
  return thrownMessage(() => build(props));
}

const password = (chart: Chart, name: string) => ({ secret: kplus.Secret.fromSecretName(chart, `Pw-${name}`, name) });
const user = (chart: Chart, extra: object = {}) => ({ users: [{ name: 'app', password: password(chart, 'app'), ...extra }] });
const EFFECTIVE_CACHE = 'three quarters of it become effective_cache_size, which PostgreSQL holds up to 2147483647 pages of 8kB';
const SLOT_KEEP = 'the largest claim the API server reads without a fractional-byte warning; a fifth of it becomes max_slot_wal_keep_size';

describe('integers past their field range', () => {
  test.each<[string, PropsIn, string]>([
    ['replicas 2**31', () => ({ replicas: 2 ** 31 }), 'replicas must be an integer from 1 to 16, got 2147483648'],
    [
      'connectionLimit 3e9',
      (chart) => user(chart, { connectionLimit: 3e9 }),
      "users[0].connectionLimit must be an integer from -1 to 2147483647 (PostgreSQL's CONNECTION LIMIT is an int4), got 3000000000",
    ],
    ['maxConnections 3e9', () => ({ maxConnections: 3e9 }), 'maxConnections must be an integer from 10 to 10000, got 3000000000'],
    ['pooler.replicas 2**31', () => ({ pooler: { replicas: 2 ** 31 } }), 'pooler.replicas must be an integer from 1 to 50, got 2147483648'],
    [
      'highAvailability.runAsUser 2**31, named as given',
      () => ({ replicas: 2, highAvailability: { runAsUser: 2 ** 31 } }),
      'highAvailability.runAsUser must be a non-zero uid/gid, got 2147483648',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/db] ${message}`);
  });

  test('the largest connection limit is accepted', () => {
    expect(errorOf((chart) => user(chart, { connectionLimit: 2 ** 31 - 1 }))).toBe('');
  });
});

describe('quantities that are not quantities, and derived settings past PostgreSQL integer range', () => {
  test.each<[string, PropsIn, string]>([
    ['storage of 1e30 GiB', () => ({ storage: Size.gibibytes(1e30) }), `storage must be at most 8796093022Mi (${SLOT_KEEP}), got "1e+30Gi"`],
    ['storage of 20 PiB', () => ({ storage: Size.pebibyte(20) }), `storage must be at most 8796093022Mi (${SLOT_KEEP}), got "20Pi"`],
    ['memory of 1e30 GiB', () => ({ memory: Size.gibibytes(1e30) }), `memory must be at most 22369621Mi (${EFFECTIVE_CACHE}), got "1e+30Gi"`],
    ['memory of 64 TiB', () => ({ memory: Size.tebibytes(64) }), `memory must be at most 22369621Mi (${EFFECTIVE_CACHE}), got "64Ti"`],
    [
      'a pooler memory of 1e30 GiB',
      () => ({ pooler: { memory: Size.gibibytes(1e30) } }),
      'pooler.memory must be at most 8796093022Mi (larger sizes are not Kubernetes quantities), got "1e+30Gi"',
    ],
    [
      'a logical backup claim of 1e30 GiB',
      () => ({ logicalBackup: { storage: Size.gibibytes(1e30) } }),
      'logicalBackup.storage must be at most 8796093022Mi (larger sizes are not Kubernetes quantities), got "1e+30Gi"',
    ],
    [
      'a backup volume of 1e30 GiB',
      () => ({ backup: { repository: BackupRepository.volume({ size: Size.gibibytes(1e30) }) } }),
      'backup.repository.size must be at least 1Gi, at most 9007199254740Ki and a whole number of MiB, got "1e+30Gi"',
    ],
    [
      'a NaN memory',
      () => ({ memory: Size.mebibytes(NaN) }),
      'memory must be a memory limit of at least 256Mi and a whole number of MiB (settings are derived from it), got "NaNMi"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/db] ${message}`);
  });

  test('the largest memory and storage give derived settings within PostgreSQL integer ranges', () => {
    const { chart } = build(() => ({ memory: Size.mebibytes(22369621), storage: Size.mebibytes(8796093022) }));
    const conf = Testing.synth(chart).find((o) => o.kind === 'ConfigMap' && o.data?.['postgresql.conf'] !== undefined)!.data[
      'postgresql.conf'
    ] as string;
    const setting = (name: string) => new RegExp(`^${name} = '([0-9]+)(kB|MB|GB)'$`, 'm').exec(conf);
    const inUnit = (name: string, unitKiB: number) => {
      const m = setting(name)!;
      return (Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 * 1024 }[m[2] as 'kB']!) / unitKiB;
    };
    // PostgreSQL's units: effective_cache_size and shared_buffers in 8kB pages, max_slot_wal_keep_size in MB
    expect(inUnit('effective_cache_size', 8)).toBeLessThanOrEqual(2147483647);
    expect(inUnit('shared_buffers', 8)).toBeLessThanOrEqual(1073741823);
    expect(inUnit('max_slot_wal_keep_size', 1024)).toBeLessThanOrEqual(2147483647);
    expect(inUnit('work_mem', 1)).toBeLessThanOrEqual(2147483647);
  });
});

describe('names copied without a check', () => {
  test.each<[string, PropsIn, string]>([
    [
      "storageClassName 'Fast SSD'",
      () => ({ storageClassName: 'Fast SSD' }),
      'storageClassName must be a StorageClass name (DNS-1123 subdomain), got "Fast SSD"',
    ],
    [
      "the logical backup's storageClassName",
      () => ({ logicalBackup: { storageClassName: 'Fast SSD' } }),
      'logicalBackup.storageClassName must be a StorageClass name (DNS-1123 subdomain), got "Fast SSD"',
    ],
    [
      "the backup volume's storageClassName",
      () => ({ backup: { repository: BackupRepository.volume({ storageClassName: 'Fast SSD' }) } }),
      'backup.repository.storageClassName must be a DNS-1123 subdomain, got "Fast SSD"',
    ],
    [
      'a TLS Secret named like no Secret',
      (chart) => ({ tls: { secret: kplus.Secret.fromSecretName(chart, 'Tls', 'db\u0000tls') } }),
      'tls.secret must be a Secret name (DNS-1123 subdomain), got "db\\u0000tls"',
    ],
    [
      'S3 credentials named like no Secret',
      (chart) => ({
        backup: {
          repository: BackupRepository.s3({
            bucket: 'db-backups',
            region: 'eu-west-1',
            credentials: kplus.Secret.fromSecretName(chart, 'S3', 'S3 Keys'),
          }),
        },
      }),
      'backup.repository.credentials must be a Secret name (DNS-1123 subdomain), got "S3 Keys"',
    ],
    [
      'an S3 endpoint with port 99999',
      () => ({ backup: { repository: BackupRepository.s3({ bucket: 'db-backups', region: 'eu-west-1', endpoint: 'minio.example.com:99999' }) } }),
      'backup.repository.endpoint must be a host name with an optional port from 1 to 65535 (no scheme), got "minio.example.com:99999"',
    ],
    [
      'an S3 endpoint that is no host name',
      () => ({ backup: { repository: BackupRepository.s3({ bucket: 'db-backups', region: 'eu-west-1', endpoint: '-minio..example:9000' }) } }),
      'backup.repository.endpoint must be a host name with an optional port from 1 to 65535 (no scheme), got "-minio..example:9000"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/db] ${message}`);
  });

  test.each<[string, number, string]>([
    ['an unknown pg_ role', 15, 'pg_bogus_role'],
    ['a role PostgreSQL 14 does not have yet', 14, 'pg_checkpoint'],
    ['a role PostgreSQL 15 does not have yet', 15, 'pg_maintain'],
    ['a role that is neither declared nor predefined', 15, 'reporting'],
  ])('memberOf %s', (_, version, role) => {
    expect(errorOf((chart) => ({ version, ...user(chart, { memberOf: [role] }) }))).toBe(
      `[test/db] users[0].memberOf[0] must be another declared user or a predefined role of PostgreSQL ${version} (${predefinedRoles(version).join(', ')}), got "${role}"`,
    );
  });

  test('memberOf a predefined role of the version, or a declared user, is accepted', () => {
    expect(errorOf((chart) => ({ version: 17, ...user(chart, { memberOf: ['pg_maintain', 'pg_read_all_data'] }) }))).toBe('');
    expect(
      errorOf((chart) => ({
        users: [
          { name: 'readers', password: password(chart, 'readers'), login: false },
          { name: 'app', password: password(chart, 'app'), memberOf: ['readers', 'pg_checkpoint'] },
        ],
      })),
    ).toBe('');
  });
});

describe('schedules the CronJob controller refuses', () => {
  test.each<[string, PropsIn, string]>([
    [
      'backup.schedule',
      () => ({ backup: { repository: BackupRepository.volume(), schedule: Cron.schedule({ minute: '99' }) } }),
      'minute 99 is above 59',
    ],
    [
      'backup.differentialSchedule',
      () => ({ backup: { repository: BackupRepository.volume(), differentialSchedule: Cron.schedule({ minute: '*/0' }) } }),
      'minute step in "*/0" must be positive',
    ],
    ['logicalBackup.schedule', () => ({ logicalBackup: { schedule: Cron.schedule({ minute: '0', hour: '24' }) } }), 'hour 24 is above 23'],
  ])('%s', (prop, props, reason) => {
    expect(errorOf(props)).toMatch(
      new RegExp(
        `^\\[test/db\\] ${prop.replace('.', '\\.')} must be a cron schedule the CronJob controller accepts \\(${reason.replace(/[*/()]/g, '\\$&')}\\), got "`,
      ),
    );
  });
});

describe('dates', () => {
  test("recoveryTargetTime '2025-13-45 25:61:61' is refused", () => {
    expect(
      errorOf(() => ({
        backup: { repository: BackupRepository.volume() },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        recoveryTargetTime: '2025-13-45 25:61:61',
      })),
    ).toMatch(/^\[test\/db\] recoveryTargetTime must be a time with seconds and a UTC offset, .*, got "2025-13-45 25:61:61"$/);
  });
});

describe('Durations that are not whole seconds, checked by us before cdk8s converts them', () => {
  test.each<[string, PropsIn, string]>([
    [
      'highAvailability.ttl',
      () => ({ replicas: 2, highAvailability: { ttl: Duration.millis(20500) } }),
      'highAvailability.ttl must be a whole number of seconds from 20 to 600, got "20500 millis"',
    ],
    [
      'terminationGracePeriod',
      () => ({ terminationGracePeriod: Duration.millis(30500) }),
      'terminationGracePeriod must be a whole number of seconds from 0 to 2147483647, got "30500 millis"',
    ],
    [
      'a NaN ttl',
      () => ({ replicas: 2, highAvailability: { ttl: Duration.seconds(NaN) } }),
      'highAvailability.ttl must be a whole number of seconds from 20 to 600, got "NaN seconds"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/db] ${message}`);
  });
});

describe('NUL bytes, anywhere', () => {
  test.each<[string, PropsIn, RegExp]>([
    [
      'in a parameter value',
      () => ({ parameters: { work_mem: '4MB\u0000' } }),
      /^\[test\/db\] parameters\.work_mem must be a single-line string, got "4MB\\u0000"$/,
    ],
    [
      'in a database name',
      () => ({ databases: [{ name: 'app\u0000' }] }),
      /^\[test\/db\] databases\[0\]\.name must be a lowercase SQL name .*, got "app\\u0000"$/,
    ],
    [
      'in an extension',
      () => ({ databases: [{ name: 'app', extensions: ['pgcrypto\u0000'] }] }),
      /databases\[0\]\.extensions\[0\] must be an extension name \(\[a-z_\]\[a-z0-9_-\]\*, at most 63 characters\), got "pgcrypto\\u0000"$/,
    ],
    [
      'in a user name',
      (chart) => ({ users: [{ name: 'app\u0000', password: password(chart, 'app') }] }),
      /users\[0\]\.name must be a lowercase SQL name .*, got "app\\u0000"$/,
    ],
    ['in a client namespace', () => ({ clientNamespaces: ['shop\u0000'] }), /clientNamespaces\[0\] must be a namespace name, got "shop\\u0000"$/],
    [
      'in a pod annotation',
      () => ({ podAnnotations: { 'example.com/owner': 'dba\u0000' } }),
      /podAnnotations\["example\.com\/owner"\] must be a value without NUL bytes, got "dba\\u0000"$/,
    ],
    [
      'in an S3 path',
      () => ({ backup: { repository: BackupRepository.s3({ bucket: 'db-backups', region: 'eu-west-1', path: '/db\u0000' }) } }),
      /backup\.repository\.path must be an absolute path, got "\/db\\u0000"$/,
    ],
    [
      'in a recovery target time',
      () => ({
        backup: { repository: BackupRepository.volume() },
        onEmptyPrimary: OnEmptyPrimary.RESTORE_FROM_BACKUP,
        recoveryTargetTime: '2025-01-31 12:00:00+00\u0000',
      }),
      /recoveryTargetTime must be a time with seconds and a UTC offset, .*, got "2025-01-31 12:00:00\+00\\u0000"$/,
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toMatch(message);
  });
});

describe('errors from below, never without our context', () => {
  test.each<[string, PropsIn, string]>([
    [
      'a pooler memory that is not whole MiB',
      () => ({ pooler: { memory: Size.kibibytes(1.5) } }),
      'pooler.memory must be at least 32Mi and a whole number of MiB, got "1.5Ki"',
    ],
    [
      'a fractional pooler cpu',
      () => ({ pooler: { cpu: kplus.Cpu.millis(0.5) } }),
      'pooler.cpu must be at least 10 millicores, whole millicores, got "0.5m"',
    ],
    [
      'a logical backup claim that is not whole MiB',
      () => ({ logicalBackup: { storage: Size.kibibytes(1.5) } }),
      'logicalBackup.storage must be at least 1Gi and a whole number of MiB, got "1.5Ki"',
    ],
    [
      'a parameter key with a line break, quoted',
      () => ({ parameters: { 'line\nbreak': 'on' } }),
      'parameters["line\\nbreak"] must be a PostgreSQL 15 parameter name, got "line\\nbreak"',
    ],
  ])('%s', (_, props, message) => {
    expect(errorOf(props)).toBe(`[test/db] ${message}`);
  });
});
