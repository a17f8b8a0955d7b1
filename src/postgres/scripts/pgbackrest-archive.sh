#!/bin/sh
# archive_command and restore_command of PostgreSQL when backups are configured. The official
# PostgreSQL image has no pgBackRest, so this script hands each request to the pgBackRest agent
# running next to PostgreSQL (pgbackrest-agent.sh) through a shared spool directory and waits for
# its answer. With PGBACKREST_DIRECT=true (an image that contains pgBackRest) it runs pgBackRest
# itself. (pgBackRest's backup command checks that archive_command mentions pgbackrest: the
# script's name does.)
#
# Recovery never depends on which container starts first: the spool directories are created by
# whichever side comes first, and a request waits for the agent. For `get`, PostgreSQL reads exit
# code 1 as "not in the archive" and ends recovery there, so only pgBackRest's own "not found" (1)
# is passed on as 1; an agent that does not answer or a failing pgBackRest exits 200, which
# PostgreSQL treats as fatal (it stops and recovery resumes on restart, instead of promoting early
# or choosing a timeline from an incomplete archive).
#
# Usage:  pgbackrest-archive.sh push <path relative to PGDATA (%p)> <file name (%f)>
#         pgbackrest-archive.sh get  <file name (%f)> <destination path (%p)>
# Environment:
#   ARCHIVE_SPOOL_DIR   spool shared with the agent                     /var/spool/pgbackrest-agent
#   ARCHIVE_TIMEOUT     seconds to wait for the agent                   300 (push), 60 (get)
#   PGBACKREST_STANZA   stanza, only with PGBACKREST_DIRECT=true         db
#   PGBACKREST_DIRECT   run pgbackrest here instead of via the agent    false
set -eu

op=${1:?usage: pgbackrest-archive.sh push|get ...}
spool=${ARCHIVE_SPOOL_DIR:-/var/spool/pgbackrest-agent}
stanza=${PGBACKREST_STANZA:-db}

if [ "${PGBACKREST_DIRECT:-false}" = true ]; then
  case "$op" in
    push) exec pgbackrest --stanza="$stanza" archive-push "$2" ;;
    get) exec pgbackrest --stanza="$stanza" archive-get "$2" "$3" ;;
  esac
fi

case "$op" in
  push)
    name=${3:?missing WAL file name}
    timeout=${ARCHIVE_TIMEOUT:-300}
    ;;
  get)
    name=${2:?missing WAL file name}
    timeout=${ARCHIVE_TIMEOUT:-60}
    ;;
  *)
    echo "pgbackrest-archive: unknown operation '$op'" >&2
    exit 2
    ;;
esac

# PostgreSQL may start before the agent: create the spool directories if the agent has not yet
umask 007
mkdir -p "$spool/request" "$spool/result"

# exit code for "the agent did not answer" or "pgBackRest failed"
fail=1
if [ "$op" = get ]; then
  fail=200
fi

req="$spool/request/$op.$name"
res="$spool/result/$op.$name"
rm -f "$res"
if [ "$op" = get ]; then
  # the agent writes the file where PostgreSQL asked for it (relative to PGDATA, the working directory)
  printf '%s\n' "$(pwd)/$3" >"$req.tmp"
else
  printf '%s\n' "$(pwd)/$2" >"$req.tmp"
fi
mv "$req.tmp" "$req"

waited=0
while [ ! -f "$res" ]; do
  if [ "$waited" -ge "$((timeout * 10))" ]; then
    rm -f "$req"
    echo "pgbackrest-archive: the pgBackRest agent did not answer $op $name within ${timeout}s" >&2
    exit "$fail"
  fi
  sleep 0.1 2>/dev/null || sleep 1
  waited=$((waited + 1))
done
rc=$(cat "$res")
rm -f "$res"
case "$rc" in
  0) exit 0 ;;
  1) exit 1 ;;
  *)
    echo "pgbackrest-archive: pgBackRest $op $name failed with exit code $rc (see the pgbackrest container log)" >&2
    exit "$fail"
    ;;
esac
