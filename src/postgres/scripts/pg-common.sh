#!/bin/sh
# Helpers the container scripts share, sourced from the same directory:
#   . "$(dirname "$0")/pg-common.sh"
# POSIX sh (dash, busybox ash); the caller has `set -eu`.

# pgpass_line ROLE PASSWORD_FILE: a .pgpass line for ROLE on any host and database; ':' and '\'
# in the password (its first line) are escaped as libpq requires.
pgpass_line() {
  printf '*:*:*:%s:%s\n' "$1" "$(sed -e 's/\\/\\\\/g' -e 's/:/\\:/g' "$2" | head -n 1)"
}

# use_password PGPASS_FILE ROLE PASSWORD_FILE: writes a private (0600) password file with ROLE's
# password and points libpq at it. libpq ignores password files that group or others can read,
# and Secret volumes are group-readable under fsGroup, so the Secret file is never used as is.
use_password() {
  pgpass_line "$2" "$3" >"$1"
  chmod 0600 "$1"
  PGPASSFILE=$1
  export PGPASSFILE
}

# wait_for_postgres HOST PORT SECONDS: polls pg_isready every 2 seconds until HOST:PORT accepts
# connections; returns 1 when it still does not after SECONDS.
wait_for_postgres() {
  wait_deadline=$(($(date +%s) + $3))
  until pg_isready -q -h "$1" -p "$2" -t 5; do
    if [ "$(date +%s)" -ge "$wait_deadline" ]; then
      return 1
    fi
    sleep 2
  done
}
