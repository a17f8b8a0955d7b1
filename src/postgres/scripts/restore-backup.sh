#!/bin/sh
# Init container of the primary with onEmptyPrimary RESTORE_FROM_BACKUP: when the data directory
# is empty, restores the latest backup (or the recovery target) from the pgBackRest repository that
# PGBACKREST_CONFIG names: the restore source (restoreFrom, read only) or the cluster's own.
# PostgreSQL then replays WAL through restore_command (pgbackrest-archive.sh get, which the agent
# serves from the same repository) and is promoted. An existing database is never touched.
#
# Environment:
#   PGDATA                 data directory                                 required
#   PGBACKREST_STANZA      stanza                                         db
#   RECOVERY_TARGET_TIME   restore up to this time (PITR)                 optional: latest
#   PG_SCRIPTS_DIR         directory holding pgbackrest-archive.sh               /etc/postgresql
set -eu

: "${PGDATA:?PGDATA must be set}"
stanza=${PGBACKREST_STANZA:-db}
PG_SCRIPTS_DIR=${PG_SCRIPTS_DIR:-/etc/postgresql}

log() { echo "restore-backup: $*" >&2; }

if [ -s "$PGDATA/PG_VERSION" ]; then
  log "$PGDATA already holds a database; nothing to restore"
  exit 0
fi
if [ -d "$PGDATA" ] && [ -n "$(ls -A "$PGDATA")" ]; then
  log "$PGDATA is not empty but holds no PG_VERSION: refusing to touch it (inspect the volume by hand)"
  exit 1
fi
mkdir -p "$PGDATA"
chmod 0700 "$PGDATA"

set -- --stanza="$stanza" --pg1-path="$PGDATA" \
  "--recovery-option=restore_command=/bin/sh $PG_SCRIPTS_DIR/pgbackrest-archive.sh get %f \"%p\""
if [ -n "${RECOVERY_TARGET_TIME:-}" ]; then
  set -- "$@" --type=time "--target=$RECOVERY_TARGET_TIME" --target-action=promote
fi
log "restoring the latest backup of stanza $stanza into $PGDATA"
pgbackrest "$@" restore
log "restore done; PostgreSQL replays the archived WAL on start"
