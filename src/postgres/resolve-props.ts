/**
 * Every check and every default of `StatefulPostgresProps`, once. `resolveProps` lists all
 * problems at once, and returns a complete {@link ResolvedPostgres}: the construct, builders and
 * renderers never see a partial or invalid value and never write a default again.
 */
import { Chart, Cron, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { IConstruct } from 'constructs';
import { checkCronSchedule } from '../common/cron-schedule';
import { checkWholeSeconds } from '../common/duration-checks';
import { PropErrors } from '../common/errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, LABEL_PART_OF, LABEL_VERSION } from '../common/labels';
import { ResolvedPodOptions, resolvePodOptions } from '../common/resolve-pod-options';
import { imagePinProblem, isDnsLabel, isDnsSubdomain } from '../common/names';
import { cpuInMillis, cpuToQuantity, sizeInKibibytes, sizeToQuantity } from '../common/quantities';
import { describeSize, MAX_QUANTITY_KIB } from '../common/size-checks';
import { BackupRepository } from './backup-repository';
import {
  EXPORTER_IMAGE,
  POOLER_EXPORTER_IMAGE,
  KUBECTL_IMAGE,
  OFFICIAL_IMAGE_UID,
  patroniTooOld,
  PGBACKREST_IMAGE,
  PGBOUNCER_IMAGE,
  POSTGRES_IMAGES,
  SPILO_GID,
  SPILO_IMAGES,
  SPILO_UID,
} from './images';
import { CONFIG_DIR, DATA_MOUNT, SECRETS_DIR, SOCKET_DIR, SPOOL_DIR, STANZA } from './pod-parts';
import { CONSTRUCT_OWNED_PARAMETERS, isKnownParameter, tunedParameters } from './postgresql-conf';
import { ResolvedMonitoring, resolveMonitoring } from './monitoring';
import { DatabaseAccess, OnEmptyPrimary, PasswordSecret, PoolMode, StatefulPostgresProps } from './props';
import { parameterValueProblem } from './parameter-values';
import { predefinedRoles } from './predefined-roles';
import { normalizeRecoveryTargetTime, RECOVERY_TARGET_TIME_RULE } from './recovery-target';
import { isExtensionName, isSqlName } from './sql';

export const APP_NAME = 'postgresql';
export const SUPERUSER = 'postgres';
export const REPLICATION_USER = 'replicator';
export const METRICS_USER = 'postgres_exporter';
export const POOLER_USER = 'pgbouncer_auth';
export const PG_PORT = 5432;
export const POOLER_PORT = 6432;
export const METRICS_PORT = 9187;
/** The pgBouncer exporter's port, named `metrics` like postgres_exporter's. */
export const POOLER_METRICS_PORT = 9127;
export const PATRONI_PORT = 8008;
/** uid/gid of the containers whose image needs no particular account (pgBouncer, kubectl). */
export const TOOL_UID = 10001;
/** Where clients of `db.connection()` mount the CA of the instance `name`. */
export const clientCaDir = (name: string): string => `/etc/postgresql-ca/${name}`;

const RESERVED_ROLES = [SUPERUSER, REPLICATION_USER, METRICS_USER, POOLER_USER, 'public', 'current_user', 'session_user', 'current_role', 'none'];
const RESERVED_DATABASES = ['postgres', 'template0', 'template1'];
const MAX_NAME_LENGTH = 30;
/** PostgreSQL's largest integer setting (`INT_MAX`): pages, kB or MB depending on the setting. */
const PG_INT_MAX = 2147483647;
/**
 * The largest storage: a fifth of it becomes `max_slot_wal_keep_size`, in MB, which PostgreSQL
 * holds up to {@link PG_INT_MAX}.
 */
const MAX_STORAGE = {
  // a fifth of (PG_INT_MAX * 5 + 4) MiB would still fit max_slot_wal_keep_size, but the claim's
  // quantity reaches the API server's limit first
  maxKiB: Math.min((PG_INT_MAX * 5 + 4) * 1024, Math.floor(MAX_QUANTITY_KIB / 1024) * 1024),
  why: 'the largest claim the API server reads without a fractional-byte warning; a fifth of it becomes max_slot_wal_keep_size',
};
/**
 * The largest memory: three quarters of it become `effective_cache_size`, in 8kB pages, which
 * PostgreSQL holds up to {@link PG_INT_MAX} (shared_buffers, a quarter, stays below its own limit).
 */
const MAX_MEMORY = {
  // effective_cache_size = floor(memory MiB * 3 / 4) MB <= 2147483647 * 8kB, just under 16777216MB
  maxKiB: 22369621 * 1024,
  why: `three quarters of it become effective_cache_size, which PostgreSQL holds up to ${PG_INT_MAX} pages of 8kB`,
};

/** A key of a Secret. */
export interface SecretKey {
  readonly name: string;
  readonly key: string;
}

export interface ResolvedUser {
  readonly name: string;
  readonly login: boolean;
  readonly connectionLimit: number;
  readonly createDatabases: boolean;
  readonly memberOf: string[];
  readonly grants: { readonly database: string; readonly access: DatabaseAccess }[];
}

export interface ResolvedDatabase {
  readonly name: string;
  /** A declared user, or `postgres`. */
  readonly owner: string;
  /** The declared owner user; undefined when the superuser owns it. */
  readonly ownerUser?: string;
  readonly extensions: string[];
}

export interface ResolvedPooler {
  readonly replicas: number;
  readonly poolMode: PoolMode;
  readonly maxClientConnections: number;
  readonly defaultPoolSize: number;
  readonly reservePoolSize: number;
  readonly maxDbConnections: number;
  readonly maxPreparedStatements: number;
  readonly auth: SecretKey;
  readonly image: string;
  readonly cpu: string;
  readonly cpuLimit: string;
  readonly memory: string;
}

/** postgres_exporter on the members, the pgBouncer exporter on the pooler, the Prometheus Operator objects. */
export interface ResolvedMetrics {
  readonly image: string;
  readonly password: SecretKey;
  /** The pgBouncer exporter's image; undefined: the pooler runs no exporter. */
  readonly poolerImage?: string;
  readonly monitoring?: ResolvedMonitoring;
}

/** A pgBackRest repository as a pod uses it: this cluster's own, or the read-only source of a restore. */
export interface ResolvedRepository {
  readonly repository: BackupRepository;
  /** The cluster that writes it (default S3 path, volume claim). */
  readonly clusterName: string;
  readonly stanza: string;
  readonly encryptionKey?: SecretKey;
  /** Suffix of its volume names and mount paths: '' for the own repository. */
  readonly suffix: string;
  /** Mounted read-only (a restore source). */
  readonly readOnly: boolean;
  /** Its configuration file in the pgBackRest ConfigMap. */
  readonly configFile: string;
}

export interface ResolvedBackup {
  /** Where this cluster archives and backs up. */
  readonly own: ResolvedRepository;
  /** Another cluster's repository a restore reads (`restoreFrom`), never written. */
  readonly restoreSource?: ResolvedRepository;
  readonly schedule: Cron;
  readonly differentialSchedule?: Cron;
  readonly fullRetention: number;
  readonly image: string;
  readonly kubectlImage: string;
}

export interface ResolvedLogicalBackup {
  readonly schedule: Cron;
  readonly storage: string;
  readonly storageClassName?: string;
  readonly retentionDays: number;
  readonly databases: string[];
}

export interface ResolvedClone {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: SecretKey;
  /** The StatefulPostgres cloned, by name: `cloneFrom.clusterName`, or the `<name>-rw` Service in its host. */
  readonly sourceName?: string;
}

export interface ResolvedTls {
  readonly secretName: string;
  readonly require: boolean;
  readonly serverNames: string[];
  readonly verifyServer: boolean;
}

/** postgresql.conf in its three layers, last wins. */
export interface ResolvedSettings {
  /** Comment of the derived section. */
  readonly derivedTitle: string;
  readonly derived: Record<string, string>;
  readonly construct: Record<string, string>;
  /** `parameters`, names folded to lower case. */
  readonly parameters: Record<string, string>;
}

/** Every prop, checked and defaulted. */
export interface ResolvedPostgres {
  readonly name: string;
  readonly version: number;
  /** Namespace of the chart; undefined: wherever the manifests are applied. */
  readonly namespace?: string;
  /** Patroni's leader lease in seconds; undefined for a fixed primary. */
  readonly ha?: { readonly ttlSeconds: number };
  readonly replicas: number;
  readonly synchronousReplicas: number;
  /** The image of the members. */
  readonly image: string;
  /** The image the Jobs and the pooler's init container run (the official image with Patroni). */
  readonly clientImage: string;
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  readonly uid: number;
  readonly gid: number;
  readonly storage: string;
  readonly storageClassName?: string;
  readonly memory: string;
  /** Size of the memory-backed /dev/shm: a quarter of the memory, at least 256Mi. */
  readonly shmSize: string;
  readonly cpu: string;
  readonly cpuLimit: string;
  readonly maxConnections: number;
  readonly terminationGracePeriodSeconds: number;
  readonly pgdata: string;
  readonly settings: ResolvedSettings;
  readonly superuser: SecretKey;
  /** Password files of every role the users Job sets, internal roles first. */
  readonly passwordFiles: ReadonlyMap<string, SecretKey>;
  readonly replicationPassword?: SecretKey;
  readonly users: ResolvedUser[];
  readonly databases: ResolvedDatabase[];
  readonly pooler?: ResolvedPooler;
  readonly metrics?: ResolvedMetrics;
  readonly backup?: ResolvedBackup;
  readonly logicalBackup?: ResolvedLogicalBackup;
  readonly onEmptyPrimary: OnEmptyPrimary;
  readonly cloneFrom?: ResolvedClone;
  readonly recoveryTargetTime?: string;
  readonly tls?: ResolvedTls;
  readonly networkPolicy: boolean;
  readonly clientNamespaces: string[];
  readonly clientLabelKey: string;
  /** The shared pod options, for every pod; extra volumes go to the members' postgres container. */
  readonly podOptions: ResolvedPodOptions;
}

/** The label every member pod carries (the headless Service selects it). */
export const MEMBER_LABEL = 'postgresql.cdk8s-patterns.io/member';

/** Pod labels the construct or Patroni set, which `podLabels` may not. */
const OWNED_POD_LABELS = [
  LABEL_NAME,
  LABEL_INSTANCE,
  LABEL_COMPONENT,
  LABEL_VERSION,
  LABEL_PART_OF,
  LABEL_MANAGED_BY,
  MEMBER_LABEL,
  'role',
  'tmp_role',
  'cluster-name',
];

/** The label Patroni finds the members of its cluster by (`kubernetes.scope_label`). */
export const PATRONI_SCOPE_LABEL = 'cluster-name';

/**
 * Patroni's scope: it keeps its state in the ConfigMaps `<scope>-config`, `<scope>-leader`, ...,
 * so the scope must differ from the instance name, whose `<name>-config` is the construct's own.
 */
export const patroniScope = (r: ResolvedPostgres): string => `${r.name}-patroni`;
/** Pod annotations the construct sets. */
const OWNED_POD_ANNOTATIONS = ['checksum/config', 'prometheus.io/scrape', 'prometheus.io/port', 'prometheus.io/path'];
/** Every volume name a member pod may have. */
const MEMBER_VOLUMES = [
  'data',
  'config',
  'run',
  'tmp',
  'shm',
  'superuser-password',
  'replication-password',
  'metrics-password',
  'clone-password',
  'spool',
  'agent-tmp',
  'tls',
  'pgbackrest-config',
  'pgbackrest-repo',
  'pgbackrest-ca',
  'pgbackrest-repo-source',
  'pgbackrest-ca-source',
];
/** Every path the postgres container mounts something at. */
const MEMBER_MOUNT_PATHS = [
  DATA_MOUNT,
  CONFIG_DIR,
  SOCKET_DIR,
  '/tmp',
  '/dev/shm',
  SPOOL_DIR,
  ...['superuser', 'replication', 'tls'].map((d) => `${SECRETS_DIR}/${d}`),
];

const isInt = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** Checks `props` (every problem at once, prefixed with the construct path) and applies every default. */
export function resolveProps(scope: IConstruct, id: string, props: StatefulPostgresProps): ResolvedPostgres {
  const errors = new PropErrors(scope);

  const name = props.name ?? id;
  errors.check(
    isDnsLabel(name, MAX_NAME_LENGTH),
    props.name === undefined ? 'name (the construct id)' : 'name',
    `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
    name,
  );
  const version = props.version ?? 15;
  errors.check(POSTGRES_IMAGES[version] !== undefined, 'version', `one of ${Object.keys(POSTGRES_IMAGES).join(', ')}`, props.version);
  const ha = props.highAvailability !== undefined;
  const replicas = props.replicas ?? 1;
  errors.check(isInt(replicas, 1, 16), 'replicas', 'an integer from 1 to 16', props.replicas);
  const sync = props.synchronousReplicas ?? 0;
  errors.check(
    Number.isInteger(sync) && sync >= 0 && sync <= Math.max(0, replicas - 1),
    'synchronousReplicas',
    `an integer from 0 to replicas - 1 (${Math.max(0, replicas - 1)})`,
    props.synchronousReplicas,
  );
  if (ha) {
    errors.check(replicas >= 2, 'replicas', 'at least 2 with highAvailability (Patroni needs a replica to fail over to)', replicas);
  }

  const officialImage = POSTGRES_IMAGES[version] ?? POSTGRES_IMAGES[15];
  const image = (ha ? props.highAvailability?.image : props.image) ?? (ha ? SPILO_IMAGES[version] : POSTGRES_IMAGES[version]) ?? POSTGRES_IMAGES[15];
  checkImage(errors, ha ? 'highAvailability.image' : 'image', image);
  if (ha) {
    const tooOld = patroniTooOld(image);
    errors.check(tooOld === undefined, 'highAvailability.image', tooOld ?? '', image);
  }
  if (ha && props.image !== undefined) {
    errors.add('image', 'unset with highAvailability (set highAvailability.image)', props.image);
  }

  const uid = ha ? (props.highAvailability?.runAsUser ?? SPILO_UID) : (props.runAsUser ?? OFFICIAL_IMAGE_UID);
  const gid = ha ? (props.highAvailability?.runAsGroup ?? SPILO_GID) : (props.runAsGroup ?? OFFICIAL_IMAGE_UID);
  errors.check(isInt(uid, 1, 2147483647), ha ? 'highAvailability.runAsUser' : 'runAsUser', 'a non-zero uid/gid', uid);
  errors.check(isInt(gid, 1, 2147483647), ha ? 'highAvailability.runAsGroup' : 'runAsGroup', 'a non-zero uid/gid', gid);
  if (props.storageClassName !== undefined) {
    errors.check(isDnsSubdomain(props.storageClassName), 'storageClassName', 'a StorageClass name (DNS-1123 subdomain)', props.storageClassName);
  }

  const storage = props.storage ?? Size.gibibytes(10);
  const storageKiB = checkSize(errors, 'storage', storage, 1024 * 1024, 'at least 1Gi and a whole number of MiB', MAX_STORAGE);
  const memory = props.memory ?? Size.gibibytes(1);
  const memoryKiB = checkSize(
    errors,
    'memory',
    memory,
    256 * 1024,
    'a memory limit of at least 256Mi and a whole number of MiB (settings are derived from it)',
    MAX_MEMORY,
  );
  const cpu = props.cpu ?? kplus.Cpu.millis(500);
  const cpuMillis = cpuInMillis(cpu);
  const cpuLimit = props.cpuLimit ?? kplus.Cpu.millis(Math.max(2000, cpuMillis ?? 0));
  const cpuLimitMillis = cpuInMillis(cpuLimit);
  errors.check(
    cpuMillis !== undefined && Number.isInteger(cpuMillis) && cpuMillis >= 10,
    'cpu',
    'at least 10 millicores, whole millicores',
    cpu.amount,
  );
  errors.check(
    cpuLimitMillis !== undefined && Number.isInteger(cpuLimitMillis) && (cpuMillis === undefined || cpuLimitMillis >= cpuMillis),
    'cpuLimit',
    'whole millicores, at least the cpu request',
    cpuLimit.amount,
  );
  const maxConnections = props.maxConnections ?? 100;
  errors.check(isInt(maxConnections, 10, 10000), 'maxConnections', 'an integer from 10 to 10000', props.maxConnections);
  const grace = checkWholeSeconds(errors, 'terminationGracePeriod', props.terminationGracePeriod ?? Duration.seconds(120)) ?? 120;
  errors.check(grace >= 30, 'terminationGracePeriod', 'at least 30 seconds (a fast shutdown ends with a checkpoint)', `${grace}s`);

  const parameters = resolveParameters(errors, props.parameters ?? {}, version);

  const secretKey = (p: PasswordSecret | undefined, prop: string, fallbackKey: string): SecretKey => {
    const resolved = p ? { name: p.secret.name, key: p.key ?? 'password' } : { name: props.superuserSecret.name, key: fallbackKey };
    errors.check(isDnsSubdomain(resolved.name), `${prop}.secret`, 'a Secret name', resolved.name);
    errors.check(/^[-._a-zA-Z0-9]+$/.test(resolved.key), `${prop}.key`, 'a Secret key', resolved.key);
    return resolved;
  };
  const superuser = secretKey({ secret: props.superuserSecret, key: props.superuserSecretKey ?? 'password' }, 'superuserSecret', 'password');
  const passwordFiles = new Map<string, SecretKey>();
  // replicas stream as the role, and other clusters clone with it: a single instance has it once its password is given
  const replicationPassword =
    replicas > 1 || ha || props.replicationPassword !== undefined
      ? secretKey(props.replicationPassword, 'replicationPassword', 'replication-password')
      : undefined;
  if (replicationPassword) {
    passwordFiles.set(REPLICATION_USER, replicationPassword);
  }
  const metricsEnabled = props.metrics?.enabled ?? true;
  const metricsPassword = metricsEnabled ? secretKey(props.metrics?.password, 'metrics.password', 'metrics-password') : undefined;
  if (metricsPassword) {
    passwordFiles.set(METRICS_USER, metricsPassword);
  }
  const poolerAuth = props.pooler ? secretKey(props.pooler.authPassword, 'pooler.authPassword', 'pooler-password') : undefined;
  if (poolerAuth) {
    passwordFiles.set(POOLER_USER, poolerAuth);
  }

  // users and databases
  const userNames = new Set<string>();
  (props.users ?? []).forEach((u, i) => {
    const p = `users[${i}]`;
    if (errors.check(isSqlName(u.name), `${p}.name`, 'a lowercase SQL name ([a-z_][a-z0-9_]*, at most 63 characters)', u.name)) {
      errors.check(
        !RESERVED_ROLES.includes(u.name) && !u.name.startsWith('pg_'),
        `${p}.name`,
        `not reserved (${RESERVED_ROLES.slice(0, 4).join(', ')}, pg_*)`,
        u.name,
      );
      errors.check(!userNames.has(u.name), `${p}.name`, 'unique among users', u.name);
    }
    userNames.add(u.name);
    errors.check(
      isInt(u.connectionLimit ?? -1, -1, PG_INT_MAX),
      `${p}.connectionLimit`,
      `an integer from -1 to ${PG_INT_MAX} (PostgreSQL's CONNECTION LIMIT is an int4)`,
      u.connectionLimit,
    );
    if (isSqlName(u.name)) {
      passwordFiles.set(u.name, secretKey(u.password, `${p}.password`, 'password'));
    }
  });
  const dbNames = new Set<string>();
  (props.databases ?? []).forEach((d, i) => {
    const p = `databases[${i}]`;
    if (errors.check(isSqlName(d.name), `${p}.name`, 'a lowercase SQL name ([a-z_][a-z0-9_]*, at most 63 characters)', d.name)) {
      errors.check(!RESERVED_DATABASES.includes(d.name), `${p}.name`, 'not postgres, template0 or template1', d.name);
      errors.check(!dbNames.has(d.name), `${p}.name`, 'unique among databases', d.name);
    }
    dbNames.add(d.name);
    errors.check(d.owner === undefined || userNames.has(d.owner), `${p}.owner`, 'a declared user', d.owner);
    (d.extensions ?? []).forEach((e, j) =>
      errors.check(isExtensionName(e), `${p}.extensions[${j}]`, 'an extension name ([a-z_][a-z0-9_-]*, at most 63 characters)', e),
    );
  });
  (props.users ?? []).forEach((u, i) => {
    (u.grants ?? []).forEach((g, j) => errors.check(dbNames.has(g.database), `users[${i}].grants[${j}].database`, 'a declared database', g.database));
    (u.memberOf ?? []).forEach((m, j) =>
      errors.check(
        isSqlName(m) && m !== u.name && (userNames.has(m) || predefinedRoles(version).includes(m)),
        `users[${i}].memberOf[${j}]`,
        `another declared user or a predefined role of PostgreSQL ${version} (${predefinedRoles(version).join(', ')})`,
        m,
      ),
    );
  });

  const pooler = props.pooler && poolerAuth ? resolvePooler(errors, props.pooler, poolerAuth, maxConnections) : undefined;
  if (metricsEnabled && props.metrics?.image) {
    checkImage(errors, 'metrics.image', props.metrics.image);
  }
  if (metricsEnabled && (props.metrics?.poolerExporter ?? true) && props.metrics?.poolerImage) {
    checkImage(errors, 'metrics.poolerImage', props.metrics.poolerImage);
  }
  const monitoring = metricsEnabled ? resolveMonitoring(errors, 'metrics.monitoring', props.metrics?.monitoring) : undefined;

  // backups and bootstrap
  let backup: ResolvedBackup | undefined;
  if (props.backup) {
    const b = props.backup;
    const backupImage = b.image ?? PGBACKREST_IMAGE;
    const kubectlImage = b.kubectlImage ?? KUBECTL_IMAGE;
    if (b.image !== undefined) {
      checkImage(errors, 'backup.image', backupImage);
    }
    if (b.kubectlImage !== undefined) {
      checkImage(errors, 'backup.kubectlImage', kubectlImage);
    }
    const fullRetention = b.fullRetention ?? 7;
    errors.check(isInt(fullRetention, 1, 9999999), 'backup.fullRetention', 'an integer of at least 1', b.fullRetention);
    for (const [prop, cron] of [
      ['backup.schedule', b.schedule],
      ['backup.differentialSchedule', b.differentialSchedule],
    ] as const) {
      if (cron !== undefined) {
        checkCronSchedule(errors, prop, cron.expressionString);
      }
    }
    for (const [prop, rule, value] of b.repository._problems()) {
      errors.add(`backup.repository.${prop}`, rule, value);
    }
    backup = {
      own: {
        repository: b.repository,
        clusterName: name,
        stanza: STANZA,
        encryptionKey: b.encryptionKey ? secretKey(b.encryptionKey, 'backup.encryptionKey', 'password') : undefined,
        suffix: '',
        readOnly: false,
        configFile: 'pgbackrest.conf',
      },
      schedule: b.schedule ?? Cron.daily(),
      differentialSchedule: b.differentialSchedule,
      fullRetention,
      image: backupImage,
      kubectlImage,
    };
  }
  let logicalBackup: ResolvedLogicalBackup | undefined;
  if (props.logicalBackup) {
    const l = props.logicalBackup;
    const retentionDays = l.retentionDays ?? 7;
    errors.check(isInt(retentionDays, 1, 3650), 'logicalBackup.retentionDays', 'an integer from 1 to 3650', l.retentionDays);
    // a placeholder where a problem was recorded: throwIfAny() throws before anything renders it
    const logicalKiB =
      (l.storage ? checkSize(errors, 'logicalBackup.storage', l.storage, 1024 * 1024, 'at least 1Gi and a whole number of MiB') : storageKiB) ??
      1024 * 1024;
    if (l.storageClassName !== undefined) {
      errors.check(
        isDnsSubdomain(l.storageClassName),
        'logicalBackup.storageClassName',
        'a StorageClass name (DNS-1123 subdomain)',
        l.storageClassName,
      );
    }
    if (l.schedule !== undefined) {
      checkCronSchedule(errors, 'logicalBackup.schedule', l.schedule.expressionString);
    }
    (l.databases ?? []).forEach((d, i) => errors.check(isSqlName(d), `logicalBackup.databases[${i}]`, 'a database name', d));
    logicalBackup = {
      schedule: l.schedule ?? Cron.daily(),
      storage: sizeToQuantity(Size.kibibytes(logicalKiB)),
      storageClassName: l.storageClassName,
      retentionDays,
      databases: l.databases ?? [],
    };
  }
  const onEmptyPrimary = props.onEmptyPrimary ?? OnEmptyPrimary.INITIALIZE;
  if (onEmptyPrimary === OnEmptyPrimary.RESTORE_FROM_BACKUP) {
    errors.check(backup !== undefined, 'onEmptyPrimary', 'RESTORE_FROM_BACKUP only together with backup.repository', onEmptyPrimary);
  }
  if (onEmptyPrimary === OnEmptyPrimary.CLONE) {
    errors.check(props.cloneFrom !== undefined, 'cloneFrom', 'set when onEmptyPrimary is CLONE', props.cloneFrom);
  } else {
    errors.check(props.cloneFrom === undefined, 'cloneFrom', 'unset unless onEmptyPrimary is CLONE', props.cloneFrom?.host);
  }
  let cloneFrom: ResolvedClone | undefined;
  if (props.cloneFrom) {
    const c = props.cloneFrom;
    errors.check(isDnsSubdomain(c.host), 'cloneFrom.host', 'a DNS name', c.host);
    errors.check(c.port === undefined || isInt(c.port, 1, 65535), 'cloneFrom.port', 'a port number', c.port);
    errors.check(isSqlName(c.user ?? REPLICATION_USER), 'cloneFrom.user', 'a role name', c.user);
    errors.check(
      c.clusterName === undefined || isDnsLabel(c.clusterName, MAX_NAME_LENGTH),
      'cloneFrom.clusterName',
      `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
      c.clusterName,
    );
    cloneFrom = {
      host: c.host,
      port: c.port ?? PG_PORT,
      user: c.user ?? REPLICATION_USER,
      password: secretKey(c.password, 'cloneFrom.password', 'password'),
      sourceName: c.clusterName ?? /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-rw(\.|$)/.exec(c.host)?.[1],
    };
  }
  const source = props.restoreFrom;
  if (source) {
    errors.check(
      onEmptyPrimary === OnEmptyPrimary.RESTORE_FROM_BACKUP,
      'restoreFrom',
      'set only with onEmptyPrimary RESTORE_FROM_BACKUP',
      source.clusterName,
    );
    errors.check(
      isDnsLabel(source.clusterName, MAX_NAME_LENGTH),
      'restoreFrom.clusterName',
      `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
      source.clusterName,
    );
    errors.check(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(source.stanza ?? STANZA), 'restoreFrom.stanza', 'a pgBackRest stanza name', source.stanza);
    for (const [prop, rule, value] of source.repository._problems()) {
      errors.add(`restoreFrom.repository.${prop}`, rule, value);
    }
    const encryptionKey = source.encryptionKey ? secretKey(source.encryptionKey, 'restoreFrom.encryptionKey', 'password') : undefined;
    if (backup) {
      const own = backup.own.repository._location(name);
      errors.check(
        source.repository._location(source.clusterName) !== own,
        'restoreFrom',
        'another repository than backup.repository (a restored cluster must never archive into its source)',
        own,
      );
      backup = {
        ...backup,
        restoreSource: {
          repository: source.repository,
          clusterName: source.clusterName,
          stanza: source.stanza ?? STANZA,
          encryptionKey,
          suffix: '-source',
          readOnly: true,
          configFile: 'restore-source.conf',
        },
      };
    }
  }
  if (props.recoveryTargetTime !== undefined) {
    errors.check(
      onEmptyPrimary === OnEmptyPrimary.RESTORE_FROM_BACKUP,
      'recoveryTargetTime',
      'set only with onEmptyPrimary RESTORE_FROM_BACKUP',
      props.recoveryTargetTime,
    );
    errors.check(
      normalizeRecoveryTargetTime(props.recoveryTargetTime) !== undefined,
      'recoveryTargetTime',
      RECOVERY_TARGET_TIME_RULE,
      props.recoveryTargetTime,
    );
  }
  let haResolved: { ttlSeconds: number } | undefined;
  if (ha) {
    errors.check(
      onEmptyPrimary === OnEmptyPrimary.INITIALIZE,
      'onEmptyPrimary',
      'INITIALIZE with highAvailability (Patroni bootstraps and re-clones members itself)',
      onEmptyPrimary,
    );
    const ttl = checkWholeSeconds(errors, 'highAvailability.ttl', props.highAvailability?.ttl ?? Duration.seconds(30), 20, 600) ?? 30;
    haResolved = { ttlSeconds: ttl };
  }
  const clientNamespaces = props.clientNamespaces ?? [];
  clientNamespaces.forEach((n, i) => errors.check(isDnsLabel(n), `clientNamespaces[${i}]`, 'a namespace name', n));
  errors.check(
    props.imagePullPolicy === undefined || Object.values(kplus.ImagePullPolicy).includes(props.imagePullPolicy),
    'imagePullPolicy',
    `one of ${Object.values(kplus.ImagePullPolicy).join(', ')}`,
    props.imagePullPolicy,
  );
  const podOptions = resolvePodOptions(errors, props, {
    labelKeys: OWNED_POD_LABELS,
    annotationKeys: OWNED_POD_ANNOTATIONS,
    volumeNames: MEMBER_VOLUMES,
    mountPaths: MEMBER_MOUNT_PATHS,
  });
  const tls = props.tls;
  if (tls) {
    errors.check(isDnsSubdomain(tls.secret.name), 'tls.secret', 'a Secret name (DNS-1123 subdomain)', tls.secret.name);
  }
  (tls?.serverNames ?? []).forEach((n, i) => errors.check(isDnsSubdomain(n), `tls.serverNames[${i}]`, 'a DNS name', n));
  errors.throwIfAny();

  // ---- postgresql.conf layers ----
  const derived = tunedParameters({ memoryMiB: memoryKiB! / 1024, cpus: cpuMillis! / 1000, maxConnections, storageMiB: storageKiB! / 1024 });
  const construct: Record<string, string> = {
    archive_command: backup ? `/bin/sh "$PG_SCRIPTS_DIR/pgbackrest-archive.sh" push "%p" "%f"` : '/bin/true',
  };
  if (sync > 0 && !ha) {
    const readNames = Array.from({ length: replicas - 1 }, (_, i) => `${name}-read-${i}`.replace(/-/g, '_'));
    construct.synchronous_standby_names = `ANY ${sync} (${readNames.map((n) => `"${n}"`).join(', ')})`;
    construct.synchronous_commit = 'on';
  }
  if (tls) {
    construct.ssl_min_protocol_version = 'TLSv1.2';
  }
  const memoryQ = sizeToQuantity(memory);
  const cpuQ = cpuToQuantity(cpu);
  const storageQ = sizeToQuantity(storage);

  return {
    name,
    version,
    namespace: Chart.of(scope).namespace,
    ha: haResolved,
    replicas,
    synchronousReplicas: sync,
    image,
    clientImage: ha ? officialImage : image,
    imagePullPolicy: props.imagePullPolicy,
    uid,
    gid,
    storage: storageQ,
    storageClassName: props.storageClassName,
    memory: memoryQ,
    shmSize: sizeToQuantity(Size.kibibytes(Math.max(256 * 1024, Math.floor(memoryKiB! / 4 / 1024) * 1024))),
    cpu: cpuQ,
    cpuLimit: cpuToQuantity(cpuLimit),
    maxConnections,
    terminationGracePeriodSeconds: grace,
    pgdata: `${DATA_MOUNT}/pg${version}`,
    settings: {
      derivedTitle: `derived from memory ${memoryQ}, cpu ${cpuQ}, storage ${storageQ}, max_connections ${maxConnections}`,
      derived,
      construct,
      parameters,
    },
    superuser,
    passwordFiles,
    replicationPassword,
    users: (props.users ?? []).map((u) => ({
      name: u.name,
      login: u.login ?? true,
      connectionLimit: u.connectionLimit ?? -1,
      createDatabases: u.createDatabases ?? false,
      memberOf: u.memberOf ?? [],
      grants: (u.grants ?? []).map((g) => ({ database: g.database, access: g.access })),
    })),
    databases: (props.databases ?? []).map((d) => ({
      name: d.name,
      owner: d.owner ?? SUPERUSER,
      ownerUser: d.owner,
      extensions: d.extensions ?? [],
    })),
    pooler,
    metrics: metricsPassword
      ? {
          image: props.metrics?.image ?? EXPORTER_IMAGE,
          password: metricsPassword,
          poolerImage: (props.metrics?.poolerExporter ?? true) ? (props.metrics?.poolerImage ?? POOLER_EXPORTER_IMAGE) : undefined,
          monitoring,
        }
      : undefined,
    backup,
    logicalBackup,
    onEmptyPrimary,
    cloneFrom,
    recoveryTargetTime: props.recoveryTargetTime === undefined ? undefined : normalizeRecoveryTargetTime(props.recoveryTargetTime),
    tls: tls
      ? { secretName: tls.secret.name, require: tls.require ?? true, serverNames: tls.serverNames ?? [], verifyServer: tls.verifyServer ?? true }
      : undefined,
    networkPolicy: props.networkPolicy ?? true,
    clientNamespaces,
    clientLabelKey: `${name}-client`,
    podOptions,
  };
}

