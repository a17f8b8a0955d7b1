#!/bin/sh
# Job that applies users.sql to the primary: roles, passwords (read from the mounted Secret
# files by psql, never part of the manifest), databases, grants and the pooler's auth function.
# Every statement is idempotent, so the Job can run any number of times.
#
# Environment:
#   PGHOST, PGPORT             the primary                                   required, 5432
#   SUPERUSER_CREDENTIALS_FILE    password of the postgres superuser            required
#   USERS_SQL                  the script to run                             /etc/postgres-users/users.sql
#   USER_CREDENTIALS_DIR           directory with one <role>/password per role   /etc/postgres-users/passwords
#   PRIMARY_WAIT_SECONDS       how long to wait for the primary              300
#   PG_RUNTIME_DIR             private writable directory                    /tmp/apply-users
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

: "${PGHOST:?PGHOST must be set}"
: "${SUPERUSER_CREDENTIALS_FILE:?SUPERUSER_CREDENTIALS_FILE must be set}"
PGPORT=${PGPORT:-5432}
USERS_SQL=${USERS_SQL:-/etc/postgres-users/users.sql}
USER_CREDENTIALS_DIR=${USER_CREDENTIALS_DIR:-/etc/postgres-users/passwords}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/apply-users}
export PGPORT USER_CREDENTIALS_DIR

# An empty password would make ALTER ROLE ... PASSWORD '' clear the role's password (PostgreSQL
# only logs a notice) and lock the role out: refuse before touching anything.
for file in "$SUPERUSER_CREDENTIALS_FILE" "$USER_CREDENTIALS_DIR"/*/password; do
  if [ -e "$file" ] && [ ! -s "$file" ]; then
    echo "apply-users: $file is empty; set the password in its Secret" >&2
    exit 1
  fi
done

umask 077
mkdir -p "$PG_RUNTIME_DIR"
use_password "$PG_RUNTIME_DIR/pgpass" postgres "$SUPERUSER_CREDENTIALS_FILE"

if ! wait_for_postgres "$PGHOST" "$PGPORT" "${PRIMARY_WAIT_SECONDS:-300}"; then
  echo "apply-users: $PGHOST:$PGPORT not ready in time" >&2
  exit 1
fi

exec psql -X -q -U postgres -d postgres -v ON_ERROR_STOP=1 -f "$USERS_SQL"
