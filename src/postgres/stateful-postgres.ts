import { ensureUniqueObjectNames } from '../common/unique-names';
import { addKubeScoreIgnore, workloadsBelow } from '../common/linter-annotations';
import { ApiObject, Chart, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { sha256Of } from '../common/checksum';
import { PropErrors, throwPropError } from '../common/errors';
import { pullPolicyFor } from '../common/pull-policy';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME, selectorLabels, standardLabels, versionFromImage } from '../common/labels';
import { imagePinProblem, isDnsLabel, isDnsSubdomain } from '../common/names';
import { cpuInMillis, cpuToQuantity, sizeInKibibytes, sizeToQuantity } from '../common/quantities';
import * as assets from './assets.generated';
import { BackupRepository, S3UriStyle } from './backup-repository';
import {
  EXPORTER_IMAGE,
  KUBECTL_IMAGE,
  OFFICIAL_IMAGE_UID,
  PGBACKREST_IMAGE,
  PGBOUNCER_IMAGE,
  POSTGRES_IMAGES,
  SPILO_GID,
  SPILO_IMAGES,
  SPILO_UID,
} from './images';
import { componentLabels, podPeer, PostgresConnection, PostgresConnectionOptions } from './connection';
import { renderPgHba } from './pg-hba';
import { normalizeRecoveryTargetTime, RECOVERY_TARGET_TIME_RULE } from './recovery-target';
import {
  CONFIG_DIR,
  DATA_MOUNT,
  PGBACKREST_CA_DIR,
  PGBACKREST_CONFIG_DIR,
  PGBACKREST_REPO_MOUNT,
  SECRETS_DIR,
  SOCKET_DIR,
  SPOOL_DIR,
  STANZA,
  containerSecurity,
  emptyDir,
  env,
  fieldEnv,
  pgIsReadyCommand,
  acceptingWritesCommand,
  podSecurity,
  resources,
  secretEnv,
  secretFileVolume,
  spreadOut,
} from './pod-parts';
import { CONSTRUCT_OWNED_PARAMETERS, ConfSection, isKnownParameter, renderPostgresqlConf, tunedParameters } from './postgresql-conf';
import { OnEmptyPrimary, PasswordSecret, PoolMode, StatefulPostgresProps } from './props';
import { isSqlName } from './sql';
import { DatabaseSpec, GrantSpec, RoleSpec, renderUsersSql } from './users-sql';

const APP_NAME = 'postgresql';

/** A pgBackRest repository as a pod sees it: this cluster's own, or the source of a restore. */
interface RepositoryTarget {
  readonly repository: BackupRepository;
  /** The cluster that writes it (default S3 path, volume claim). */
  readonly clusterName: string;
  readonly encryptionKey?: PasswordSecret;
  /** Suffix of its volume names and mount paths: '' for the own repository. */
  readonly suffix: string;
  /** Mounted read-only (a restore source). */
  readonly readOnly: boolean;
}
const SUPERUSER = 'postgres';
const REPLICATION_USER = 'replicator';
const METRICS_USER = 'postgres_exporter';
const POOLER_USER = 'pgbouncer_auth';
const RESERVED_ROLES = [SUPERUSER, REPLICATION_USER, METRICS_USER, POOLER_USER, 'public', 'current_user', 'session_user', 'current_role', 'none'];
const RESERVED_DATABASES = ['postgres', 'template0', 'template1'];
const MAX_NAME_LENGTH = 30;
const PG_PORT = 5432;
const POOLER_PORT = 6432;
const METRICS_PORT = 9187;
const PATRONI_PORT = 8008;
/** Where the pgBouncer container mounts the TLS Secret. */
const POOLER_TLS_DIR = '/etc/pgbouncer/tls';

/** Options of `connectionEnv` (the same as `connection`'s). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the name connectionEnv's options have always had
export interface ConnectionEnvOptions extends PostgresConnectionOptions {}

interface ResolvedSecret {
  readonly name: string;
  readonly key: string;
}

/**
 * PostgreSQL as plain Kubernetes objects: a primary and streaming replicas (or Patroni for
 * automatic failover), read-write and read-only Services, pgBouncer, pgBackRest backups with
 * WAL archiving, logical dumps, declared users and databases, postgres_exporter, a
 * PodDisruptionBudget and NetworkPolicies. No operator runs in the cluster.
 *
 * @see https://www.postgresql.org/docs/15/warm-standby.html
 */
export class StatefulPostgres extends Construct {
  /** Base name of every object. */
  public readonly name: string;
  /** PostgreSQL major version. */
  public readonly version: number;
  /** The read-write Service (the primary), port 5432. */
  public readonly primaryService: kplus.Service;
  /** The read-only Service (the replicas), port 5432; undefined with a single instance. */
  public readonly replicaService?: kplus.Service;
  /** The pgBouncer Service, port 5432; undefined without a pooler. */
  public readonly poolerService?: kplus.Service;
  /** The headless Service giving every instance a stable DNS name. */
  public readonly headlessService: kplus.Service;
  /** The StatefulSet of the primary (with Patroni: of every member). */
  public readonly primaryStatefulSet: ApiObject;
  /** The StatefulSet of the replicas; undefined with one instance or with Patroni. */
  public readonly replicaStatefulSet?: ApiObject;
  /** postgresql.conf, pg_hba.conf and the container scripts. */
  public readonly configMap: kplus.ConfigMap;
  /** The rendered postgresql.conf. */
  public readonly postgresqlConf: string;
  /** The rendered pg_hba.conf. */
  public readonly pgHbaConf: string;
  /** The rendered users.sql. */
  public readonly usersSql: string;
  /** The label key client pods carry (value `"true"`) to pass the NetworkPolicy. */
  public readonly clientLabelKey: string;

  private readonly props: StatefulPostgresProps;
  private readonly superuser: ResolvedSecret;
  private readonly passwordFiles = new Map<string, ResolvedSecret>();
  private readonly ha: boolean;
  private readonly uid: number;
  private readonly gid: number;
  private readonly image: string;
  private readonly pgdata: string;
  private readonly replicas: number;
  private readonly metricsEnabled: boolean;
  private readonly pooled: boolean;
  /** Ingress rules of the members' and the pooler's NetworkPolicies, open to `allowClient`; undefined without policies. */
  private readonly memberIngress?: Record<string, unknown>[];
  private readonly poolerIngress?: Record<string, unknown>[];

