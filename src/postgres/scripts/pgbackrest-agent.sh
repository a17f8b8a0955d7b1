#!/bin/sh
# pgBackRest agent: runs next to PostgreSQL in the primary's pod, creates the stanza once
# PostgreSQL is up (idempotent), and serves the WAL archive requests that pgbackrest-archive.sh writes
# into the shared spool. Backups are started in this container by the backup CronJob
# (`kubectl exec ... pgbackrest backup`).
#
# Environment:
#   PGBACKREST_STANZA          stanza name                                         db
#   ARCHIVE_SPOOL_DIR          spool shared with pgbackrest-archive.sh                    /var/spool/pgbackrest-agent
#   PG_RUNTIME_DIR             private writable directory (password file)          /tmp/pgbackrest-agent
#   SUPERUSER_CREDENTIALS_FILE    postgres password, for pgBackRest's connection      optional
#   PGBACKREST_CONFIG          pgBackRest configuration file (read by pgbackrest)  /etc/pgbackrest/pgbackrest.conf
#   AGENT_POLL_SECONDS         how often the spool is scanned when idle            1
#   AGENT_BUSY_POLL_SECONDS    how often while requests keep coming (a busy        0.05
#                              primary archives one segment after another)
#   AGENT_BUSY_SECONDS         how long after the last request it stays busy       5
#   PGDATA                     data directory: the agent stops after PostgreSQL    required
#   AGENT_DRAIN_SECONDS        longest wait for PostgreSQL to stop after SIGTERM   300
#   RESTORE_SOURCE_CONFIG      pgBackRest configuration of the restore source: WAL  optional: this
#                              is then read from there (restore_command), never     cluster's own
#                              from this cluster's repository                       repository
#   RESTORE_SOURCE_STANZA      the source's stanza                                 db
#   RESTORE_SOURCE_REPO1_*     the source's repository settings (credentials, CA file, path); they
#                              stand in for this cluster's PGBACKREST_REPO* settings for archive-get
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

stanza=${PGBACKREST_STANZA:-db}
spool=${ARCHIVE_SPOOL_DIR:-/var/spool/pgbackrest-agent}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/pgbackrest-agent}
poll=${AGENT_POLL_SECONDS:-1}
busy_poll=${AGENT_BUSY_POLL_SECONDS:-0.05}
busy_for=${AGENT_BUSY_SECONDS:-5}

log() { echo "pgbackrest-agent: $*" >&2; }

umask 077
mkdir -p "$PG_RUNTIME_DIR" "$spool/request" "$spool/result"
# the spool root is the emptyDir itself, owned by the kubelet (root): only the subdirectories are ours
chmod 0770 "$spool/request" "$spool/result"
if [ -n "${SUPERUSER_CREDENTIALS_FILE:-}" ] && [ -r "$SUPERUSER_CREDENTIALS_FILE" ]; then
  use_password "$PG_RUNTIME_DIR/pgpass" postgres "$SUPERUSER_CREDENTIALS_FILE"
fi

# archive-get from the restore source, read only: pgBackRest runs with the source's configuration
# and only the source's repository settings (RESTORE_SOURCE_REPO1_* in place of every
# PGBACKREST_REPO* of this cluster's repository). Nothing else ever runs against the source, and
# archive-push, backups and stanza commands never see it: a restore cannot write into its source.
source_archive_get() {
  (
    for v in $(env | sed -n 's/^\(PGBACKREST_REPO[0-9][0-9]*_[A-Z0-9_]*\)=.*/\1/p'); do
      unset "$v"
    done
    for v in $(env | sed -n 's/^RESTORE_SOURCE_\(REPO[0-9][0-9]*_[A-Z0-9_]*\)=.*/\1/p'); do
      eval "export PGBACKREST_$v=\"\$RESTORE_SOURCE_$v\""
    done
    exec pgbackrest --config="$RESTORE_SOURCE_CONFIG" --stanza="${RESTORE_SOURCE_STANZA:-db}" archive-get "$1" "$2"
  )
}

running=true
trap 'running=false' TERM INT

stanza_ready=false
next_try=0
busy_until=0
# Sleeps $1 seconds, interrupted by SIGTERM; whole seconds where sleep takes no fractions.
pause() {
  sleep "$1" 2>/dev/null &
  wait $! || {
    sleep 1 &
    wait $! || true
  }
}
# PostgreSQL hands over one segment at a time and waits for each: after serving a request the
# next one comes right away, so poll fast while requests keep coming, slowly when idle.
pause_for_requests() {
  now=$(date +%s)
  if [ "$served" -gt 0 ]; then
    busy_until=$((now + busy_for))
  fi
  if [ "$now" -lt "$busy_until" ]; then
    pause "$busy_poll"
  else
    pause "$poll"
  fi
}
served=0
serve() {
  served=0
  for req in "$spool"/request/*; do
    [ -f "$req" ] || continue
    case "$req" in *.tmp) continue ;; esac
    base=${req##*/}
    op=${base%%.*}
    name=${base#*.}
    path=$(cat "$req")
    rc=0
    case "$op" in
      push)
        if [ "$stanza_ready" = true ]; then
          pgbackrest --stanza="$stanza" archive-push "$path" || rc=$?
        else
          rc=3
        fi
        ;;
      get)
        if [ -n "${RESTORE_SOURCE_CONFIG:-}" ]; then
          source_archive_get "$name" "$path" || rc=$?
        else
          pgbackrest --stanza="$stanza" archive-get "$name" "$path" || rc=$?
        fi
        ;;
      *) rc=2 ;;
    esac
    printf '%s\n' "$rc" >"$spool/result/$base.tmp"
    mv "$spool/result/$base.tmp" "$spool/result/$base"
    rm -f "$req"
    served=$((served + 1))
  done
}

while [ "$running" = true ]; do
  if [ "$stanza_ready" = false ] && [ "$(date +%s)" -ge "$next_try" ]; then
    # stanza-create is idempotent; it needs PostgreSQL up, so retry every 5 seconds
    if pgbackrest --stanza="$stanza" stanza-create; then
      stanza_ready=true
      log "stanza $stanza ready"
    else
      next_try=$(($(date +%s) + 5))
    fi
  fi
  serve
  pause_for_requests
done

# The pod's containers are stopped together, and PostgreSQL archives its last WAL on the way
# down through this agent: keep serving until PostgreSQL is gone (its postmaster.pid removed),
# so the shutdown neither waits for a dead agent nor leaves WAL unarchived. The kubelet's grace
# period bounds this too.
drain_until=$(($(date +%s) + ${AGENT_DRAIN_SECONDS:-300}))
if [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ]; then
  log "waiting for PostgreSQL to stop before stopping"
fi
while [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ] && [ "$(date +%s)" -lt "$drain_until" ]; do
  serve
  pause_for_requests
done
log "stopping"
