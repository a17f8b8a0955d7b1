#!/bin/sh
# Init container of a streaming replica. Idempotent: an existing database is never touched (only
# its replication slot on the primary is ensured); an empty data directory is cloned from the
# primary with pg_basebackup into a side directory that is moved into place only when complete.
#
# Environment:
#   PGDATA                     data directory (a subdirectory of the volume mount)       required
#   PRIMARY_HOST, PRIMARY_PORT the primary (read-write Service)                           required, 5432
#   POD_NAME                   this replica's name: slot and application_name            hostname
#   REPLICATION_USER           replication role                                           replicator
#   REPLICATION_CREDENTIALS_FILE  its password                                               required
#   PG_RUNTIME_DIR             private writable directory (password file copy)            /tmp/postgres
#   PRIMARY_WAIT_SECONDS       how long to wait for the primary before failing            300
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

: "${PGDATA:?PGDATA must be set}"
: "${PRIMARY_HOST:?PRIMARY_HOST must be set}"
: "${REPLICATION_CREDENTIALS_FILE:?REPLICATION_CREDENTIALS_FILE must be set}"
PRIMARY_PORT=${PRIMARY_PORT:-5432}
POD_NAME=${POD_NAME:-$(hostname)}
REPLICATION_USER=${REPLICATION_USER:-replicator}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/postgres}
PRIMARY_WAIT_SECONDS=${PRIMARY_WAIT_SECONDS:-300}

log() { echo "bootstrap-replica: $*" >&2; }

umask 077
mkdir -p "$PG_RUNTIME_DIR"
use_password "$PG_RUNTIME_DIR/replica.pgpass" "$REPLICATION_USER" "$REPLICATION_CREDENTIALS_FILE"

slot=$(printf '%s' "$POD_NAME" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9_]/_/g')

ensure_slot() {
  psql -X -q -t -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -d postgres -v ON_ERROR_STOP=1 -v slot="$slot" <<'SQL'
SELECT pg_catalog.pg_create_physical_replication_slot(:'slot')
  WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_replication_slots WHERE slot_name = :'slot');
SQL
}

if [ -s "$PGDATA/PG_VERSION" ]; then
  log "$PGDATA already holds a database; keeping it"
  chmod 0700 "$PGDATA"
  if pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -t 5 && ensure_slot >/dev/null; then
    log "replication slot $slot present on $PRIMARY_HOST"
  else
    log "could not check replication slot $slot on $PRIMARY_HOST; starting anyway"
  fi
  exit 0
fi
if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
  log "$PGDATA is not empty but holds no PG_VERSION: refusing to touch it (inspect the volume by hand)"
  exit 1
fi

if ! wait_for_postgres "$PRIMARY_HOST" "$PRIMARY_PORT" "$PRIMARY_WAIT_SECONDS"; then
  log "primary $PRIMARY_HOST:$PRIMARY_PORT not ready after ${PRIMARY_WAIT_SECONDS}s; exiting so the kubelet retries"
  exit 1
fi

ensure_slot >/dev/null
partial="$PGDATA.partial"
rm -rf "$partial"
log "cloning $PRIMARY_HOST:$PRIMARY_PORT into $PGDATA (slot $slot)"
pg_basebackup -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$REPLICATION_USER" -D "$partial" -X stream -c fast -S "$slot" --no-password
: >"$partial/standby.signal"
chmod 0700 "$partial"
if [ -d "$PGDATA" ]; then
  rmdir "$PGDATA"
fi
mv "$partial" "$PGDATA"
log "replica ready in $PGDATA"
