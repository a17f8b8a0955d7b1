import { Cron, Duration, Size } from 'cdk8s';
import { Cpu, ImagePullPolicy, ISecret } from 'cdk8s-plus-27';
import { PodOptions } from '../common/pod-options';
import { BackupRepository } from './backup-repository';
import { PostgresMonitoringOptions } from './monitoring-props';

/** The access a grant gives on a database's `public` schema. */
export enum DatabaseAccess {
  /** Connect only: the role sees what PUBLIC and its own grants allow. */
  CONNECT = 'connect',
  /** Connect, and read every table and sequence in `public`, including tables created later by the owner. */
  READ_ONLY = 'read-only',
  /** Connect, and read and write every table and sequence in `public`, including later ones (no DDL). */
  READ_WRITE = 'read-write',
}

/** What the primary does when it starts on an empty data volume. */
export enum OnEmptyPrimary {
  /** Create a new, empty database cluster (initdb). Right for the first deployment. */
  INITIALIZE = 'initialize',
  /**
   * Refuse to start: an empty primary volume after the first deployment means the data was
   * lost, and silently starting a fresh database would hide that (and break the replicas).
   */
  FAIL = 'fail',
  /**
   * Restore the latest backup (or `recoveryTargetTime`) with pgBackRest: from `restoreFrom` (another
   * cluster's repository, read only), or else from this cluster's own `backup.repository`.
   */
  RESTORE_FROM_BACKUP = 'restore',
  /** Clone another running cluster with pg_basebackup (`cloneFrom`) and start as a new primary. */
  CLONE = 'clone',
}

/** How pgBouncer assigns server connections to clients. */
export enum PoolMode {
  /** A server connection per client session: every PostgreSQL feature works. */
  SESSION = 'session',
  /**
   * A server connection per transaction: many more clients per connection; session state
   * (SET, LISTEN, advisory locks, WITH HOLD cursors) does not survive a transaction. Protocol-level
   * prepared statements work (`maxPreparedStatements`).
   */
  TRANSACTION = 'transaction',
  /** A server connection per statement: multi-statement transactions are refused. */
  STATEMENT = 'statement',
}

/** A password kept in an existing Secret. */
export interface PasswordSecret {
  /** The Secret holding the password. */
  readonly secret: ISecret;
  /**
   * The key of the password in the Secret.
   * @default 'password'
   */
  readonly key?: string;
}

/** A grant of access to a database. */
export interface DatabaseGrant {
  /** The database (declared in `databases`). */
  readonly database: string;
  /** What the role may do in the database's `public` schema. */
  readonly access: DatabaseAccess;
}

/** A role (user) the users Job creates and keeps in the declared state. */
export interface PostgresUser {
  /** Role name: lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 characters. */
  readonly name: string;
  /** Where the role's password comes from; the Job reads it as a mounted file on every run. */
  readonly password: PasswordSecret;
  /**
   * Whether the role can log in.
   * @default true
   */
  readonly login?: boolean;
  /**
   * Most concurrent connections of the role; -1 means no limit.
   * @default -1
   */
  readonly connectionLimit?: number;
  /**
   * Whether the role may create databases.
   * @default false
   */
  readonly createDatabases?: boolean;
  /**
   * Access to declared databases.
   * @default - none beyond the databases the role owns
   */
  readonly grants?: DatabaseGrant[];
  /**
   * Roles this role is a member of: other declared users or predefined roles such as `pg_read_all_data`.
   * @default - none
   */
  readonly memberOf?: string[];
}

/** A database the users Job creates. */
export interface PostgresDatabase {
  /** Database name: lowercase letters, digits and `_`, starting with a letter or `_`, at most 63 characters. */
  readonly name: string;
  /**
   * The owning role: a declared user. It may create tables in `public` and owns what it creates.
   * @default 'postgres'
   */
  readonly owner?: string;
  /**
   * Extensions created in the database (`CREATE EXTENSION IF NOT EXISTS`); they must be available in the image.
   * @default - none
   */
  readonly extensions?: string[];
}

