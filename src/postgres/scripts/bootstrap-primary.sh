#!/bin/sh
# Init container of the primary. Leaves an existing database untouched; when the data directory
# is empty it does what ON_EMPTY_PRIMARY says, unless the volume holds another major version's data
# directory (the version was changed): then it refuses, naming that directory.
#   initialize  initdb a new cluster (scram-sha-256, data checksums) and run bootstrap.sql
#   fail        refuse: an empty primary volume means data was lost, never start an empty database
#   restore     expect the restore init container to have restored a backup; fail if it did not
#   clone       pg_basebackup from another running cluster (CLONE_HOST) and start as a new primary
#
# Environment:
#   PGDATA                     data directory (a subdirectory of the volume mount)       required
#   ON_EMPTY_PRIMARY           initialize | fail | restore | clone                        initialize
#   SUPERUSER_CREDENTIALS_FILE    password of the postgres superuser (initialize)            required for initialize
#   REPLICATION_USER           role created for replicas                                  replicator
#   REPLICATION_CREDENTIALS_FILE  its password; no replication role without it              optional
#   PG_SCRIPTS_DIR             directory holding bootstrap.sql                            /etc/postgresql
#   PG_RUNTIME_DIR             private writable directory                                 /tmp/postgres
#   INITDB_ARGS                extra initdb arguments                                     --encoding=UTF8 --locale=C.UTF-8
#   CLONE_HOST, CLONE_PORT, CLONE_USER, CLONE_CREDENTIALS_FILE   source of a clone          -, 5432, replicator, -
#   CLONE_WAIT_SECONDS         how long to wait for the clone source                      300
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

: "${PGDATA:?PGDATA must be set}"
ON_EMPTY_PRIMARY=${ON_EMPTY_PRIMARY:-initialize}
REPLICATION_USER=${REPLICATION_USER:-replicator}
PG_SCRIPTS_DIR=${PG_SCRIPTS_DIR:-/etc/postgresql}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/postgres}
INITDB_ARGS=${INITDB_ARGS:---encoding=UTF8 --locale=C.UTF-8}

log() { echo "bootstrap-primary: $*" >&2; }

umask 077
mkdir -p "$PG_RUNTIME_DIR"

if [ -s "$PGDATA/PG_VERSION" ]; then
  log "$PGDATA holds a PostgreSQL $(cat "$PGDATA/PG_VERSION") database; leaving it as it is"
  chmod 0700 "$PGDATA"
  exit 0
fi
if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
  log "$PGDATA is not empty but holds no PG_VERSION: refusing to touch it (inspect the volume by hand)"
  exit 1
fi

# Another major version's data directory beside this one means the version was changed on an
# existing instance: starting an empty database would hide the data, whatever ON_EMPTY_PRIMARY says.
for other in "$(dirname "$PGDATA")"/pg*; do
  case "$other" in *.partial) continue ;; esac
  if [ "$other" != "$PGDATA" ] && [ -s "$other/PG_VERSION" ]; then
    old=$(cat "$other/PG_VERSION")
    log "$PGDATA is empty, but $other holds a PostgreSQL $old database: the version was changed on an existing instance."
    log "Refusing to start a new, empty database beside it. Set version back to $old to keep running on that data, or upgrade it"
    log "(pg_upgrade from $other into $PGDATA, or a dump and restore), then start again; remove $other once $PGDATA holds the data."
    exit 1
  fi
done

partial="$PGDATA.partial"
rm -rf "$partial"

case "$ON_EMPTY_PRIMARY" in
  initialize)
    : "${SUPERUSER_CREDENTIALS_FILE:?SUPERUSER_CREDENTIALS_FILE must be set to initialize a database}"
    log "$PGDATA is empty: creating a new database cluster"
    # shellcheck disable=SC2086 # INITDB_ARGS is a list of arguments
    initdb -D "$partial" -U postgres --pwfile="$SUPERUSER_CREDENTIALS_FILE" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 --data-checksums $INITDB_ARGS
    sock="$PG_RUNTIME_DIR/bootstrap"
    rm -rf "$sock"
    mkdir -m 0700 "$sock"
    # a private socket in a 0700 directory, no TCP: nobody else can connect while roles are created
    printf 'local all postgres trust\n' >"$sock/pg_hba.conf"
    pg_ctl -D "$partial" -w -t 120 -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c hba_file='$sock/pg_hba.conf' -c archive_mode=off" start
    set -- -v "replication_user=$REPLICATION_USER"
    if [ -n "${REPLICATION_CREDENTIALS_FILE:-}" ]; then
      set -- "$@" -v "replication_password_file=$REPLICATION_CREDENTIALS_FILE"
    fi
    if ! psql -X -q -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@" -f "$PG_SCRIPTS_DIR/bootstrap.sql"; then
      pg_ctl -D "$partial" -m fast -w stop || true
      exit 1
    fi
    pg_ctl -D "$partial" -m fast -w -t 120 stop
    rm -rf "$sock"
    ;;
  clone)
    : "${CLONE_HOST:?CLONE_HOST must be set to clone}"
    : "${CLONE_CREDENTIALS_FILE:?CLONE_CREDENTIALS_FILE must be set to clone}"
    port=${CLONE_PORT:-5432}
    user=${CLONE_USER:-replicator}
    use_password "$PG_RUNTIME_DIR/clone.pgpass" "$user" "$CLONE_CREDENTIALS_FILE"
    if ! wait_for_postgres "$CLONE_HOST" "$port" "${CLONE_WAIT_SECONDS:-300}"; then
      log "clone source $CLONE_HOST:$port did not become ready in time"
      exit 1
    fi
    log "$PGDATA is empty: cloning $CLONE_HOST:$port"
    pg_basebackup -h "$CLONE_HOST" -p "$port" -U "$user" -D "$partial" -X stream -c fast --no-password
    # the clone is a new primary: no standby.signal, and the source's own settings do not apply
    rm -f "$partial/standby.signal" "$partial/recovery.signal"
    : >"$partial/postgresql.auto.conf"
    rm -f "$PG_RUNTIME_DIR/clone.pgpass"
    ;;
  fail)
    log "$PGDATA is empty and onEmptyPrimary is FAIL: refusing to start a new, empty database where data was expected."
    log "Restore the volume, restore a backup (onEmptyPrimary RESTORE_FROM_BACKUP) or set onEmptyPrimary INITIALIZE on purpose."
    exit 1
    ;;
  restore)
    log "$PGDATA is still empty after the restore init container: no backup was restored"
    exit 1
    ;;
  *)
    log "ON_EMPTY_PRIMARY must be initialize, fail, restore or clone, got '$ON_EMPTY_PRIMARY'"
    exit 1
    ;;
esac

chmod 0700 "$partial"
if [ -d "$PGDATA" ]; then
  rmdir "$PGDATA"
fi
mv "$partial" "$PGDATA"
log "database ready in $PGDATA"
