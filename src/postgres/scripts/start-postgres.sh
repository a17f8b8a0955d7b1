#!/bin/sh
# Usage: start-postgres.sh [postgres arguments...]
# Starts PostgreSQL in the foreground (exec: postgres becomes the container's main process and
# receives the stop signal itself; the image's STOPSIGNAL is SIGINT, a fast shutdown).
#
# Environment:
#   PGDATA                     data directory (a subdirectory of the volume mount)       required
#   PG_CONFIG_DIR              directory holding postgresql.conf and pg_hba.conf          /etc/postgresql
#   PG_SOCKET_DIR              unix socket directory                                      /var/run/postgresql
#   PG_RUNTIME_DIR             private writable directory (password file, TLS key copy)   /tmp/postgres
#   SUPERUSER_CREDENTIALS_FILE    file with the postgres password (for tools run in the pod) optional
#   REPLICATION_USER           role replicas stream as                                    replicator
#   REPLICATION_CREDENTIALS_FILE  file with its password                                     optional
#   PRIMARY_HOST, PRIMARY_PORT where a standby streams from (only used with standby.signal) optional, 5432
#   POD_NAME                   this instance's name: application_name and slot name       hostname
#   TLS_DIR                    directory with tls.crt, tls.key and optionally ca.crt      optional
set -eu

# shellcheck source-path=SCRIPTDIR source=pg-common.sh disable=SC1091 # followed with shellcheck -x
. "$(dirname "$0")/pg-common.sh"

: "${PGDATA:?PGDATA must be set}"
PG_CONFIG_DIR=${PG_CONFIG_DIR:-/etc/postgresql}
PG_SOCKET_DIR=${PG_SOCKET_DIR:-/var/run/postgresql}
PG_RUNTIME_DIR=${PG_RUNTIME_DIR:-/tmp/postgres}
REPLICATION_USER=${REPLICATION_USER:-replicator}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
POD_NAME=${POD_NAME:-$(hostname)}

umask 077
mkdir -p "$PG_RUNTIME_DIR" "$PG_SOCKET_DIR"

# libpq ignores password files that group or others can read, and Secret volumes are
# group-readable under fsGroup: write a private copy.
: >"$PG_RUNTIME_DIR/pgpass"
if [ -n "${SUPERUSER_CREDENTIALS_FILE:-}" ] && [ -r "$SUPERUSER_CREDENTIALS_FILE" ]; then
  pgpass_line postgres "$SUPERUSER_CREDENTIALS_FILE" >>"$PG_RUNTIME_DIR/pgpass"
fi
if [ -n "${REPLICATION_CREDENTIALS_FILE:-}" ] && [ -r "$REPLICATION_CREDENTIALS_FILE" ]; then
  pgpass_line "$REPLICATION_USER" "$REPLICATION_CREDENTIALS_FILE" >>"$PG_RUNTIME_DIR/pgpass"
fi
chmod 0600 "$PG_RUNTIME_DIR/pgpass"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "start-postgres: $PGDATA holds no database; the bootstrap init container did not create one" >&2
  exit 1
fi
# fsGroup handling can add group bits; PostgreSQL refuses a data directory other than 0700/0750.
chmod 0700 "$PGDATA"

# Arguments given to this script are passed on to postgres (e.g. -c name=value).
set -- -D "$PGDATA" -k "$PG_SOCKET_DIR" \
  -c "config_file=$PG_CONFIG_DIR/postgresql.conf" \
  -c "hba_file=$PG_CONFIG_DIR/pg_hba.conf" "$@"

if [ -f "$PGDATA/standby.signal" ] && [ -n "${PRIMARY_HOST:-}" ]; then
  slot=$(printf '%s' "$POD_NAME" | tr '[:upper:]' '[:lower:]' | sed 's/[^a-z0-9_]/_/g')
  set -- "$@" \
    -c "primary_conninfo=host=$PRIMARY_HOST port=$PRIMARY_PORT user=$REPLICATION_USER passfile=$PG_RUNTIME_DIR/pgpass application_name=$slot sslmode=prefer" \
    -c "primary_slot_name=$slot"
fi

if [ -n "${TLS_DIR:-}" ]; then
  # PostgreSQL refuses a key file others can read: copy it with mode 0600.
  mkdir -p "$PG_RUNTIME_DIR/tls"
  cp "$TLS_DIR/tls.crt" "$PG_RUNTIME_DIR/tls/tls.crt"
  cp "$TLS_DIR/tls.key" "$PG_RUNTIME_DIR/tls/tls.key"
  chmod 0600 "$PG_RUNTIME_DIR/tls/tls.key"
  set -- "$@" -c ssl=on -c "ssl_cert_file=$PG_RUNTIME_DIR/tls/tls.crt" -c "ssl_key_file=$PG_RUNTIME_DIR/tls/tls.key"
  if [ -s "$TLS_DIR/ca.crt" ]; then
    cp "$TLS_DIR/ca.crt" "$PG_RUNTIME_DIR/tls/ca.crt"
    set -- "$@" -c "ssl_ca_file=$PG_RUNTIME_DIR/tls/ca.crt"
  fi
fi

export PGPASSFILE="$PG_RUNTIME_DIR/pgpass"
exec postgres "$@"