/** pgBouncer in front of the primary. */
export interface PostgresPoolerOptions {
  /**
   * pgBouncer pods.
   * @default 2
   */
  readonly replicas?: number;
  /**
   * How server connections are shared.
   * @default PoolMode.TRANSACTION
   */
  readonly poolMode?: PoolMode;
  /**
   * Most client connections per pgBouncer pod.
   * @default 1000
   */
  readonly maxClientConnections?: number;
  /**
   * Server connections per user/database pair per pgBouncer pod.
   * @default 20
   */
  readonly defaultPoolSize?: number;
  /**
   * Protocol-level prepared statements pgBouncer tracks per server connection, so drivers'
   * prepared statements work in transaction mode; 0 disables the tracking.
   * @default 200
   */
  readonly maxPreparedStatements?: number;
  /**
   * Password of the `pgbouncer_auth` role pgBouncer looks client verifiers up with.
   * @default - the superuser Secret, key `pooler-password`
   */
  readonly authPassword?: PasswordSecret;
  /**
   * The pgBouncer image (1.21 or newer).
   * @default 'ghcr.io/cloudnative-pg/pgbouncer:1.23.0'
   */
  readonly image?: string;
  /**
   * CPU request of each pgBouncer container (the limit is four times the request).
   * @default Cpu.millis(100)
   */
  readonly cpu?: Cpu;
  /**
   * Memory request and limit of each pgBouncer container.
   * @default Size.mebibytes(128)
   */
  readonly memory?: Size;
}

/** The postgres_exporter sidecar. */
export interface PostgresMetricsOptions {
  /**
   * Whether every instance runs postgres_exporter on port 9187 (annotated for Prometheus).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Password of the `postgres_exporter` role (member of `pg_monitor`).
   * @default - the superuser Secret, key `metrics-password`
   */
  readonly password?: PasswordSecret;
  /**
   * The exporter image.
   * @default 'quay.io/prometheuscommunity/postgres-exporter:v0.16.0'
   */
  readonly image?: string;
  /**
   * The image of the pgBouncer exporter every pooler pod runs beside pgBouncer (port 9127, named
   * `metrics`), logging in to pgBouncer's admin console as the auth role, a `stats_users` member.
   * @default 'quay.io/prometheuscommunity/pgbouncer-exporter:v0.10.2'
   */
  readonly poolerImage?: string;
  /**
   * Whether every pooler pod runs the pgBouncer exporter (`poolerImage`). Without it the
   * PodMonitor and the alerts leave the pooler out.
   * @default true
   */
  readonly poolerExporter?: boolean;
  /**
   * Prometheus Operator objects: a `PodMonitor` scraping every exporter and a `PrometheusRule`
   * with the alerts. Needs the operator's CRDs in the cluster.
   * @default - none: the pods carry only the `prometheus.io/*` annotations
   */
  readonly monitoring?: PostgresMonitoringOptions;
}

/** Physical backups with pgBackRest and continuous WAL archiving. */
export interface PostgresBackupOptions {
  /** Where backups and archived WAL go. */
  readonly repository: BackupRepository;
  /**
   * When a full backup runs.
   * @default Cron.daily()
   */
  readonly schedule?: Cron;
  /**
   * When a differential backup (changes since the last full backup) runs.
   * @default - no differential backups
   */
  readonly differentialSchedule?: Cron;
  /**
   * Full backups kept; older ones and the WAL only they need are expired after each backup.
   * @default 7
   */
  readonly fullRetention?: number;
  /**
   * Encrypts the repository (aes-256-cbc) with this passphrase; keep it safe, backups are unreadable without it.
   * @default - the repository is not encrypted by pgBackRest
   */
  readonly encryptionKey?: PasswordSecret;
  /**
   * The pgBackRest image of the agent next to the primary and of the restore init container.
   * It must run as the PostgreSQL uid and provide `/bin/sh`.
   * @default 'docker.io/woblerr/pgbackrest:2.54.2'
   */
  readonly image?: string;
  /**
   * The kubectl image the backup CronJob uses to start a backup in the agent.
   * @default 'registry.k8s.io/kubectl:v1.31.4'
   */
  readonly kubectlImage?: string;
}