/**
 * How a client in `clientNamespace` reaches `service` with the instance's TLS: the host to name,
 * libpq's sslmode and, when the server is verified, that the CA is needed. A client in another
 * namespace (or any client, when the instance's chart has a namespace and the client's does not)
 * gets `<service>.<namespace>.svc`: a short name resolves in the client's own namespace. The host
 * is a name of the certificate (and the server is checked against it, `verify-full`) when
 * `tls.serverNames` has one that resolves from the client's namespace: the short name only from
 * the instance's own namespace, `<service>.<namespace>`, `<service>.<namespace>.svc` and
 * `<service>.<namespace>.svc.<cluster domain>` from anywhere.
 */
export function clientTls(
  r: ResolvedPostgres,
  service: string,
  clientNamespace: string | undefined,
): { host: string; sslMode: string; verifies: boolean } {
  const qualify = r.namespace !== undefined && clientNamespace !== r.namespace;
  const host = qualify ? `${service}.${r.namespace}.svc` : service;
  if (!r.tls) {
    return { host, sslMode: 'prefer', verifies: false };
  }
  if (!r.tls.verifyServer) {
    return { host, sslMode: 'require', verifies: false };
  }
  const named = r.tls.serverNames.find((n) => certificateNameReaches(n, service, r.namespace, qualify));
  return { host: named ?? host, sslMode: named ? 'verify-full' : 'verify-ca', verifies: true };
}

