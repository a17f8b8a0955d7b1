/**
 * The images StatefulPostgres runs by default, pinned to a concrete release so every rollout runs
 * what was reviewed. Every one of them can be replaced through props.
 */

/** Docker Official `postgres` images (Debian bookworm, uid/gid 999), one per supported major version. */
export const POSTGRES_IMAGES: Readonly<Record<number, string>> = {
  14: 'docker.io/library/postgres:14.15-bookworm',
  15: 'docker.io/library/postgres:15.10-bookworm',
  16: 'docker.io/library/postgres:16.6-bookworm',
  17: 'docker.io/library/postgres:17.2-bookworm',
};

/**
 * The oldest Patroni the high-availability mode works with: Patroni 3 labels the leader `master`
 * whatever `leader_label_value` says, so the read-write Service would select no pod.
 */
export const MIN_PATRONI_MAJOR = 4;

/**
 * Spilo images (PostgreSQL with Patroni), used by the high-availability mode. A Spilo release
 * carries the Patroni of the same major.minor (Spilo 4.0: Patroni 4.0) and the binaries of several
 * PostgreSQL majors (`/usr/lib/postgresql/<version>/bin`), so one release serves every version.
 */
export const SPILO_IMAGES: Readonly<Record<number, string>> = {
  14: 'ghcr.io/zalando/spilo-17:4.0-p2',
  15: 'ghcr.io/zalando/spilo-17:4.0-p2',
  16: 'ghcr.io/zalando/spilo-17:4.0-p2',
  17: 'ghcr.io/zalando/spilo-17:4.0-p2',
};

/**
 * Why a Spilo image is too old for the high-availability mode (its Patroni predates
 * {@link MIN_PATRONI_MAJOR}); undefined for newer Spilo and for other images, whose Patroni
 * cannot be told from the reference.
 */
export function patroniTooOld(image: string): string | undefined {
  const m = /\/spilo-\d+:(\d+)\.(\d+)/.exec(image);
  if (!m || Number(m[1]) >= MIN_PATRONI_MAJOR) {
    return undefined;
  }
  return `an image with Patroni ${MIN_PATRONI_MAJOR} or newer (Spilo ${MIN_PATRONI_MAJOR}.0 or newer: Spilo ${m[1]}.${m[2]} has Patroni ${m[1]}.${m[2]}, which ignores leader_label_value)`;
}

/** The uid and gid of the `postgres` account in the Docker Official image. */
export const OFFICIAL_IMAGE_UID = 999;
/** The uid of the `postgres` account in Spilo images. */
export const SPILO_UID = 101;
/** The gid of the `postgres` group in Spilo images. */
export const SPILO_GID = 103;

/** pgBouncer with `auth_query`, `auth_dbname` (1.19+) and `max_prepared_statements` (1.21+). */
export const PGBOUNCER_IMAGE = 'ghcr.io/cloudnative-pg/pgbouncer:1.23.0';

/** Prometheus postgres_exporter. */
export const EXPORTER_IMAGE = 'quay.io/prometheuscommunity/postgres-exporter:v0.16.0';

/** pgBackRest, run as the WAL archiving and backup agent next to the primary. */
export const PGBACKREST_IMAGE = 'docker.io/woblerr/pgbackrest:2.54.2';

/** kubectl, used by the backup CronJob to start a backup in the agent of the primary. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.31.4';

/** The major versions StatefulPostgres supports. */
export const SUPPORTED_VERSIONS = Object.keys(POSTGRES_IMAGES).map(Number);