/** Logical dumps (pg_dump) to a volume. */
export interface PostgresLogicalBackupOptions {
  /**
   * When the dump runs.
   * @default Cron.daily()
   */
  readonly schedule?: Cron;
  /**
   * Size of the dump volume.
   * @default - the data volume's size
   */
  readonly storage?: Size;
  /**
   * StorageClass of the dump volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Days a dump is kept.
   * @default 7
   */
  readonly retentionDays?: number;
  /**
   * Databases dumped.
   * @default - every database that accepts connections, except templates
   */
  readonly databases?: string[];
}

/** A running cluster to clone when the primary's volume is empty (`OnEmptyPrimary.CLONE`). */
export interface PostgresCloneSource {
  /** Host of the source's primary, e.g. its read-write Service `other-db-rw.other-namespace.svc`. */
  readonly host: string;
  /**
   * Port of the source.
   * @default 5432
   */
  readonly port?: number;
  /**
   * A role of the source with the REPLICATION attribute.
   * @default 'replicator'
   */
  readonly user?: string;
  /** That role's password. */
  readonly password: PasswordSecret;
  /**
   * The source's StatefulPostgres name. The primary's pods carry the source's client label
   * `<clusterName>-client: "true"`, which the source's NetworkPolicy admits (from another
   * namespace, list it in the source's `clientNamespaces`).
   * @default - the name in `host` when it is a StatefulPostgres read-write Service (`<name>-rw`, `<name>-rw.<namespace>.svc`); otherwise no label
   */
  readonly clusterName?: string;
}

/**
 * Another cluster's pgBackRest repository that a new cluster is restored from
 * (`OnEmptyPrimary.RESTORE_FROM_BACKUP`). It is only read: the restore and the WAL replay of the
 * recovery read it, while the new cluster archives and backs up into its own `backup.repository`
 * from its first start. The source is never in the configuration that archiving, backups or
 * stanza commands use, so nothing can be written into it.
 */
export interface PostgresRestoreSource {
  /**
   * The source's repository, declared as in the source's `backup.repository` (same bucket,
   * endpoint and path, or a volume repository). Give it read-only credentials where you can.
   * A volume repository is mounted read-only, and only where its claim can attach (its
   * ReadWriteOnce claim is in use while the source's primary runs): an S3 repository is the way
   * to restore from a running cluster.
   */
  readonly repository: BackupRepository;
  /**
   * Name of the StatefulPostgres that wrote the repository. It locates the backups: the default
   * path `/pgbackrest/<clusterName>` of an S3 repository, the claim `<clusterName>-pgbackrest-repo`
   * of a volume repository.
   */
  readonly clusterName: string;
  /**
   * The source's pgBackRest stanza.
   * @default 'db' (the stanza of every StatefulPostgres)
   */
  readonly stanza?: string;
  /**
   * Passphrase the source's repository is encrypted with.
   * @default - the source's repository is not encrypted
   */
  readonly encryptionKey?: PasswordSecret;
}

/** Automatic failover with Patroni, using Kubernetes ConfigMaps as its store. */
export interface PostgresHighAvailabilityOptions {
  /**
   * An image with Patroni (`patroni` on the PATH, with the Kubernetes extra) and the PostgreSQL
   * binaries in `/usr/lib/postgresql/<version>/bin`, such as Spilo.
   * @default - Spilo for the version
   */
  readonly image?: string;
  /**
   * Patroni's leader lease, in seconds: how long a lost primary keeps its role.
   * @default Duration.seconds(30)
   */
  readonly ttl?: Duration;
  /**
   * uid the Patroni image runs as.
   * @default 101 (Spilo)
   */
  readonly runAsUser?: number;
  /**
   * gid the Patroni image runs as, also the volumes' fsGroup.
   * @default 103 (Spilo)
   */
  readonly runAsGroup?: number;
}