  constructor(scope: Construct, id: string, props: StatefulPostgresProps) {
    super(scope, id);
    ensureUniqueObjectNames(this);
    this.props = props;
    const errors = new PropErrors(this);

    this.name = props.name ?? id;
    errors.check(
      isDnsLabel(this.name, MAX_NAME_LENGTH),
      props.name === undefined ? 'name (the construct id)' : 'name',
      `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
      this.name,
    );
    this.version = props.version ?? 15;
    errors.check(POSTGRES_IMAGES[this.version] !== undefined, 'version', `one of ${Object.keys(POSTGRES_IMAGES).join(', ')}`, props.version);
    this.ha = props.highAvailability !== undefined;
    this.replicas = props.replicas ?? 1;
    errors.check(Number.isInteger(this.replicas) && this.replicas >= 1 && this.replicas <= 16, 'replicas', 'an integer from 1 to 16', props.replicas);
    const sync = props.synchronousReplicas ?? 0;
    errors.check(
      Number.isInteger(sync) && sync >= 0 && sync <= Math.max(0, this.replicas - 1),
      'synchronousReplicas',
      `an integer from 0 to replicas - 1 (${Math.max(0, this.replicas - 1)})`,
      props.synchronousReplicas,
    );
    if (this.ha) {
      errors.check(this.replicas >= 2, 'replicas', 'at least 2 with highAvailability (Patroni needs a replica to fail over to)', this.replicas);
    }

    const defaultImage = this.ha ? SPILO_IMAGES[this.version] : POSTGRES_IMAGES[this.version];
    this.image = (this.ha ? props.highAvailability?.image : props.image) ?? defaultImage ?? POSTGRES_IMAGES[15];
    const imageProblem = imagePinProblem(this.image);
    errors.check(imageProblem === undefined, this.ha ? 'highAvailability.image' : 'image', imageProblem ?? '', this.image);
    if (this.ha && props.image !== undefined) {
      errors.add('image', 'unset with highAvailability (set highAvailability.image)', props.image);
    }

    this.uid = this.ha ? (props.highAvailability?.runAsUser ?? SPILO_UID) : (props.runAsUser ?? OFFICIAL_IMAGE_UID);
    this.gid = this.ha ? (props.highAvailability?.runAsGroup ?? SPILO_GID) : (props.runAsGroup ?? OFFICIAL_IMAGE_UID);
    for (const [prop, v] of [
      ['runAsUser', this.uid],
      ['runAsGroup', this.gid],
    ] as const) {
      errors.check(Number.isInteger(v) && v >= 1 && v <= 2147483647, prop, 'a non-zero uid/gid', v);
    }

    const storage = props.storage ?? Size.gibibytes(10);
    const storageKiB = sizeInKibibytes(storage);
    errors.check(
      storageKiB !== undefined && storageKiB >= 1024 * 1024 && storageKiB % 1024 === 0,
      'storage',
      'at least 1Gi and a whole number of MiB',
      storage.asString(),
    );
    const memory = props.memory ?? Size.gibibytes(1);
    const memoryKiB = sizeInKibibytes(memory);
    errors.check(
      memoryKiB !== undefined && memoryKiB >= 256 * 1024 && memoryKiB % 1024 === 0,
      'memory',
      'a memory limit of at least 256Mi and a whole number of MiB (settings are derived from it)',
      memory.asString(),
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
    errors.check(
      Number.isInteger(maxConnections) && maxConnections >= 10 && maxConnections <= 10000,
      'maxConnections',
      'an integer from 10 to 10000',
      props.maxConnections,
    );
    const grace = props.terminationGracePeriod ?? Duration.seconds(120);
    errors.check(
      grace.toSeconds() >= 30,
      'terminationGracePeriod',
      'at least 30 seconds (a fast shutdown ends with a checkpoint)',
      `${grace.toSeconds()}s`,
    );

    // PostgreSQL folds parameter names to lower case: every check and the rendered files use the
    // folded name, so `Archive_Command` can neither slip past the owned-parameter check nor sit
    // beside the construct's `archive_command` in the file.
    const parameters: Record<string, string> = {};
    const spelledAs = new Map<string, string>();
    for (const [key, value] of Object.entries(props.parameters ?? {})) {
      const folded = key.toLowerCase();
      if (!isKnownParameter(key, this.version)) {
        errors.add(`parameters.${key}`, `a PostgreSQL ${this.version} parameter name`, key);
      } else if (CONSTRUCT_OWNED_PARAMETERS.includes(folded)) {
        errors.add(`parameters.${key}`, `left to the construct (PostgreSQL reads it as ${folded}; set it through the props)`, key);
      } else if (spelledAs.has(folded)) {
        errors.add(`parameters.${key}`, `given once (PostgreSQL names are case-insensitive: ${spelledAs.get(folded)} names it too)`, key);
      }
      errors.check(typeof value === 'string' && !/[\n\r\0]/.test(value), `parameters.${key}`, 'a single-line string', value);
      spelledAs.set(folded, key);
      parameters[folded] = value;
    }

    const secretKey = (p: PasswordSecret | undefined, prop: string, fallbackKey: string): ResolvedSecret => {
      const resolved = p ? { name: p.secret.name, key: p.key ?? 'password' } : { name: props.superuserSecret.name, key: fallbackKey };
      errors.check(isDnsSubdomain(resolved.name), `${prop}.secret`, 'a Secret name', resolved.name);
      errors.check(/^[-._a-zA-Z0-9]+$/.test(resolved.key), `${prop}.key`, 'a Secret key', resolved.key);
      return resolved;
    };
    this.superuser = secretKey({ secret: props.superuserSecret, key: props.superuserSecretKey ?? 'password' }, 'superuserSecret', 'password');
    // replicas stream as the role, and other clusters clone with it: a single instance has it once its password is given
    const needsReplicationRole = this.replicas > 1 || this.ha || props.replicationPassword !== undefined;
    if (needsReplicationRole) {
      this.passwordFiles.set(REPLICATION_USER, secretKey(props.replicationPassword, 'replicationPassword', 'replication-password'));
    }
    this.metricsEnabled = props.metrics?.enabled ?? true;
    if (this.metricsEnabled) {
      this.passwordFiles.set(METRICS_USER, secretKey(props.metrics?.password, 'metrics.password', 'metrics-password'));
    }
    this.pooled = props.pooler !== undefined;
    if (this.pooled) {
      this.passwordFiles.set(POOLER_USER, secretKey(props.pooler?.authPassword, 'pooler.authPassword', 'pooler-password'));
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
        Number.isInteger(u.connectionLimit ?? -1) && (u.connectionLimit ?? -1) >= -1,
        `${p}.connectionLimit`,
        'an integer of at least -1',
        u.connectionLimit,
      );
      if (isSqlName(u.name)) {
        this.passwordFiles.set(u.name, secretKey(u.password, `${p}.password`, 'password'));
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
      (d.extensions ?? []).forEach((e, j) => errors.check(isSqlName(e), `${p}.extensions[${j}]`, 'an extension name', e));
    });
    (props.users ?? []).forEach((u, i) => {
      (u.grants ?? []).forEach((g, j) =>
        errors.check(dbNames.has(g.database), `users[${i}].grants[${j}].database`, 'a declared database', g.database),
      );
      (u.memberOf ?? []).forEach((m, j) =>
        errors.check(
          isSqlName(m) && m !== u.name && (userNames.has(m) || m.startsWith('pg_')),
          `users[${i}].memberOf[${j}]`,
          'another declared user or a predefined pg_* role',
          m,
        ),
      );
    });

    // pooler
    const pooler = props.pooler;
    if (pooler) {
      const r = pooler.replicas ?? 2;
      errors.check(Number.isInteger(r) && r >= 1 && r <= 50, 'pooler.replicas', 'an integer from 1 to 50', pooler.replicas);
      const mc = pooler.maxClientConnections ?? 1000;
      errors.check(
        Number.isInteger(mc) && mc >= 1 && mc <= 100000,
        'pooler.maxClientConnections',
        'an integer from 1 to 100000',
        pooler.maxClientConnections,
      );
      const ps = pooler.defaultPoolSize ?? 20;
      errors.check(
        Number.isInteger(ps) && ps >= 1 && ps < maxConnections,
        'pooler.defaultPoolSize',
        `an integer from 1 to maxConnections - 1 (${maxConnections - 1})`,
        pooler.defaultPoolSize,
      );
      const mp = pooler.maxPreparedStatements ?? 200;
      errors.check(
        Number.isInteger(mp) && mp >= 0 && mp <= 10000,
        'pooler.maxPreparedStatements',
        'an integer from 0 to 10000',
        pooler.maxPreparedStatements,
      );
      const img = pooler.image ?? PGBOUNCER_IMAGE;
      const prob = imagePinProblem(img);
      errors.check(prob === undefined, 'pooler.image', prob ?? '', img);
      const pm = pooler.memory ?? Size.mebibytes(128);
      const pmk = sizeInKibibytes(pm);
      errors.check(
        pmk !== undefined && pmk >= 32 * 1024 && pmk % 1024 === 0,
        'pooler.memory',
        'at least 32Mi and a whole number of MiB',
        pm.asString(),
      );
      const pc = cpuInMillis(pooler.cpu ?? kplus.Cpu.millis(100));
      errors.check(
        pc !== undefined && Number.isInteger(pc) && pc >= 10,
        'pooler.cpu',
        'at least 10 millicores, whole millicores',
        pooler.cpu?.amount,
      );
    }
    if (this.metricsEnabled && props.metrics?.image) {
      const prob = imagePinProblem(props.metrics.image);
      errors.check(prob === undefined, 'metrics.image', prob ?? '', props.metrics.image);
    }

    // backups and bootstrap
    const backup = props.backup;
    if (backup) {
      for (const [prop, img] of [
        ['backup.image', backup.image],
        ['backup.kubectlImage', backup.kubectlImage],
      ] as const) {
        if (img !== undefined) {
          const prob = imagePinProblem(img);
          errors.check(prob === undefined, prop, prob ?? '', img);
        }
      }
      const ret = backup.fullRetention ?? 7;
      errors.check(Number.isInteger(ret) && ret >= 1 && ret <= 9999999, 'backup.fullRetention', 'an integer of at least 1', backup.fullRetention);
      this.validateRepository(errors, backup.repository);
      if (backup.encryptionKey) {
        secretKey(backup.encryptionKey, 'backup.encryptionKey', 'password');
      }
    }
    const logical = props.logicalBackup;
    if (logical) {
      const days = logical.retentionDays ?? 7;
      errors.check(
        Number.isInteger(days) && days >= 1 && days <= 3650,
        'logicalBackup.retentionDays',
        'an integer from 1 to 3650',
        logical.retentionDays,
      );
      const ls = logical.storage ? sizeInKibibytes(logical.storage) : 1024 * 1024;
      errors.check(
        ls !== undefined && ls >= 1024 * 1024 && ls % 1024 === 0,
        'logicalBackup.storage',
        'at least 1Gi and a whole number of MiB',
        logical.storage?.asString(),
      );
      (logical.databases ?? []).forEach((d, i) => errors.check(isSqlName(d), `logicalBackup.databases[${i}]`, 'a database name', d));
    }
    const onEmpty = props.onEmptyPrimary ?? OnEmptyPrimary.INITIALIZE;
    if (onEmpty === OnEmptyPrimary.RESTORE_FROM_BACKUP) {
      errors.check(backup !== undefined, 'onEmptyPrimary', 'RESTORE_FROM_BACKUP only together with backup.repository', onEmpty);
    }
    if (onEmpty === OnEmptyPrimary.CLONE) {
      errors.check(props.cloneFrom !== undefined, 'cloneFrom', 'set when onEmptyPrimary is CLONE', props.cloneFrom);
    } else {
      errors.check(props.cloneFrom === undefined, 'cloneFrom', 'unset unless onEmptyPrimary is CLONE', props.cloneFrom?.host);
    }
    if (props.cloneFrom) {
      errors.check(isDnsSubdomain(props.cloneFrom.host), 'cloneFrom.host', 'a DNS name', props.cloneFrom.host);
      errors.check(
        props.cloneFrom.port === undefined || (Number.isInteger(props.cloneFrom.port) && props.cloneFrom.port >= 1 && props.cloneFrom.port <= 65535),
        'cloneFrom.port',
        'a port number',
        props.cloneFrom.port,
      );
      errors.check(isSqlName(props.cloneFrom.user ?? REPLICATION_USER), 'cloneFrom.user', 'a role name', props.cloneFrom.user);
      const sourceName = props.cloneFrom.clusterName;
      errors.check(
        sourceName === undefined || (isDnsLabel(sourceName) && sourceName.length <= MAX_NAME_LENGTH),
        'cloneFrom.clusterName',
        `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
        sourceName,
      );
      secretKey(props.cloneFrom.password, 'cloneFrom.password', 'password');
    }
    const source = props.restoreFrom;
    if (source) {
      errors.check(
        onEmpty === OnEmptyPrimary.RESTORE_FROM_BACKUP,
        'restoreFrom',
        'set only with onEmptyPrimary RESTORE_FROM_BACKUP',
        source.clusterName,
      );
      errors.check(
        isDnsLabel(source.clusterName) && source.clusterName.length <= MAX_NAME_LENGTH,
        'restoreFrom.clusterName',
        `a DNS label of at most ${MAX_NAME_LENGTH} characters`,
        source.clusterName,
      );
      errors.check(/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(source.stanza ?? STANZA), 'restoreFrom.stanza', 'a pgBackRest stanza name', source.stanza);
      this.validateRepository(errors, source.repository, 'restoreFrom.repository');
      if (source.encryptionKey) {
        secretKey(source.encryptionKey, 'restoreFrom.encryptionKey', 'password');
      }
      if (backup) {
        const own = backup.repository._location(this.name);
        errors.check(
          source.repository._location(source.clusterName) !== own,
          'restoreFrom',
          'another repository than backup.repository (a restored cluster must never archive into its source)',
          own,
        );
      }
    }
    if (props.recoveryTargetTime !== undefined) {
      errors.check(
        onEmpty === OnEmptyPrimary.RESTORE_FROM_BACKUP,
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
    if (this.ha) {
      errors.check(
        onEmpty === OnEmptyPrimary.INITIALIZE,
        'onEmptyPrimary',
        'INITIALIZE with highAvailability (Patroni bootstraps and re-clones members itself)',
        onEmpty,
      );
      const ttl = props.highAvailability?.ttl?.toSeconds() ?? 30;
      errors.check(Number.isInteger(ttl) && ttl >= 20 && ttl <= 600, 'highAvailability.ttl', 'from 20 to 600 whole seconds', `${ttl}s`);
    }
    (props.clientNamespaces ?? []).forEach((n, i) => errors.check(isDnsLabel(n), `clientNamespaces[${i}]`, 'a namespace name', n));
    errors.check(
      props.imagePullPolicy === undefined || Object.values(kplus.ImagePullPolicy).includes(props.imagePullPolicy),
      'imagePullPolicy',
      `one of ${Object.values(kplus.ImagePullPolicy).join(', ')}`,
      props.imagePullPolicy,
    );
    errors.throwIfAny();

    this.pgdata = `${DATA_MOUNT}/pg${this.version}`;
    this.clientLabelKey = `${this.name}-client`;

    // ---- configuration ----
    const memoryMiB = memoryKiB! / 1024;
    const storageMiB = storageKiB! / 1024;
    const derived = tunedParameters({ memoryMiB, cpus: cpuMillis! / 1000, maxConnections, storageMiB });
    const constructSettings: Record<string, string> = {
      archive_command: backup ? `/bin/sh "$PG_SCRIPTS_DIR/pgbackrest-archive.sh" push "%p" "%f"` : '/bin/true',
    };
    const readNames = Array.from({ length: Math.max(0, this.replicas - 1) }, (_, i) => `${this.name}-read-${i}`.replace(/-/g, '_'));
    if (sync > 0 && !this.ha) {
      constructSettings.synchronous_standby_names = `ANY ${sync} (${readNames.map((n) => `"${n}"`).join(', ')})`;
      constructSettings.synchronous_commit = 'on';
    }
    if (props.tls) {
      constructSettings.ssl_min_protocol_version = 'TLSv1.2';
    }
    const sections: ConfSection[] = [
      {
        title: `derived from memory ${sizeToQuantity(memory)}, cpu ${cpuToQuantity(cpu)}, storage ${sizeToQuantity(storage)}, max_connections ${maxConnections}`,
        settings: derived,
      },
      { title: 'StatefulPostgres', settings: constructSettings },
      { title: 'parameters', settings: parameters },
    ];
    this.postgresqlConf = renderPostgresqlConf(sections);
    this.pgHbaConf = renderPgHba({ replicationUser: REPLICATION_USER, requireTls: props.tls !== undefined && (props.tls.require ?? true) });

    const configData: Record<string, string> = {
      'postgresql.conf': this.postgresqlConf,
      'pg_hba.conf': this.pgHbaConf,
      'start-postgres.sh': assets.START_POSTGRES_SH,
      'bootstrap-primary.sh': assets.BOOTSTRAP_PRIMARY_SH,
      'bootstrap-replica.sh': assets.BOOTSTRAP_REPLICA_SH,
      'bootstrap.sql': assets.BOOTSTRAP_SQL,
      'logical-backup.sh': assets.LOGICAL_BACKUP_SH,
    };
    if (backup) {
      configData['pgbackrest-archive.sh'] = assets.PGBACKREST_ARCHIVE_SH;
      configData['pgbackrest-agent.sh'] = assets.PGBACKREST_AGENT_SH;
      configData['restore-backup.sh'] = assets.RESTORE_BACKUP_SH;
    }
    if (this.ha) {
      configData['patroni.yml'] = this.renderPatroniConfig(derived, constructSettings, parameters, sync);
    }
    this.configMap = new kplus.ConfigMap(this, 'Config', {
      metadata: { name: `${this.name}-config`, labels: this.labels('config') },
      data: configData,
    });

    let pgbackrestConf: string | undefined;
    if (backup) {
      const retention = backup.fullRetention ?? 7;
      pgbackrestConf = this.renderPgBackRestConf(this.ownRepository(), retention, STANZA);
      const data: Record<string, string> = { 'pgbackrest.conf': pgbackrestConf };
      const source = this.sourceRepository();
      if (source) {
        // a configuration of its own, which no archiving, backup or stanza command reads
        data['restore-source.conf'] = this.renderPgBackRestConf(source, retention, props.restoreFrom!.stanza ?? STANZA);
        pgbackrestConf += data['restore-source.conf'];
      }
      new kplus.ConfigMap(this, 'PgBackRestConfig', {
        metadata: { name: `${this.name}-pgbackrest`, labels: this.labels('backup') },
        data,
      });
    }
    const checksum = sha256Of({ config: configData, pgbackrest: pgbackrestConf ?? '' });

    // ---- services ----
    this.headlessService = this.service('Headless', `${this.name}-hl`, 'member', undefined, true);
    if (this.ha) {
      this.primaryService = this.service('Primary', `${this.name}-rw`, 'member', 'primary');
      this.replicaService = this.service('Replicas', `${this.name}-ro`, 'member', 'replica');
    } else {
      this.primaryService = this.service('Primary', `${this.name}-rw`, 'primary');
      if (this.replicas > 1) {
        this.replicaService = this.service('Replicas', `${this.name}-ro`, 'read');
      }
    }

    // ---- workloads ----
    if (this.ha) {
      this.primaryStatefulSet = this.patroniStatefulSet(checksum, memory, cpu, cpuLimit, storage, grace);
    } else {
      this.primaryStatefulSet = this.memberStatefulSet('primary', 1, checksum, memory, cpu, cpuLimit, storage, grace);
      if (this.replicas > 1) {
        this.replicaStatefulSet = this.memberStatefulSet('read', this.replicas - 1, checksum, memory, cpu, cpuLimit, storage, grace);
      }
    }

    new ApiObject(this, 'Pdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: this.name, labels: this.labels('member') },
      spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: this.memberSelector() },
    });