/** Whether the certificate name `name` resolves to `service` from the client's namespace. */
function certificateNameReaches(name: string, service: string, namespace: string | undefined, qualify: boolean): boolean {
  if (namespace === undefined) {
    // the instance's namespace is whatever the manifests are applied to: any name of the Service
    return name === service || name.startsWith(`${service}.`);
  }
  const namespaced = `${service}.${namespace}`;
  return (!qualify && name === service) || name === namespaced || name === `${namespaced}.svc` || name.startsWith(`${namespaced}.svc.`);
}

/** `PGSSLMODE` of the construct's own Jobs: TLS when the server has it, without a CA file. */
export function jobSslMode(r: ResolvedPostgres): string {
  return r.tls ? 'require' : 'prefer';
}

function checkImage(errors: PropErrors, prop: string, image: string): void {
  const problem = imagePinProblem(image);
  errors.check(problem === undefined, prop, problem ?? '', image);
}

/**
 * Checks a size is at least `minKiB`, whole MiB and at most `max` (`maxKiB` and why: the largest
 * quantity, or what a setting derived from it holds in PostgreSQL); returns it in KiB.
 */
function checkSize(
  errors: PropErrors,
  prop: string,
  size: Size,
  minKiB: number,
  rule: string,
  max: { readonly maxKiB: number; readonly why: string } = {
    maxKiB: Math.floor(MAX_QUANTITY_KIB / 1024) * 1024,
    why: 'larger sizes are not Kubernetes quantities',
  },
): number | undefined {
  const kib = sizeInKibibytes(size);
  if (!errors.check(kib !== undefined && kib >= minKiB && kib % 1024 === 0, prop, rule, describeSize(size))) {
    return undefined;
  }
  return errors.check(kib! <= max.maxKiB, prop, `at most ${max.maxKiB / 1024}Mi (${max.why})`, describeSize(size)) ? kib : undefined;
}