/** TLS for client and replication connections. */
export interface PostgresTlsOptions {
  /** A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, optionally `ca.crt`), e.g. from cert-manager. */
  readonly secret: ISecret;
  /**
   * Whether TCP connections from outside the pod must use TLS (`hostssl` + `hostnossl ... reject`).
   * @default true
   */
  readonly require?: boolean;
  /**
   * DNS names the certificate holds, such as `orders-db-rw` or
   * `orders-db-pooler.orders.svc`. A connection (`db.connection()`, the pooler's to PostgreSQL)
   * whose Service has one of them connects to that name and checks it (`verify-full`); otherwise
   * it checks only that the CA signed the certificate (`verify-ca`). A client in another
   * namespace than the database's connects to `<service>.<namespace>.svc`: only the namespaced
   * names (`<service>.<namespace>`, `.svc`, `.svc.<cluster domain>`) count for it, the short name
   * does not resolve there.
   * @default - none: the server is verified against the CA without its name
   */
  readonly serverNames?: string[];
  /**
   * Whether clients verify the server against the `ca.crt` of the Secret (cert-manager writes it).
   * Turn it off for a Secret without `ca.crt`: clients then only require TLS.
   * @default true
   */
  readonly verifyServer?: boolean;
}

/**
 * Properties of `StatefulPostgres`. The shared pod options (`nodeSelector`, `tolerations`,
 * `podLabels`, `podAnnotations`, `imagePullSecrets`, `priorityClassName`) apply to every pod it
 * makes (members, pooler, Jobs); extra `volumes` are mounted into the `postgres` container of the
 * members.
 */
