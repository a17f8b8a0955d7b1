#!/bin/sh
# Logical backup (CronJob): pg_dump of every database in custom format, plus the roles without
# passwords, into a new timestamped directory under DUMP_DIR; directories older than
# RETENTION_DAYS are deleted afterwards. A dump is renamed into place only when complete.
#
# Environment:
#   PGHOST, PGPORT             the primary                                   required, 5432
#   SUPERUSER_CREDENTIALS_FILE    password of the postgres superuser            required
#   DUMP_DIR                   where dumps are written (a volume)            /backup
#   DUMP_DATABASES             space-separated databases                     all but templates
#   RETENTION_DAYS             delete dumps older than this many days        7
#   PG_RUNTIME_DIR             private writable directory                    /tmp/logical-backup
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

: "${PGHOST:?PGHOST must be set}"
: "${SUPERUSER_CREDENTIALS_FILE:?SUPERUSER_CREDENTIALS_FILE must be set}"
DUMP_DIR=${DUMP_DIR:-/backup}
RETENTION_DAYS=${RETENTION_DAYS:-7}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/logical-backup}
export PGUSER=postgres

log() { echo "logical-backup: $*" >&2; }

umask 077
mkdir -p "$PG_RUNTIME_DIR"
use_password "$PG_RUNTIME_DIR/pgpass" postgres "$SUPERUSER_CREDENTIALS_FILE"

databases=${DUMP_DATABASES:-}
if [ -z "$databases" ]; then
  databases=$(psql -X -A -t -d postgres -v ON_ERROR_STOP=1 -c "SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$DUMP_DIR/$stamp"
partial="$target.partial"
rm -rf "$partial"
mkdir -p "$partial"
pg_dumpall --globals-only --no-role-passwords -f "$partial/globals.sql"
for db in $databases; do
  log "dumping $db"
  pg_dump -Fc -d "$db" -f "$partial/$db.dump"
done
mv "$partial" "$target"
log "wrote $target"

find "$DUMP_DIR" -mindepth 1 -maxdepth 1 -type d -mtime +"$RETENTION_DAYS" -exec rm -rf {} \;
find "$DUMP_DIR" -mindepth 1 -maxdepth 1 -type d -name '*.partial' -exec rm -rf {} \;