/**
 * PostgreSQL folds parameter names to lower case: every check and the rendered files use the
 * folded name, so `Archive_Command` can neither slip past the owned-parameter check nor sit
 * beside the construct's `archive_command` in the file.
 */
function resolveParameters(errors: PropErrors, given: { [name: string]: string }, version: number): Record<string, string> {
  const parameters: Record<string, string> = {};
  const spelledAs = new Map<string, string>();
  for (const [key, value] of Object.entries(given)) {
    const folded = key.toLowerCase();
    // a key that is no name (a line break, a NUL) is quoted, so it cannot split the message
    const at = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? `parameters.${key}` : `parameters[${JSON.stringify(key)}]`;
    const settable = isKnownParameter(key, version) && !CONSTRUCT_OWNED_PARAMETERS.includes(folded);
    if (!isKnownParameter(key, version)) {
      errors.add(at, `a PostgreSQL ${version} parameter name`, key);
    } else if (CONSTRUCT_OWNED_PARAMETERS.includes(folded)) {
      errors.add(at, `left to the construct (PostgreSQL reads it as ${folded}; set it through the props)`, key);
    } else if (spelledAs.has(folded)) {
      errors.add(at, `given once (PostgreSQL names are case-insensitive: ${spelledAs.get(folded)} names it too)`, key);
    }
    if (errors.check(typeof value === 'string' && !/[\n\r\0]/.test(value), at, 'a single-line string', value) && settable && version === 15) {
      // the value as the PostgreSQL 15 server parses it; other majors' types are left to their server
      const rule = parameterValueProblem(folded, value);
      errors.check(rule === undefined, at, rule!, value);
    }
    spelledAs.set(folded, key);
    parameters[folded] = value;
  }
  return parameters;
}