export interface StatefulPostgresProps extends PodOptions {
  /**
   * Base name of every object (`<name>-rw`, `<name>-primary`, ...): a DNS label of at most 30 characters.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * PostgreSQL major version: selects the image and the data directory (`/var/lib/postgresql/data/pg<version>`).
   * @default 15
   */
  readonly version?: number;
  /**
   * The PostgreSQL image. It must be compatible with the official image: `postgres`, `initdb`,
   * `pg_basebackup`, `psql` on the PATH and a `postgres` account with `runAsUser`.
   * @default - the official `postgres` image of the version, pinned to a patch release
   */
  readonly image?: string;
  /**
   * When the kubelet pulls the images of every container StatefulPostgres makes (PostgreSQL or
   * Patroni, pgBouncer, postgres_exporter, pgBackRest, kubectl and the Jobs').
   * @default - per image: `Always` for a tag (a moved tag is noticed), `IfNotPresent` for a digest (content never changes)
   */
  readonly imagePullPolicy?: ImagePullPolicy;
  /**
   * Instances: one primary and `replicas - 1` streaming replicas.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Replicas that must confirm each commit (`synchronous_standby_names = ANY n (...)`); 0 is
   * asynchronous replication. Commits wait while fewer replicas are connected.
   * @default 0
   */
  readonly synchronousReplicas?: number;
  /**
   * Automatic failover with Patroni instead of a fixed primary.
   * @default - fixed primary, manual promotion
   */
  readonly highAvailability?: PostgresHighAvailabilityOptions;
  /**
   * Size of each instance's data volume (at least 1Gi).
   * @default Size.gibibytes(10)
   */
  readonly storage?: Size;
  /**
   * StorageClass of the data volumes.
   * @default - the cluster's default StorageClass
   */
  readonly storageClassName?: string;
  /**
   * Memory request and limit of PostgreSQL; shared_buffers, effective_cache_size, work_mem and
   * maintenance_work_mem are derived from it. At least 256Mi, a whole number of MiB.
   * @default Size.gibibytes(1)
   */
  readonly memory?: Size;
  /**
   * CPU request of PostgreSQL; parallelism settings are derived from it.
   * @default Cpu.millis(500)
   */
  readonly cpu?: Cpu;
  /**
   * CPU limit of PostgreSQL.
   * @default - 2 cores, or the cpu request when it is higher
   */
  readonly cpuLimit?: Cpu;
  /**
   * max_connections.
   * @default 100
   */
  readonly maxConnections?: number;
  /**
   * postgresql.conf parameters applied on top of the base and the derived settings. Names are
   * checked against the version's parameters (extension parameters contain a dot); with version
   * 15, values are checked as the server parses them (booleans, integers and reals with their
   * units and ranges, enum values), so a value PostgreSQL would refuse at start fails at synth.
   * @default - none
   */
  readonly parameters?: { [name: string]: string };
  /** Secret with the `postgres` superuser password (and, by default, the other internal roles' passwords). */
  readonly superuserSecret: ISecret;
  /**
   * Key of the superuser password in `superuserSecret`.
   * @default 'password'
   */
  readonly superuserSecretKey?: string;
  /**
   * Password of the `replicator` role replicas stream as, and other clusters clone with
   * (`OnEmptyPrimary.CLONE`). Setting it on a single instance creates the role, so that the
   * instance can be cloned; with replicas the role always exists.
   * @default - the superuser Secret, key `replication-password` (with replicas or highAvailability); no `replicator` role on a single instance
   */
  readonly replicationPassword?: PasswordSecret;
  /**
   * Roles the users Job creates.
   * @default - none
   */
  readonly users?: PostgresUser[];
  /**
   * Databases the users Job creates.
   * @default - none
   */
  readonly databases?: PostgresDatabase[];
  /**
   * pgBouncer in front of the primary.
   * @default - no pooler
   */
  readonly pooler?: PostgresPoolerOptions;
  /**
   * The postgres_exporter sidecar.
   * @default - enabled
   */
  readonly metrics?: PostgresMetricsOptions;
  /**
   * Physical backups with pgBackRest and WAL archiving.
   * @default - no physical backups; archive_command does nothing
   */
  readonly backup?: PostgresBackupOptions;
  /**
   * Logical dumps to a volume.
   * @default - no logical dumps
   */
  readonly logicalBackup?: PostgresLogicalBackupOptions;
  /**
   * What the primary does when its data volume is empty. Set FAIL once the database exists.
   * @default OnEmptyPrimary.INITIALIZE
   */
  readonly onEmptyPrimary?: OnEmptyPrimary;
  /**
   * The cluster to clone with `OnEmptyPrimary.CLONE`.
   * @default - none
   */
  readonly cloneFrom?: PostgresCloneSource;
  /**
   * With `OnEmptyPrimary.RESTORE_FROM_BACKUP`, the repository of another cluster to restore from
   * (read only); this cluster still archives into its own `backup.repository`, which must differ.
   * @default - the cluster's own `backup.repository` (a restore after losing the data volume, under the same name)
   */
  readonly restoreFrom?: PostgresRestoreSource;
  /**
   * With `OnEmptyPrimary.RESTORE_FROM_BACKUP`, restore up to this time instead of the end of the
   * archive: `YYYY-MM-DD HH:MM:SS`, optionally with up to 6 fraction digits, and a UTC offset
   * (`+00`, `+0530`, `-05:00` or `Z`); `T` may separate date and time. It reaches pgBackRest as
   * `2025-01-31 12:00:00+00:00`. Other forms (no seconds, no offset, a zone name) are refused.
   * @default - the latest archived WAL
   */
  readonly recoveryTargetTime?: string;
  /**
   * TLS for client and replication connections.
   * @default - no TLS
   */
  readonly tls?: PostgresTlsOptions;
  /**
   * Whether NetworkPolicies restrict traffic to the database, pooler and jobs.
   * @default true
   */
  readonly networkPolicy?: boolean;
  /**
   * Namespaces (by name) whose pods labelled `<name>-client: "true"` may connect, besides this one.
   * @default - only this namespace
   */
  readonly clientNamespaces?: string[];
  /**
   * uid PostgreSQL runs as; it must own the data directory.
   * @default 999 (the official image's `postgres` account)
   */
  readonly runAsUser?: number;
  /**
   * gid PostgreSQL runs as, also the volumes' fsGroup.
   * @default 999
   */
  readonly runAsGroup?: number;
  /**
   * How long an instance gets to shut down (fast shutdown and the final checkpoint) before it is killed.
   * @default Duration.seconds(120)
   */
  readonly terminationGracePeriod?: Duration;
}