    // ---- users job ----
    this.usersSql = this.renderUsers();
    this.usersJob();

    if (pooler) {
      this.poolerService = this.createPooler();
    }
    if (backup) {
      this.createBackupJobs();
    }
    if (logical) {
      this.createLogicalBackup(storage);
    }
    for (const workload of workloadsBelow(this)) {
      if (JSON.stringify(workload.toJson()).match(/"imagePullPolicy":"(?!Always")/)) {
        // a digest never changes, or the user chose the policy: kube-score's `Always` rule does not apply
        addKubeScoreIgnore(workload, 'container-image-pull-policy');
      }
    }
    if (props.networkPolicy ?? true) {
      [this.memberIngress, this.poolerIngress] = this.createNetworkPolicies();
    } else {
      // asked for explicitly: the pods' traffic is governed by policies outside this construct
      for (const workload of workloadsBelow(this)) {
        addKubeScoreIgnore(workload, 'pod-networkpolicy');
      }
    }
  }

  /**
   * A connection to a declared database, for the `database` prop of `WebAppWithIngress` and
   * `SerialBatchJob`: they get the libpq env (the password as a `secretKeyRef`, with TLS the CA as
   * a file and `verify-ca`/`verify-full`) and the NetworkPolicy rules of both sides.
   *
   * @param database a declared database
   */
  public connection(database: string, options: PostgresConnectionOptions = {}): PostgresConnection {
    return this.resolveConnection('connection', database, options);
  }

  /**
   * Environment for a workload connecting to a database: `PGHOST`, `PGPORT`, `PGDATABASE`,
   * `PGUSER`, `PGSSLMODE` and `PGPASSWORD` as a `secretKeyRef` to the user's Secret. libpq and most
   * drivers read these directly. The workload's pods must carry the `<name>-client: "true"` label
   * (see `clientLabelKey`) to pass the NetworkPolicy. Env alone carries no CA file, so with TLS
   * the server is not verified (`require`); `connection()` given to a pattern verifies it.
   *
   * @param database a declared database
   */
  public connectionEnv(database: string, options: ConnectionEnvOptions = {}): { [name: string]: kplus.EnvValue } {
    return this.resolveConnection('connectionEnv', database, options)._envValues();
  }

  private resolveConnection(method: string, database: string, options: PostgresConnectionOptions): PostgresConnection {
    const db = (this.props.databases ?? []).find((d) => d.name === database);
    if (!db) {
      throwPropError(this, `${method}(database)`, 'a declared database', database);
    }
    const user = options.user ?? db.owner;
    if (!user) {
      throwPropError(this, `${method}(options.user)`, `a declared user (database ${database} has no owner user)`, user);
    }
    const secret = this.passwordFiles.get(user);
    if (!secret || !(this.props.users ?? []).some((u) => u.name === user)) {
      throwPropError(this, `${method}(options.user)`, 'a declared user', user);
    }
    const readOnly = options.readOnly ?? false;
    const viaPooler = (options.viaPooler ?? true) && this.poolerService !== undefined && !readOnly;
    let service = this.primaryService.name;
    let component = this.ha ? 'member' : 'primary';
    if (readOnly) {
      if (!this.replicaService) {
        throwPropError(this, `${method}(options.readOnly)`, 'false with a single instance (there is no read-only Service)', true);
      }
      service = this.replicaService.name;
      component = this.ha ? 'member' : 'read';
    } else if (viaPooler) {
      service = this.poolerService!.name;
      component = 'pooler';
    }
    const refId = `ConnectionSecret-${secret.name}`;
    const secretRef = (this.node.tryFindChild(refId) as kplus.ISecret | undefined) ?? kplus.Secret.fromSecretName(this, refId, secret.name);
    const tls = this.tlsClient(service);
    const namespace = Chart.of(this).namespace;
    return PostgresConnection._of({
      database,
      user,
      host: tls.host,
      port: PG_PORT,
      sslMode: tls.sslMode,
      readOnly,
      viaPooler,
      password: { secret: secretRef, key: secret.key },
      ca: tls.caFile
        ? {
            secretName: this.props.tls!.secret.name,
            key: 'ca.crt',
            volumeName: `${this.name}-ca`,
            directory: `/etc/postgresql-ca/${this.name}`,
            file: tls.caFile,
          }
        : undefined,
      peer: { podLabels: componentLabels(APP_NAME, this.name, component), namespace, port: viaPooler ? POOLER_PORT : PG_PORT },
      allowFrom: (podLabels, clientNamespace) => {
        const rules = viaPooler ? this.poolerIngress : this.memberIngress;
        rules?.push({
          from: [podPeer(podLabels, clientNamespace, namespace)],
          ports: [{ protocol: 'TCP', port: viaPooler ? POOLER_PORT : PG_PORT }],
        });
      },
    });
  }

  /**
   * How a client reaches `service` with the instance's TLS: the host to name (a name of the
   * certificate when `tls.serverNames` has one for the Service), the sslmode and the CA file.
   */
  private tlsClient(service: string): { host: string; sslMode: string; caFile?: string } {
    const tls = this.props.tls;
    if (!tls) {
      return { host: service, sslMode: 'prefer' };
    }
    if (!(tls.verifyServer ?? true)) {
      return { host: service, sslMode: 'require' };
    }
    const named = (tls.serverNames ?? []).find((n) => n === service || n.startsWith(`${service}.`));
    return { host: named ?? service, sslMode: named ? 'verify-full' : 'verify-ca', caFile: `/etc/postgresql-ca/${this.name}/ca.crt` };
  }

  // ------------------------------------------------------------------ helpers

  /** A container's `image` and `imagePullPolicy`: the policy asked for, else the one fitting the reference. */
  private containerImage(image: string): { image: string; imagePullPolicy: string } {
    return { image, imagePullPolicy: pullPolicyFor(image, this.props.imagePullPolicy) };
  }

  private labels(component: string, extra: Record<string, string> = {}): Record<string, string> {
    return { ...standardLabels({ name: APP_NAME, instance: this.name, component, version: versionFromImage(this.image) }), ...extra };
  }

  private memberSelector(): Record<string, unknown> {
    return {
      matchLabels: { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: this.name },
      matchExpressions: [{ key: LABEL_COMPONENT, operator: 'In', values: ['primary', 'read', 'member'] }],
    };
  }

  /** The StatefulPostgres a CLONE copies, by name: `cloneFrom.clusterName`, or the `<name>-rw` Service in its host. */
  private cloneSourceName(): string | undefined {
    const from = this.props.cloneFrom;
    if (!from) {
      return undefined;
    }
    return from.clusterName ?? /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-rw(\.|$)/.exec(from.host)?.[1];
  }

  private validateRepository(errors: PropErrors, repo: BackupRepository, prop = 'backup.repository'): void {
    if (repo._s3) {
      const s3 = repo._s3;
      errors.check(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s3.bucket), `${prop}.bucket`, 'an S3 bucket name', s3.bucket);
      errors.check(/^[a-z0-9-]{2,32}$/.test(s3.region), `${prop}.region`, 'a region such as eu-west-1', s3.region);
      if (s3.endpoint !== undefined) {
        errors.check(/^[A-Za-z0-9.-]+(:[0-9]+)?$/.test(s3.endpoint), `${prop}.endpoint`, 'a host name (no scheme)', s3.endpoint);
      }
      if (s3.path !== undefined) {
        errors.check(/^\/[A-Za-z0-9._/-]*$/.test(s3.path) && !s3.path.includes('..'), `${prop}.path`, 'an absolute path', s3.path);
      }
      for (const [key, value] of [
        ['accessKeyIdKey', s3.accessKeyIdKey],
        ['secretAccessKeyKey', s3.secretAccessKeyKey],
      ] as const) {
        errors.check(value === undefined || /^[-._a-zA-Z0-9]+$/.test(value), `${prop}.${key}`, 'a Secret key', value);
      }
      const caKey = s3.caBundleKey;
      errors.check(caKey === undefined || /^[-._a-zA-Z0-9]+$/.test(caKey), `${prop}.caBundleKey`, 'a ConfigMap key', caKey);
    } else if (repo._volume) {
      const size = repo._volume.size ?? Size.gibibytes(20);
      const kib = sizeInKibibytes(size);
      errors.check(
        kib !== undefined && kib >= 1024 * 1024 && kib % 1024 === 0,
        `${prop}.size`,
        'at least 1Gi and a whole number of MiB',
        size.asString(),
      );
    }
  }

  private service(id: string, name: string, component: string, role?: string, headless = false): kplus.Service {
    const svc = new kplus.Service(this, id, {
      metadata: { name, labels: this.labels(component) },
      ports: [{ name: 'postgresql', port: PG_PORT, targetPort: PG_PORT }],
      clusterIP: headless ? 'None' : undefined,
    });
    svc.selectLabel(LABEL_NAME, APP_NAME);
    svc.selectLabel(LABEL_INSTANCE, this.name);
    if (headless) {
      svc.selectLabel(`postgresql.cdk8s-patterns.io/member`, 'true');
      ApiObject.of(svc).addJsonPatch(JsonPatch.add('/spec/publishNotReadyAddresses', true));
    } else {
      svc.selectLabel(LABEL_COMPONENT, component);
    }
    if (role) {
      svc.selectLabel('role', role);
      const obj = ApiObject.of(svc);
      obj.metadata.addAnnotation(
        'ignore-check.kube-linter.io/dangling-service',
        'Patroni sets the role label on the current primary/replicas at runtime',
      );
      obj.metadata.addAnnotation('kube-score/ignore', 'service-targets-pod');
    }
    return svc;
  }

  private secretVolumes(): Record<string, unknown>[] {
    const vols = [secretFileVolume('superuser-password', this.superuser.name, this.superuser.key)];
    const repl = this.passwordFiles.get(REPLICATION_USER);
    if (repl) {
      vols.push(secretFileVolume('replication-password', repl.name, repl.key));
    }
    return vols;
  }

  private secretMounts(): Record<string, unknown>[] {
    const mounts = [{ name: 'superuser-password', mountPath: `${SECRETS_DIR}/superuser`, readOnly: true }];
    if (this.passwordFiles.has(REPLICATION_USER)) {
      mounts.push({ name: 'replication-password', mountPath: `${SECRETS_DIR}/replication`, readOnly: true });
    }
    return mounts;
  }

  private commonPgEnv(): Record<string, unknown>[] {
    const out = [
      env('PGDATA', this.pgdata),
      env('PG_CONFIG_DIR', CONFIG_DIR),
      env('PG_SCRIPTS_DIR', CONFIG_DIR),
      env('PG_SOCKET_DIR', SOCKET_DIR),
      env('PG_RUNTIME_DIR', '/tmp/postgres'),
      env('SUPERUSER_PASSWORD_FILE', `${SECRETS_DIR}/superuser/password`),
      env('REPLICATION_USER', REPLICATION_USER),
      fieldEnv('POD_NAME', 'metadata.name'),
    ];
    if (this.passwordFiles.has(REPLICATION_USER)) {
      out.push(env('REPLICATION_PASSWORD_FILE', `${SECRETS_DIR}/replication/password`));
    }
    return out;
  }

  private exporterContainer(): Record<string, unknown> {
    return {
      name: 'metrics',
      ...this.containerImage(this.props.metrics?.image ?? EXPORTER_IMAGE),
      env: [
        env('DATA_SOURCE_URI', `127.0.0.1:${PG_PORT}/postgres?sslmode=disable`),
        env('DATA_SOURCE_USER', METRICS_USER),
        env('DATA_SOURCE_PASS_FILE', `${SECRETS_DIR}/metrics/password`),
      ],
      ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
      resources: resources('50m', '200m', '64Mi', '16Mi', '64Mi'),
      securityContext: containerSecurity(this.uid, this.gid),
      livenessProbe: { tcpSocket: { port: 'metrics' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
      readinessProbe: { httpGet: { path: '/', port: 'metrics' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      volumeMounts: [{ name: 'metrics-password', mountPath: `${SECRETS_DIR}/metrics`, readOnly: true }],
    };
  }

  private agentContainer(): Record<string, unknown> {
    const backup = this.props.backup!;
    const envs: Record<string, unknown>[] = [
      env('PGDATA', this.pgdata),
      env('PGBACKREST_STANZA', STANZA),
      env('PGBACKREST_CONFIG', `${PGBACKREST_CONFIG_DIR}/pgbackrest.conf`),
      env('PGBACKREST_PG1_PATH', this.pgdata),
      env('PGBACKREST_PG1_SOCKET_PATH', SOCKET_DIR),
      env('PGBACKREST_LOCK_PATH', '/tmp/pgbackrest'),
      env('PGBACKREST_SPOOL_PATH', '/tmp/pgbackrest/spool'),
      env('ARCHIVE_SPOOL_DIR', SPOOL_DIR),
      env('PG_RUNTIME_DIR', '/tmp/pgbackrest-agent'),
      env('PGPASSFILE', '/tmp/pgbackrest-agent/pgpass'),
      env('SUPERUSER_PASSWORD_FILE', `${SECRETS_DIR}/superuser/password`),
      ...this.repositoryEnv(this.ownRepository()),
    ];
    const source = this.sourceRepository();
    if (source) {
      // restore_command reads the restore source, read only (see pgbackrest-agent.sh)
      envs.push(
        env('RESTORE_SOURCE_CONFIG', `${PGBACKREST_CONFIG_DIR}/restore-source.conf`),
        env('RESTORE_SOURCE_STANZA', this.props.restoreFrom!.stanza ?? STANZA),
        ...this.repositoryEnv(source, 'RESTORE_SOURCE_'),
      );
    }
    const mounts: Record<string, unknown>[] = [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'pgbackrest-config', mountPath: PGBACKREST_CONFIG_DIR, readOnly: true },
      { name: 'run', mountPath: SOCKET_DIR },
      { name: 'spool', mountPath: SPOOL_DIR },
      { name: 'agent-tmp', mountPath: '/tmp' },
      { name: 'superuser-password', mountPath: `${SECRETS_DIR}/superuser`, readOnly: true },
      ...this.repositoryMounts(this.ownRepository()),
      ...(source ? this.repositoryMounts(source) : []),
    ];
    return {
      name: 'pgbackrest',
      ...this.containerImage(backup.image ?? PGBACKREST_IMAGE),
      command: ['/bin/sh', `${CONFIG_DIR}/pgbackrest-agent.sh`],
      env: envs,
      resources: resources('50m', '1', '128Mi', '64Mi', '1Gi'),
      securityContext: containerSecurity(this.uid, this.gid),
      livenessProbe: {
        exec: { command: ['/bin/sh', '-c', `test -d ${SPOOL_DIR}/request`] },
        periodSeconds: 30,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      readinessProbe: { exec: { command: ['pgbackrest', 'version'] }, periodSeconds: 30, timeoutSeconds: 10, failureThreshold: 3 },
      volumeMounts: mounts,
    };
  }

  /** This cluster's own repository, where it archives and backs up. */
  private ownRepository(): RepositoryTarget {
    const backup = this.props.backup!;
    return { repository: backup.repository, clusterName: this.name, encryptionKey: backup.encryptionKey, suffix: '', readOnly: false };
  }

  /** The read-only repository a restore reads (`restoreFrom`), if any. */
  private sourceRepository(): RepositoryTarget | undefined {
    const src = this.props.restoreFrom;
    return src
      ? { repository: src.repository, clusterName: src.clusterName, encryptionKey: src.encryptionKey, suffix: '-source', readOnly: true }
      : undefined;
  }

  /**
   * Env pointing pgBackRest at the repository volume or at the CA bundle of an S3 repository, and
   * the repository's secrets (`secretKeyRef`), with names `<prefix>REPO1_...`.
   */
  private repositoryEnv(t: RepositoryTarget, prefix = 'PGBACKREST_'): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    const s3 = t.repository._s3;
    if (t.repository._volume) {
      out.push(env(`${prefix}REPO1_PATH`, `${PGBACKREST_REPO_MOUNT}${t.suffix}`));
    } else if (s3?.caBundle) {
      out.push(env(`${prefix}REPO1_STORAGE_CA_FILE`, `${PGBACKREST_CA_DIR}${t.suffix}/ca.crt`));
    }
    if (s3?.credentials) {
      out.push(secretEnv(`${prefix}REPO1_S3_KEY`, s3.credentials.name, s3.accessKeyIdKey ?? 'AWS_ACCESS_KEY_ID'));
      out.push(secretEnv(`${prefix}REPO1_S3_KEY_SECRET`, s3.credentials.name, s3.secretAccessKeyKey ?? 'AWS_SECRET_ACCESS_KEY'));
    }
    if (t.encryptionKey) {
      out.push(secretEnv(`${prefix}REPO1_CIPHER_PASS`, t.encryptionKey.secret.name, t.encryptionKey.key ?? 'password'));
    }
    return out;
  }

  /** Mounts of the repository volume or of the CA bundle, in every container that runs pgBackRest. */
  private repositoryMounts(t: RepositoryTarget): Record<string, unknown>[] {
    if (t.repository._volume) {
      return [{ name: `pgbackrest-repo${t.suffix}`, mountPath: `${PGBACKREST_REPO_MOUNT}${t.suffix}`, ...(t.readOnly ? { readOnly: true } : {}) }];
    }
    return t.repository._s3?.caBundle ? [{ name: `pgbackrest-ca${t.suffix}`, mountPath: `${PGBACKREST_CA_DIR}${t.suffix}`, readOnly: true }] : [];
  }

  /** The volumes behind {@link repositoryMounts}. */
  private repositoryVolumes(t: RepositoryTarget): Record<string, unknown>[] {
    const repo = t.repository;
    if (repo._volume) {
      const claim = { claimName: `${t.clusterName}-pgbackrest-repo`, ...(t.readOnly ? { readOnly: true } : {}) };
      return [{ name: `pgbackrest-repo${t.suffix}`, persistentVolumeClaim: claim }];
    }
    const ca = repo._s3?.caBundle;
    return ca
      ? [
          {
            name: `pgbackrest-ca${t.suffix}`,
            configMap: { name: ca.name, items: [{ key: repo._s3!.caBundleKey ?? 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 },
          },
        ]
      : [];
  }

  private renderPgBackRestConf(t: RepositoryTarget, retention: number, stanza: string): string {
    const repo = t.repository;
    const lines = ['# pgBackRest configuration generated by StatefulPostgres; credentials come from PGBACKREST_* environment variables.', '[global]'];
    if (repo._s3) {
      const s3 = repo._s3;
      lines.push(
        'repo1-type=s3',
        `repo1-path=${s3.path ?? `/pgbackrest/${t.clusterName}`}`,
        `repo1-s3-bucket=${s3.bucket}`,
        `repo1-s3-endpoint=${s3.endpoint ?? `s3.${s3.region}.amazonaws.com`}`,
        `repo1-s3-region=${s3.region}`,
        `repo1-s3-uri-style=${s3.uriStyle ?? S3UriStyle.HOST}`,
        `repo1-s3-key-type=${s3.credentials ? 'shared' : 'auto'}`,
      );
    } else {
      lines.push('repo1-type=posix', `repo1-path=${PGBACKREST_REPO_MOUNT}${t.suffix}`);
    }
    lines.push('repo1-retention-full-type=count', `repo1-retention-full=${retention}`);
    if (t.encryptionKey) {
      lines.push('repo1-cipher-type=aes-256-cbc');
    }
    lines.push(
      'compress-type=lz4',
      'start-fast=y',
      'delta=y',
      'process-max=2',
      'archive-async=n',
      'lock-path=/tmp/pgbackrest',
      'spool-path=/tmp/pgbackrest/spool',
      'log-level-console=info',
      'log-level-file=off',
      '',
      `[${stanza}]`,
      `pg1-path=${this.pgdata}`,
      `pg1-port=${PG_PORT}`,
      `pg1-socket-path=${SOCKET_DIR}`,
      `pg1-user=${SUPERUSER}`,
    );
    return lines.join('\n') + '\n';
  }

  private podAnnotations(checksum: string): Record<string, string> {
    const a: Record<string, string> = { 'checksum/config': checksum };
    if (this.metricsEnabled) {
      a['prometheus.io/scrape'] = 'true';
      a['prometheus.io/port'] = String(METRICS_PORT);
      a['prometheus.io/path'] = '/metrics';
    }
    return a;
  }

  private workloadAnnotations(): Record<string, string> {
    if (this.uid >= 10000 && this.gid >= 10000) {
      return {};
    }
    return {
      'kube-score/ignore': 'container-security-context-user-group-id',
      'postgresql.cdk8s-patterns.io/uid-reason': `the image's postgres account is uid ${this.uid}/gid ${this.gid}; initdb and postgres refuse a uid without a passwd entry`,
    };
  }

  /**
   * The postgres container's mounts, the same for a fixed member and a Patroni member: data,
   * config, socket, tmp and shm, then `secretMounts`, the archive spool and the TLS Secret.
   */
  private postgresMounts(secretMounts: Record<string, unknown>[]): Record<string, unknown>[] {
    const mounts: Record<string, unknown>[] = [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'run', mountPath: SOCKET_DIR },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'shm', mountPath: '/dev/shm' },
      ...secretMounts,
    ];
    if (this.props.backup) {
      mounts.push({ name: 'spool', mountPath: SPOOL_DIR });
    }
    if (this.props.tls) {
      mounts.push({ name: 'tls', mountPath: `${SECRETS_DIR}/tls`, readOnly: true });
    }
    return mounts;
  }

  private memberStatefulSet(
    role: 'primary' | 'read',
    replicas: number,
    checksum: string,
    memory: Size,
    cpu: kplus.Cpu,
    cpuLimit: kplus.Cpu,
    storage: Size,
    grace: Duration,
  ): ApiObject {
    const props = this.props;
    const backup = role === 'primary' ? props.backup : undefined;
    const stsName = `${this.name}-${role}`;
    const selector = selectorLabels({ name: APP_NAME, instance: this.name, component: role });
    const podLabels: Record<string, string> = { ...this.labels(role), 'postgresql.cdk8s-patterns.io/member': 'true' };
    const cloneSource = role === 'primary' ? this.cloneSourceName() : undefined;
    if (cloneSource) {
      // the source's NetworkPolicy admits its clients: the clone's primary is one
      podLabels[`${cloneSource}-client`] = 'true';
    }
    const memQ = sizeToQuantity(memory);
    const memKiB = sizeInKibibytes(memory)!;
    const shm = sizeToQuantity(Size.kibibytes(Math.max(256 * 1024, Math.floor(memKiB / 4 / 1024) * 1024)));

    const pgEnv = this.commonPgEnv();
    pgEnv.push(env('PGHOST', SOCKET_DIR), env('PGUSER', SUPERUSER), env('PGPASSFILE', '/tmp/postgres/pgpass'));
    if (role === 'read') {
      pgEnv.push(env('PRIMARY_HOST', this.primaryService.name), env('PRIMARY_PORT', String(PG_PORT)));
    }
    if (props.backup) {
      pgEnv.push(env('ARCHIVE_SPOOL_DIR', SPOOL_DIR));
    }
    if (props.tls) {
      pgEnv.push(env('TLS_DIR', `${SECRETS_DIR}/tls`));
    }
    const pgMounts = this.postgresMounts(this.secretMounts());
    const postgres = {
      name: 'postgres',
      ...this.containerImage(this.image),
      command: ['/bin/sh', `${CONFIG_DIR}/start-postgres.sh`],
      env: pgEnv,
      ports: [{ name: 'postgresql', containerPort: PG_PORT, protocol: 'TCP' }],
      resources: resources(cpuToQuantity(cpu), cpuToQuantity(cpuLimit), memQ, '256Mi', '2Gi'),
      securityContext: containerSecurity(this.uid, this.gid),
      startupProbe: { exec: { command: pgIsReadyCommand(true) }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 360 },
      livenessProbe: { exec: { command: pgIsReadyCommand(true) }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
      // the primary is ready for the read-write Service once it accepts writes, replicas once they accept reads
      readinessProbe: {
        exec: { command: role === 'primary' ? acceptingWritesCommand() : pgIsReadyCommand(false) },
        periodSeconds: 5,
        timeoutSeconds: 5,
        failureThreshold: 3,
      },
      volumeMounts: pgMounts,
    };

    const initEnv = this.commonPgEnv();
    const initMounts: Record<string, unknown>[] = [
      { name: 'data', mountPath: DATA_MOUNT },
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
      ...this.secretMounts(),
    ];
    const initContainers: Record<string, unknown>[] = [];
    if (role === 'primary') {
      const onEmpty = props.onEmptyPrimary ?? OnEmptyPrimary.INITIALIZE;
      initEnv.push(env('ON_EMPTY_PRIMARY', onEmpty));
      if (props.cloneFrom) {
        initEnv.push(
          env('CLONE_HOST', props.cloneFrom.host),
          env('CLONE_PORT', String(props.cloneFrom.port ?? PG_PORT)),
          env('CLONE_USER', props.cloneFrom.user ?? REPLICATION_USER),
          env('CLONE_PASSWORD_FILE', `${SECRETS_DIR}/clone/password`),
        );
        initMounts.push({ name: 'clone-password', mountPath: `${SECRETS_DIR}/clone`, readOnly: true });
      }
      if (onEmpty === OnEmptyPrimary.RESTORE_FROM_BACKUP) {
        // the restore reads the restore source when there is one, else the own repository
        const from = this.sourceRepository() ?? this.ownRepository();
        const restoreEnv = [
          env('PGDATA', this.pgdata),
          env('PGBACKREST_STANZA', props.restoreFrom?.stanza ?? STANZA),
          env('PGBACKREST_CONFIG', `${PGBACKREST_CONFIG_DIR}/${props.restoreFrom ? 'restore-source.conf' : 'pgbackrest.conf'}`),
          env('PGBACKREST_PG1_PATH', this.pgdata),
          env('PGBACKREST_LOCK_PATH', '/tmp/pgbackrest'),
          env('PGBACKREST_SPOOL_PATH', '/tmp/pgbackrest/spool'),
          env('PG_SCRIPTS_DIR', CONFIG_DIR),
          ...this.repositoryEnv(from),
        ];
        if (props.recoveryTargetTime) {
          restoreEnv.push(env('RECOVERY_TARGET_TIME', normalizeRecoveryTargetTime(props.recoveryTargetTime)!));
        }
        const restoreMounts: Record<string, unknown>[] = [
          { name: 'data', mountPath: DATA_MOUNT },
          { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
          { name: 'pgbackrest-config', mountPath: PGBACKREST_CONFIG_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
          ...this.repositoryMounts(from),
        ];
        initContainers.push({
          name: 'restore',
          ...this.containerImage(props.backup!.image ?? PGBACKREST_IMAGE),
          command: ['/bin/sh', `${CONFIG_DIR}/restore-backup.sh`],
          env: restoreEnv,
          resources: resources('100m', '2', '256Mi', '64Mi', '1Gi'),
          securityContext: containerSecurity(this.uid, this.gid),
          volumeMounts: restoreMounts,
        });
      }
    } else {
      initEnv.push(env('PRIMARY_HOST', this.primaryService.name), env('PRIMARY_PORT', String(PG_PORT)));
    }
    initContainers.push({
      name: 'bootstrap',
      ...this.containerImage(this.image),
      command: ['/bin/sh', `${CONFIG_DIR}/${role === 'primary' ? 'bootstrap-primary.sh' : 'bootstrap-replica.sh'}`],
      env: initEnv,
      resources: resources(cpuToQuantity(cpu), cpuToQuantity(cpuLimit), memQ, '256Mi', '2Gi'),
      securityContext: containerSecurity(this.uid, this.gid),
      volumeMounts: initMounts,
    });

    const containers: Record<string, unknown>[] = [postgres];
    if (this.metricsEnabled) {
      containers.push(this.exporterContainer());
    }
    if (backup) {
      containers.push(this.agentContainer());
    }

    const volumes: Record<string, unknown>[] = [
      { name: 'config', configMap: { name: this.configMap.name, defaultMode: 0o444 } },
      emptyDir('run', '16Mi'),
      emptyDir('tmp', '1Gi'),
      emptyDir('shm', shm, true),
      ...this.secretVolumes(),
    ];
    if (this.metricsEnabled) {
      const m = this.passwordFiles.get(METRICS_USER)!;
      volumes.push(secretFileVolume('metrics-password', m.name, m.key));
    }
    if (props.backup) {
      volumes.push(emptyDir('spool', '64Mi'));
    }
    if (backup || (role === 'primary' && props.onEmptyPrimary === OnEmptyPrimary.RESTORE_FROM_BACKUP)) {
      volumes.push(
        { name: 'pgbackrest-config', configMap: { name: `${this.name}-pgbackrest`, defaultMode: 0o444 } },
        ...this.repositoryVolumes(this.ownRepository()),
      );
      const source = role === 'primary' ? this.sourceRepository() : undefined;
      if (source) {
        volumes.push(...this.repositoryVolumes(source));
      }
    }
    if (backup) {
      volumes.push(emptyDir('agent-tmp', '1Gi'));
    }
    if (props.tls) {
      volumes.push({ name: 'tls', secret: { secretName: props.tls.secret.name, defaultMode: 0o440 } });
    }
    if (role === 'primary' && props.cloneFrom) {
      volumes.push(secretFileVolume('clone-password', props.cloneFrom.password.secret.name, props.cloneFrom.password.key ?? 'password'));
    }

    const memberSel = this.memberSelector();
    const vct: Record<string, unknown> = {
      metadata: { name: 'data', labels: this.labels(role) },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: sizeToQuantity(storage) } },
        ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
      },
    };

    return new ApiObject(this, role === 'primary' ? 'PrimaryStatefulSet' : 'ReplicaStatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: stsName, labels: this.labels(role), annotations: this.workloadAnnotations() },
      spec: {
        replicas,
        serviceName: this.headlessService.name,
        podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate' },
        minReadySeconds: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: podLabels, annotations: this.podAnnotations(checksum) },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity(this.uid, this.gid),
            terminationGracePeriodSeconds: grace.toSeconds(),
            ...spreadOut(memberSel),
            initContainers,
            containers,
            volumes,
          },
        },
        volumeClaimTemplates: [vct],
      },
    });
  }

  private renderPatroniConfig(
    derived: Record<string, string>,
    constructSettings: Record<string, string>,
    parameters: Record<string, string>,
    sync: number,
  ): string {
    const params: Record<string, string> = { ...derived, ...constructSettings, ...parameters };
    delete params.synchronous_standby_names;
    const base: Record<string, string> = {};
    for (const line of assets.POSTGRESQL_BASE_CONF.split('\n')) {
      const m = /^([a-z_][a-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && !['listen_addresses', 'port'].includes(m[1])) {
        base[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
      }
    }
    const config = {
      scope: this.name,
      restapi: { listen: `0.0.0.0:${PATRONI_PORT}` },
      kubernetes: {
        use_endpoints: false,
        bypass_api_service: false,
        labels: { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: this.name },
        role_label: 'role',
        leader_label_value: 'primary',
        follower_label_value: 'replica',
        standby_leader_label_value: 'primary',
        tmp_role_label: 'tmp_role',
      },
      bootstrap: {
        dcs: {
          ttl: this.props.highAvailability?.ttl?.toSeconds() ?? 30,
          loop_wait: 10,
          retry_timeout: 10,
          maximum_lag_on_failover: 1048576,
          failsafe_mode: true,
          synchronous_mode: sync > 0,
          synchronous_node_count: Math.max(1, sync),
          postgresql: { use_pg_rewind: true, use_slots: true, parameters: { ...base, ...params } },
        },
        initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
      },
      postgresql: {
        listen: `0.0.0.0:${PG_PORT}`,
        data_dir: this.pgdata,
        bin_dir: `/usr/lib/postgresql/${this.version}/bin`,
        pgpass: '/tmp/pgpass',
        authentication: { superuser: { username: SUPERUSER }, replication: { username: REPLICATION_USER }, rewind: { username: SUPERUSER } },
        parameters: {
          unix_socket_directories: SOCKET_DIR,
          // the Secret's files are root-owned and group-readable (0440), which PostgreSQL accepts for a key
          ...(this.props.tls ? { ssl: 'on', ssl_cert_file: `${SECRETS_DIR}/tls/tls.crt`, ssl_key_file: `${SECRETS_DIR}/tls/tls.key` } : {}),
        },
        pg_hba: this.pgHbaConf.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')),
      },
    };
    return `# Patroni configuration generated by StatefulPostgres (JSON is valid YAML).\n${JSON.stringify(config, null, 2)}\n`;
  }

  private patroniStatefulSet(checksum: string, memory: Size, cpu: kplus.Cpu, cpuLimit: kplus.Cpu, storage: Size, grace: Duration): ApiObject {
    const props = this.props;
    const sa = new kplus.ServiceAccount(this, 'PatroniServiceAccount', {
      metadata: { name: `${this.name}-patroni`, labels: this.labels('member') },
      automountToken: true,
    });
    const role = new ApiObject(this, 'PatroniRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `${this.name}-patroni`, labels: this.labels('member') },
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'patch', 'update', 'watch', 'delete', 'deletecollection'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'patch', 'update', 'watch'] },
        { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new ApiObject(this, 'PatroniRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${this.name}-patroni`, labels: this.labels('member') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name }],
    });
    const memQ = sizeToQuantity(memory);
    const memKiB = sizeInKibibytes(memory)!;
    const shm = sizeToQuantity(Size.kibibytes(Math.max(256 * 1024, Math.floor(memKiB / 4 / 1024) * 1024)));
    const repl = this.passwordFiles.get(REPLICATION_USER)!;
    const envs: Record<string, unknown>[] = [
      fieldEnv('PATRONI_NAME', 'metadata.name'),
      fieldEnv('PATRONI_KUBERNETES_NAMESPACE', 'metadata.namespace'),
      fieldEnv('PATRONI_KUBERNETES_POD_IP', 'status.podIP'),
      fieldEnv('POD_IP', 'status.podIP'),
      env('PATRONI_POSTGRESQL_CONNECT_ADDRESS', `$(POD_IP):${PG_PORT}`),
      env('PATRONI_RESTAPI_CONNECT_ADDRESS', `$(POD_IP):${PATRONI_PORT}`),
      secretEnv('PATRONI_SUPERUSER_PASSWORD', this.superuser.name, this.superuser.key),
      secretEnv('PATRONI_REPLICATION_PASSWORD', repl.name, repl.key),
      secretEnv('PATRONI_REWIND_PASSWORD', this.superuser.name, this.superuser.key),
      env('PGDATA', this.pgdata),
      env('PG_SCRIPTS_DIR', CONFIG_DIR),
      env('HOME', '/tmp'),
    ];
    if (props.backup) {
      envs.push(env('ARCHIVE_SPOOL_DIR', SPOOL_DIR));
    }
    const mounts = this.postgresMounts([]);
    const patroni = {
      name: 'postgres',
      ...this.containerImage(this.image),
      command: ['patroni', `${CONFIG_DIR}/patroni.yml`],
      env: envs,
      ports: [
        { name: 'postgresql', containerPort: PG_PORT, protocol: 'TCP' },
        { name: 'patroni', containerPort: PATRONI_PORT, protocol: 'TCP' },
      ],
      resources: resources(cpuToQuantity(cpu), cpuToQuantity(cpuLimit), memQ, '256Mi', '2Gi'),
      securityContext: containerSecurity(this.uid, this.gid),
      startupProbe: { httpGet: { path: '/liveness', port: 'patroni' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 360 },
      livenessProbe: { httpGet: { path: '/liveness', port: 'patroni' }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
      readinessProbe: { httpGet: { path: '/readiness', port: 'patroni' }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
      volumeMounts: mounts,
    };
    const containers: Record<string, unknown>[] = [patroni];
    if (this.metricsEnabled) {
      containers.push(this.exporterContainer());
    }
    if (props.backup) {
      containers.push(this.agentContainer());
    }
    const volumes: Record<string, unknown>[] = [
      { name: 'config', configMap: { name: this.configMap.name, defaultMode: 0o444 } },
      emptyDir('run', '16Mi'),
      emptyDir('tmp', '1Gi'),
      emptyDir('shm', shm, true),
      secretFileVolume('superuser-password', this.superuser.name, this.superuser.key),
    ];
    if (this.metricsEnabled) {
      const m = this.passwordFiles.get(METRICS_USER)!;
      volumes.push(secretFileVolume('metrics-password', m.name, m.key));
    }
    if (props.backup) {
      volumes.push(
        emptyDir('spool', '64Mi'),
        emptyDir('agent-tmp', '1Gi'),
        {
          name: 'pgbackrest-config',
          configMap: { name: `${this.name}-pgbackrest`, defaultMode: 0o444 },
        },
        ...this.repositoryVolumes(this.ownRepository()),
      );
    }
    if (props.tls) {
      volumes.push({ name: 'tls', secret: { secretName: props.tls.secret.name, defaultMode: 0o440 } });
    }
    return new ApiObject(this, 'PrimaryStatefulSet', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: this.name, labels: this.labels('member'), annotations: this.workloadAnnotations() },
      spec: {
        replicas: this.replicas,
        serviceName: this.headlessService.name,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate' },
        minReadySeconds: 10,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        selector: { matchLabels: selectorLabels({ name: APP_NAME, instance: this.name, component: 'member' }) },
        template: {
          metadata: {
            labels: { ...this.labels('member'), 'postgresql.cdk8s-patterns.io/member': 'true' },
            annotations: this.podAnnotations(checksum),
          },
          spec: {
            serviceAccountName: sa.name,
            automountServiceAccountToken: true,
            enableServiceLinks: false,
            securityContext: podSecurity(this.uid, this.gid),
            terminationGracePeriodSeconds: grace.toSeconds(),
            ...spreadOut(this.memberSelector()),
            containers,
            volumes,
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: this.labels('member') },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: sizeToQuantity(storage) } },
              ...(props.storageClassName ? { storageClassName: props.storageClassName } : {}),
            },
          },
        ],
      },
    });
  }

  private renderUsers(): string {
    const roles: RoleSpec[] = [];
    const system = (name: string, attributes: string): void => {
      if (this.passwordFiles.has(name)) {
        roles.push({ name, attributes, login: true, connectionLimit: -1, memberOf: [], hasPassword: true });
      }
    };
    system(REPLICATION_USER, 'REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE');
    system(METRICS_USER, 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION');
    system(POOLER_USER, 'NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION');
    const grants: GrantSpec[] = [];
    for (const u of this.props.users ?? []) {
      roles.push({
        name: u.name,
        attributes: `NOSUPERUSER ${u.createDatabases ? 'CREATEDB' : 'NOCREATEDB'} NOCREATEROLE NOREPLICATION NOBYPASSRLS`,
        login: u.login ?? true,
        connectionLimit: u.connectionLimit ?? -1,
        memberOf: u.memberOf ?? [],
        hasPassword: true,
      });
      for (const g of u.grants ?? []) {
        grants.push({ role: u.name, database: g.database, access: g.access });
      }
    }
    const databases: DatabaseSpec[] = (this.props.databases ?? []).map((d) => ({
      name: d.name,
      owner: d.owner ?? SUPERUSER,
      extensions: d.extensions ?? [],
    }));
    return renderUsersSql({
      roles,
      databases,
      grants,
      poolerUser: this.pooled ? POOLER_USER : undefined,
      metricsUser: this.metricsEnabled ? METRICS_USER : undefined,
    });
  }

  private jobPodSpec(
    component: string,
    containers: Record<string, unknown>[],
    volumes: Record<string, unknown>[],
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      metadata: { labels: { ...this.labels(component) } },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurity(this.uid, this.gid),
        containers,
        volumes,
        ...extra,
      },
    };
  }

  private usersJob(): void {
    const data = { 'users.sql': this.usersSql, 'apply-users.sh': assets.APPLY_USERS_SH };
    const cm = new kplus.ConfigMap(this, 'UsersConfig', { metadata: { name: `${this.name}-users`, labels: this.labels('users') }, data });
    const volumes: Record<string, unknown>[] = [
      { name: 'users', configMap: { name: cm.name, defaultMode: 0o444 } },
      secretFileVolume('superuser-password', this.superuser.name, this.superuser.key),
      emptyDir('tmp', '64Mi'),
    ];
    const mounts: Record<string, unknown>[] = [
      { name: 'users', mountPath: '/etc/postgres-users/script', readOnly: true },
      { name: 'superuser-password', mountPath: `${SECRETS_DIR}/superuser`, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ];
    let i = 0;
    for (const [role, s] of this.passwordFiles) {
      volumes.push(secretFileVolume(`password-${i}`, s.name, s.key));
      mounts.push({ name: `password-${i}`, mountPath: `/etc/postgres-users/passwords/${role}`, readOnly: true });
      i++;
    }
    const hash = sha256Of({ data, secrets: [...this.passwordFiles.entries()], image: this.image }).slice(0, 8);
    const container = {
      name: 'apply-users',
      ...this.containerImage(this.ha ? POSTGRES_IMAGES[this.version] : this.image),
      command: ['/bin/sh', '/etc/postgres-users/script/apply-users.sh'],
      env: [
        env('PGHOST', this.primaryService.name),
        env('PGPORT', String(PG_PORT)),
        env('SUPERUSER_PASSWORD_FILE', `${SECRETS_DIR}/superuser/password`),
        env('USERS_SQL', '/etc/postgres-users/script/users.sql'),
        env('USER_PASSWORDS_DIR', '/etc/postgres-users/passwords'),
        env('PG_RUNTIME_DIR', '/tmp/apply-users'),
        env('PGSSLMODE', this.props.tls ? 'require' : 'prefer'),
      ],
      resources: resources('50m', '500m', '64Mi', '16Mi', '64Mi'),
      securityContext: containerSecurity(this.uid, this.gid),
      volumeMounts: mounts,
    };
    new ApiObject(this, 'UsersJob', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${this.name}-users-${hash}`, labels: this.labels('users'), annotations: this.workloadAnnotations() },
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 1800,
        ttlSecondsAfterFinished: 3600,
        template: this.jobPodSpec('users', [container], volumes),
      },
    });
  }

  private createPooler(): kplus.Service {
    const opts = this.props.pooler!;
    const replicas = opts.replicas ?? 2;
    const poolMode = opts.poolMode ?? PoolMode.TRANSACTION;
    const ini = assets.PGBOUNCER_INI_TMPL.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      const values: Record<string, string> = {
        primaryHost: this.tlsClient(this.primaryService.name).host,
        primaryPort: String(PG_PORT),
        listenPort: String(POOLER_PORT),
        authUser: POOLER_USER,
        poolMode,
        maxClientConnections: String(opts.maxClientConnections ?? 1000),
        defaultPoolSize: String(opts.defaultPoolSize ?? 20),
        reservePoolSize: String(Math.max(1, Math.floor((opts.defaultPoolSize ?? 20) / 4))),
        maxDbConnections: String(Math.max(1, (this.props.maxConnections ?? 100) - 10)),
        maxPreparedStatements: String(opts.maxPreparedStatements ?? 200),
        tlsSettings: this.poolerTlsSettings(POOLER_TLS_DIR),
      };
      return values[key];
    });
    const data = { 'pgbouncer.ini': ini, 'pooler-init.sh': assets.POOLER_INIT_SH };
    const cm = new kplus.ConfigMap(this, 'PoolerConfig', { metadata: { name: `${this.name}-pooler`, labels: this.labels('pooler') }, data });
    const auth = this.passwordFiles.get(POOLER_USER)!;
    const selector = selectorLabels({ name: APP_NAME, instance: this.name, component: 'pooler' });
    const memory = sizeToQuantity(opts.memory ?? Size.mebibytes(128));
    const cpuMillis = cpuInMillis(opts.cpu ?? kplus.Cpu.millis(100))!;
    const cpu = cpuToQuantity(kplus.Cpu.millis(cpuMillis));
    const cpuLimit = cpuToQuantity(kplus.Cpu.millis(cpuMillis * 4));
    const runtime = '/etc/pgbouncer/run';
    const user = 10001;
    const init = {
      name: 'config',
      // the instance's image (a mirrored or local one works); with Patroni, the official image as for the users Job
      ...this.containerImage(this.ha ? (POSTGRES_IMAGES[this.version] ?? POSTGRES_IMAGES[15]) : this.image),
      command: ['/bin/sh', '/etc/pgbouncer/config/pooler-init.sh'],
      env: [
        env('POOLER_CONFIG_DIR', '/etc/pgbouncer/config'),
        env('POOLER_RUNTIME_DIR', runtime),
        env('POOLER_AUTH_USER', POOLER_USER),
        env('POOLER_PASSWORD_FILE', `${SECRETS_DIR}/pooler/password`),
      ],
      resources: resources('50m', '200m', '32Mi', '16Mi', '32Mi'),
      securityContext: containerSecurity(user, user),
      volumeMounts: [
        { name: 'config', mountPath: '/etc/pgbouncer/config', readOnly: true },
        { name: 'runtime', mountPath: runtime },
        { name: 'pooler-password', mountPath: `${SECRETS_DIR}/pooler`, readOnly: true },
      ],
    };
    const pgbouncer = {
      name: 'pgbouncer',
      ...this.containerImage(opts.image ?? PGBOUNCER_IMAGE),
      command: ['pgbouncer', `${runtime}/pgbouncer.ini`],
      ports: [{ name: 'pgbouncer', containerPort: POOLER_PORT, protocol: 'TCP' }],
      resources: resources(cpu, cpuLimit, memory, '16Mi', '64Mi'),
      securityContext: containerSecurity(user, user),
      livenessProbe: { tcpSocket: { port: 'pgbouncer' }, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 3 },
      readinessProbe: { tcpSocket: { port: 'pgbouncer' }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      volumeMounts: [
        { name: 'runtime', mountPath: runtime, readOnly: true },
        { name: 'tmp', mountPath: '/tmp' },
        ...(this.props.tls ? [{ name: 'tls', mountPath: POOLER_TLS_DIR, readOnly: true }] : []),
      ],
    };
    new ApiObject(this, 'PoolerDeployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: `${this.name}-pooler`,
        labels: this.labels('pooler'),
        annotations: {
          'kube-score/ignore': 'pod-probes-identical',
          'postgresql.cdk8s-patterns.io/probes-reason': 'pgBouncer has no health endpoint: both probes check its listener, with different thresholds',
        },
      },
      spec: {
        replicas,
        selector: { matchLabels: selector },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: this.labels('pooler'), annotations: { 'checksum/config': sha256Of(data) } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity(user, user),
            terminationGracePeriodSeconds: 60,
            ...spreadOut({ matchLabels: selector }),
            initContainers: [init],
            containers: [pgbouncer],
            volumes: [
              { name: 'config', configMap: { name: cm.name, defaultMode: 0o444 } },
              emptyDir('runtime', '1Mi', true),
              emptyDir('tmp', '16Mi'),
              secretFileVolume('pooler-password', auth.name, auth.key),
              ...(this.props.tls ? [{ name: 'tls', secret: { secretName: this.props.tls.secret.name, defaultMode: 0o440 } }] : []),
            ],
          },
        },
      },
    });
    new ApiObject(this, 'PoolerPdb', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: `${this.name}-pooler`, labels: this.labels('pooler') },
      spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selector } },
    });
    const svc = new kplus.Service(this, 'PoolerService', {
      metadata: { name: `${this.name}-pooler`, labels: this.labels('pooler') },
      ports: [{ name: 'postgresql', port: PG_PORT, targetPort: POOLER_PORT }],
    });
    for (const [k, v] of Object.entries(selector)) {
      svc.selectLabel(k, v);
    }
    return svc;
  }

  /**
   * pgbouncer.ini's TLS lines. With `tls`, clients reach pgBouncer over TLS with the server's own
   * certificate (required unless `tls.require` is false), and pgBouncer reaches PostgreSQL over TLS,
   * verifying it as a client of `db.connection()` would.
   */
  private poolerTlsSettings(tlsDir: string): string {
    const tls = this.props.tls;
    if (!tls) {
      return 'server_tls_sslmode = prefer';
    }
    const server = this.tlsClient(this.primaryService.name);
    const lines = [
      `client_tls_sslmode = ${(tls.require ?? true) ? 'require' : 'allow'}`,
      `client_tls_cert_file = ${tlsDir}/tls.crt`,
      `client_tls_key_file = ${tlsDir}/tls.key`,
      `server_tls_sslmode = ${server.sslMode}`,
    ];
    if (server.caFile) {
      lines.push(`server_tls_ca_file = ${tlsDir}/ca.crt`);
    }
    return lines.join('\n');
  }

  private cronJob(
    id: string,
    name: string,
    schedule: Cron,
    component: string,
    pod: Record<string, unknown>,
    annotations: Record<string, string> = {},
  ): ApiObject {
    return new ApiObject(this, id, {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name, labels: this.labels(component), annotations: { ...this.workloadAnnotations(), ...annotations } },
      spec: {
        schedule: schedule.expressionString,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: { metadata: { labels: this.labels(component) }, spec: { backoffLimit: 2, template: pod } },
      },
    });
  }

  private createBackupJobs(): void {
    const backup = this.props.backup!;
    if (backup.repository._volume) {
      const v = backup.repository._volume;
      new ApiObject(this, 'PgBackRestRepository', {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: `${this.name}-pgbackrest-repo`, labels: this.labels('backup') },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: sizeToQuantity(v.size ?? Size.gibibytes(20)) } },
          ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
        },
      });
    }
    const sa = new kplus.ServiceAccount(this, 'BackupServiceAccount', {
      metadata: { name: `${this.name}-backup`, labels: this.labels('backup') },
      automountToken: false,
    });
    const role = new ApiObject(this, 'BackupRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `${this.name}-backup`, labels: this.labels('backup') },
      rules: [
        { apiGroups: [''], resources: ['services'], resourceNames: [this.primaryService.name], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] },
      ],
    });
    new ApiObject(this, 'BackupRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `${this.name}-backup`, labels: this.labels('backup') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name }],
    });
    const job = (type: 'full' | 'diff'): Record<string, unknown> => {
      const container = {
        name: 'backup',
        ...this.containerImage(backup.kubectlImage ?? KUBECTL_IMAGE),
        command: [
          'kubectl',
          'exec',
          `svc/${this.primaryService.name}`,
          '-c',
          'pgbackrest',
          '--',
          'pgbackrest',
          `--stanza=${STANZA}`,
          `--type=${type}`,
          'backup',
        ],
        env: [env('HOME', '/tmp')],
        resources: resources('20m', '200m', '64Mi', '16Mi', '64Mi'),
        securityContext: containerSecurity(10001, 10001),
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      };
      return this.jobPodSpec('backup', [container], [emptyDir('tmp', '64Mi')], {
        serviceAccountName: sa.name,
        automountServiceAccountToken: true,
        securityContext: podSecurity(10001, 10001),
      });
    };
    this.cronJob('FullBackup', `${this.name}-backup-full`, backup.schedule ?? Cron.daily(), 'backup', job('full'), {});
    if (backup.differentialSchedule) {
      this.cronJob('DiffBackup', `${this.name}-backup-diff`, backup.differentialSchedule, 'backup', job('diff'), {});
    }
  }

  private createLogicalBackup(storage: Size): void {
    const opts = this.props.logicalBackup!;
    new ApiObject(this, 'DumpVolume', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${this.name}-dumps`, labels: this.labels('backup') },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: sizeToQuantity(opts.storage ?? storage) } },
        ...(opts.storageClassName ? { storageClassName: opts.storageClassName } : {}),
      },
    });
    const envs = [
      env('PGHOST', this.primaryService.name),
      env('PGPORT', String(PG_PORT)),
      env('SUPERUSER_PASSWORD_FILE', `${SECRETS_DIR}/superuser/password`),
      env('DUMP_DIR', '/backup'),
      env('RETENTION_DAYS', String(opts.retentionDays ?? 7)),
      env('PG_RUNTIME_DIR', '/tmp/logical-backup'),
      env('PGSSLMODE', this.props.tls ? 'require' : 'prefer'),
    ];
    if (opts.databases && opts.databases.length > 0) {
      envs.push(env('DUMP_DATABASES', opts.databases.join(' ')));
    }
    const container = {
      name: 'dump',
      ...this.containerImage(this.ha ? POSTGRES_IMAGES[this.version] : this.image),
      command: ['/bin/sh', `${CONFIG_DIR}/logical-backup.sh`],
      env: envs,
      resources: resources('100m', '1', '256Mi', '64Mi', '1Gi'),
      securityContext: containerSecurity(this.uid, this.gid),
      volumeMounts: [
        { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
        { name: 'dumps', mountPath: '/backup' },
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'superuser-password', mountPath: `${SECRETS_DIR}/superuser`, readOnly: true },
      ],
    };
    this.cronJob(
      'LogicalBackup',
      `${this.name}-dump`,
      opts.schedule ?? Cron.daily(),
      'backup',
      this.jobPodSpec(
        'backup',
        [container],
        [
          { name: 'config', configMap: { name: this.configMap.name, defaultMode: 0o444 } },
          { name: 'dumps', persistentVolumeClaim: { claimName: `${this.name}-dumps` } },
          emptyDir('tmp', '1Gi'),
          secretFileVolume('superuser-password', this.superuser.name, this.superuser.key),
        ],
      ),
    );
  }

  /** A NetworkPolicy isolating `podSelector` in both directions, allowing only the given rules. */
  private networkPolicy(id: string, name: string, component: string, podSelector: unknown, ingress: unknown[], egress: unknown[]): ApiObject {
    return new ApiObject(this, id, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: this.labels(component) },
      spec: { podSelector, policyTypes: ['Ingress', 'Egress'], ingress, egress },
    });
  }

  private createNetworkPolicies(): [Record<string, unknown>[], Record<string, unknown>[] | undefined] {
    const dns = {
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    };
    const members = this.memberSelector();
    const sameInstance = (components: string[]): Record<string, unknown> => ({
      podSelector: {
        matchLabels: { [LABEL_NAME]: APP_NAME, [LABEL_INSTANCE]: this.name },
        matchExpressions: [{ key: LABEL_COMPONENT, operator: 'In', values: components }],
      },
    });
    const clients: Record<string, unknown>[] = [{ podSelector: { matchLabels: { [this.clientLabelKey]: 'true' } } }];
    for (const ns of this.props.clientNamespaces ?? []) {
      clients.push({
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        podSelector: { matchLabels: { [this.clientLabelKey]: 'true' } },
      });
    }
    const memberIngress: Record<string, unknown>[] = [
      { from: [sameInstance(['primary', 'read', 'member', 'pooler', 'users', 'backup']), ...clients], ports: [{ protocol: 'TCP', port: PG_PORT }] },
    ];
    if (this.metricsEnabled) {
      memberIngress.push({ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: METRICS_PORT }] });
    }
    if (this.ha) {
      memberIngress.push({ from: [sameInstance(['member'])], ports: [{ protocol: 'TCP', port: PATRONI_PORT }] });
    }
    const memberEgress: Record<string, unknown>[] = [
      dns,
      { to: [sameInstance(['primary', 'read', 'member'])], ports: [{ protocol: 'TCP', port: PG_PORT }] },
    ];
    if (this.props.cloneFrom) {
      memberEgress.push({ ports: [{ protocol: 'TCP', port: this.props.cloneFrom.port ?? PG_PORT }] });
    }
    // S3 endpoints (own repository and restore source) on their own ports, 443 unless the endpoint names one
    const s3Ports = new Set<number>();
    for (const repo of [this.props.backup?.repository, this.props.restoreFrom?.repository]) {
      if (repo?._s3) {
        s3Ports.add(Number(/:(\d+)$/.exec(repo._s3.endpoint ?? '')?.[1] ?? 443));
      }
    }
    if (s3Ports.size > 0) {
      memberEgress.push({ ports: [...s3Ports].sort((a, b) => a - b).map((port) => ({ protocol: 'TCP', port })) });
    }
    // the Kubernetes API (Patroni's store, `kubectl exec` of the backup Job) and HTTPS
    const kubernetesApi = {
      ports: [
        { protocol: 'TCP', port: 443 },
        { protocol: 'TCP', port: 6443 },
      ],
    };
    if (this.ha) {
      memberEgress.push({ to: [sameInstance(['member'])], ports: [{ protocol: 'TCP', port: PATRONI_PORT }] });
      memberEgress.push(kubernetesApi);
    }
    this.networkPolicy('NetworkPolicy', this.name, 'member', members, memberIngress, memberEgress);
    const toDb = { to: [sameInstance(['primary', 'read', 'member'])], ports: [{ protocol: 'TCP', port: PG_PORT }] };
    let poolerIngress: Record<string, unknown>[] | undefined;
    if (this.pooled) {
      const pooler = { matchLabels: selectorLabels({ name: APP_NAME, instance: this.name, component: 'pooler' }) };
      poolerIngress = [{ from: clients, ports: [{ protocol: 'TCP', port: POOLER_PORT }] }];
      this.networkPolicy('PoolerNetworkPolicy', `${this.name}-pooler`, 'pooler', pooler, poolerIngress, [dns, toDb]);
    }
    const jobEgress: Record<string, unknown>[] = [dns, toDb];
    if (this.props.backup) {
      jobEgress.push(kubernetesApi);
    }
    this.networkPolicy('JobsNetworkPolicy', `${this.name}-jobs`, 'users', sameInstance(['users', 'backup']).podSelector, [], jobEgress);
    return [memberIngress, poolerIngress];
  }
}