function resolvePooler(
  errors: PropErrors,
  pooler: NonNullable<StatefulPostgresProps['pooler']>,
  auth: SecretKey,
  maxConnections: number,
): ResolvedPooler {
  const replicas = pooler.replicas ?? 2;
  errors.check(isInt(replicas, 1, 50), 'pooler.replicas', 'an integer from 1 to 50', pooler.replicas);
  const maxClientConnections = pooler.maxClientConnections ?? 1000;
  errors.check(isInt(maxClientConnections, 1, 100000), 'pooler.maxClientConnections', 'an integer from 1 to 100000', pooler.maxClientConnections);
  const defaultPoolSize = pooler.defaultPoolSize ?? 20;
  errors.check(
    isInt(defaultPoolSize, 1, maxConnections - 1),
    'pooler.defaultPoolSize',
    `an integer from 1 to maxConnections - 1 (${maxConnections - 1})`,
    pooler.defaultPoolSize,
  );
  const maxPreparedStatements = pooler.maxPreparedStatements ?? 200;
  errors.check(isInt(maxPreparedStatements, 0, 10000), 'pooler.maxPreparedStatements', 'an integer from 0 to 10000', pooler.maxPreparedStatements);
  const image = pooler.image ?? PGBOUNCER_IMAGE;
  checkImage(errors, 'pooler.image', image);
  const memory = pooler.memory ?? Size.mebibytes(128);
  // a placeholder where a problem was recorded: the caller throws before anything renders it
  const memoryKiB = checkSize(errors, 'pooler.memory', memory, 32 * 1024, 'at least 32Mi and a whole number of MiB') ?? 128 * 1024;
  const cpuMillis = cpuInMillis(pooler.cpu ?? kplus.Cpu.millis(100));
  errors.check(
    cpuMillis !== undefined && Number.isInteger(cpuMillis) && cpuMillis >= 10,
    'pooler.cpu',
    'at least 10 millicores, whole millicores',
    pooler.cpu?.amount,
  );
  const millis = cpuMillis !== undefined && Number.isInteger(cpuMillis) && cpuMillis >= 10 ? cpuMillis : 100;
  return {
    replicas,
    poolMode: pooler.poolMode ?? PoolMode.TRANSACTION,
    maxClientConnections,
    defaultPoolSize,
    reservePoolSize: Math.max(1, Math.floor(defaultPoolSize / 4)),
    maxDbConnections: Math.max(1, maxConnections - 10),
    maxPreparedStatements,
    auth,
    image,
    cpu: cpuToQuantity(kplus.Cpu.millis(millis)),
    cpuLimit: cpuToQuantity(kplus.Cpu.millis(millis * 4)),
    memory: sizeToQuantity(Size.kibibytes(memoryKiB)),
  };
}
